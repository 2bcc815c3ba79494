package pgnotify_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/pgnotify"
)

type recorder struct {
	mu    sync.Mutex
	msgs  []string
	state []bool
}

func (r *recorder) deliver(m string) { r.mu.Lock(); r.msgs = append(r.msgs, m); r.mu.Unlock() }
func (r *recorder) up(u bool)        { r.mu.Lock(); r.state = append(r.state, u); r.mu.Unlock() }

func (r *recorder) snapshot() ([]string, []bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...), append([]bool(nil), r.state...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Messages published by one bus reach another on the same schema, an idle
// listener stays up across heartbeats, and another schema hears nothing.
func TestBusDeliversAcrossNodesOfOneSchema(t *testing.T) {
	base := os.Getenv(keywaytest.PostgresEnv)
	if base == "" {
		t.Log(keywaytest.PostgresEnv + " is not set: PostgreSQL LISTEN/NOTIFY is not exercised")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	url := keywaytest.PostgresURL(t, base)
	a, err := pgnotify.Open(ctx, url, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := pgnotify.Open(ctx, url, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	other, err := pgnotify.Open(ctx, keywaytest.PostgresURL(t, base), log)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	var rb, ro recorder
	go b.Run(ctx, rb.deliver, rb.up)
	go other.Run(ctx, ro.deliver, ro.up)
	waitFor(t, "listeners up", func() bool {
		_, sb := rb.snapshot()
		_, so := ro.snapshot()
		return len(sb) == 1 && len(so) == 1
	})
	// Stay idle past a couple of heartbeats: the listener must not flap.
	time.Sleep(2500 * time.Millisecond)
	if err := a.Publish(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool { m, _ := rb.snapshot(); return len(m) == 1 })
	msgs, states := rb.snapshot()
	if msgs[0] != "hello" {
		t.Fatalf("delivered %q", msgs[0])
	}
	if len(states) != 1 || !states[0] {
		t.Fatalf("listener state changes %v, want just [true]", states)
	}
	if m, _ := ro.snapshot(); len(m) != 0 {
		t.Fatalf("another schema heard %v", m)
	}
}
