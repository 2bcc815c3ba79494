package pgnotify_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/keywayhq/keyway/keycrypt"
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
	// b's connections carry a name of their own, so its listener's
	// heartbeats can be seen from the server.
	app := "keywaytest_" + strings.ToLower(keycrypt.RandomString(8))
	b, err := pgnotify.Open(ctx, withApplicationName(t, url, app), log)
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
	keywaytest.Eventually(t, "listeners up", func() bool {
		_, sb := rb.snapshot()
		_, so := ro.snapshot()
		return len(sb) == 1 && len(so) == 1
	})
	// Stay idle past a couple of heartbeats: the listener must not flap.
	awaitPings(t, base, app, 2)
	if err := a.Publish(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	keywaytest.Eventually(t, "delivery", func() bool { m, _ := rb.snapshot(); return len(m) == 1 })
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

// withApplicationName is url with application_name set to app.
func withApplicationName(t *testing.T, raw, app string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String()
}

// awaitPings waits until the server has seen n heartbeat pings (pgx's
// "-- ping") on a connection named app: the listener has idled through n
// heartbeats.
func awaitPings(t *testing.T, base, app string, n int) {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	seen := map[string]bool{}
	keywaytest.EventuallyShows(t, fmt.Sprintf("%d heartbeats of %s", n, app), func() (bool, string) {
		var at sql.NullString
		err := admin.QueryRow(`SELECT max(query_start)::text FROM pg_stat_activity
			WHERE application_name = $1 AND query = '-- ping'`, app).Scan(&at)
		if err != nil {
			t.Fatal(err)
		}
		if at.Valid {
			seen[at.String] = true
		}
		return len(seen) >= n, fmt.Sprintf("%d pings", len(seen))
	})
}

// A listening connection killed by the server is reported down, then up
// again once listening anew; cancelling the context ends Run promptly.
func TestBusReportsLossAndRecovers(t *testing.T) {
	base := os.Getenv(keywaytest.PostgresEnv)
	if base == "" {
		t.Log(keywaytest.PostgresEnv + " is not set: PostgreSQL LISTEN/NOTIFY is not exercised")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	app := "keywaytest_" + strings.ToLower(keycrypt.RandomString(8))
	bus, err := pgnotify.Open(ctx, withApplicationName(t, keywaytest.PostgresURL(t, base), app), log)
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()

	var r recorder
	ended := make(chan struct{})
	go func() { bus.Run(ctx, r.deliver, r.up); close(ended) }()
	keywaytest.Eventually(t, "listener up", func() bool { _, s := r.snapshot(); return len(s) == 1 })

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var killed int
	if err := admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query LIKE 'LISTEN %'`, app).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listening backends (%v), want 1", killed, err)
	}
	keywaytest.Eventually(t, "down then up", func() bool {
		_, s := r.snapshot()
		return len(s) == 3 && s[1] == false && s[2] == true
	})
	if err := bus.Publish(ctx, "after"); err != nil {
		t.Fatal(err)
	}
	keywaytest.Eventually(t, "delivery after reconnecting", func() bool { m, _ := r.snapshot(); return len(m) == 1 && m[0] == "after" })

	cancel()
	select {
	case <-ended:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not end within 2 s of cancellation")
	}
}
