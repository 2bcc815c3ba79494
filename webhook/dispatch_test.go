package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/webhook"
)

// BenchmarkDispatch measures deliveries per second from a SQLite store to
// a receiver on 127.0.0.1 answering 204: claim, sign, send, record.
func BenchmarkDispatch(b *testing.B) {
	var received atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	sealer, _ := keycrypt.NewSealer(keycrypt.NewSecret())
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, keywaytest.SQLiteURL(b), sealer)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := keyway.NewTime(time.Now())
	a := &keyway.Account{ID: "acc", Name: "a", IsActive: true, CreatedAt: now, UpdatedAt: now}
	p := &keyway.Project{ID: "prj", Name: "p", AccountID: a.ID, Env: keyway.EnvLive, IsActive: true, CreatedAt: now, UpdatedAt: now}
	w := &keyway.Webhook{ID: "wh", Name: "h", URL: rcv.URL, HTTPMethod: "POST", Topics: []string{keyway.TopicAPIKeyCreated},
		AccountID: a.ID, Status: keyway.WebhookLive, IsActive: true, Secret: keyway.WebhookSecret(keycrypt.NewWebhookSecret()), CreatedAt: now, UpdatedAt: now}
	for _, err := range []error{s.CreateAccount(ctx, a), s.CreateProject(ctx, p), s.CreateWebhook(ctx, w)} {
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := range b.N {
		k := &keyway.APIKey{ID: keycrypt.NewEventID(), AccountID: a.ID, ProjectID: p.ID, Env: keyway.EnvLive, Key: keyway.APIKeySecret(keycrypt.NewKey("live_")),
			Name: "k", IsActive: true, CreatedAt: now, UpdatedAt: now}
		data, _ := json.Marshal(k)
		ev := keyway.Event{ID: keycrypt.NewEventID(), Topic: keyway.TopicAPIKeyCreated, AccountID: a.ID, ProjectID: p.ID, Data: data, CreatedAt: now}
		if err := s.CreateAPIKey(ctx, k, ev); err != nil {
			b.Fatalf("event %d: %v", i, err)
		}
	}
	guard := webhook.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, nil)
	d := webhook.NewDispatcher(s, webhook.NewSender(guard, 5*time.Second), keyway.SystemClock{}, webhook.Backoff{Base: 5 * time.Second, Max: time.Hour, MaxAttempts: webhook.AttemptsFor(5*time.Second, time.Hour, webhook.RetryWindow)}, slog.New(slog.DiscardHandler))
	runCtx, cancel := context.WithCancel(ctx)
	b.ResetTimer()
	start := time.Now()
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	// A millisecond's resolution: the wait is part of what is timed.
	_, err = keywaytest.Poll{Timeout: 5 * time.Minute, MaxPause: time.Millisecond}.Until("every delivery", func() (bool, string, error) {
		n := d.Delivered.Load()
		return n >= uint64(b.N), fmt.Sprintf("delivered %d of %d", n, b.N), nil
	})
	if err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	if received.Load() < int64(b.N) {
		b.Fatalf("receiver got %d of %d", received.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
}
