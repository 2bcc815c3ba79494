package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/verify"
)

// While the store refuses every flush, pending counts stay within their
// bound by losing resolution, oldest first: minutes become hours, then
// hours days. Nothing is dropped: once the store is back, every key's
// hour and day totals are exact, and minutes not rolled up are too.
func TestPendingUsageRollsUpInsteadOfDropping(t *testing.T) {
	us := &recordingUsage{}
	f := newUsageFixtureWith(t, us, verify.Config{Flush: verify.FlushConfig{MaxPending: 40}})
	var keys []*keyway.APIKey
	for range 10 {
		keys = append(keys, f.newKey(t, keyway.APIKeyCreate{}))
	}
	us.failing.Store(true)
	start := f.clock.Now()
	// Three hours, a verification of each key every 10 minutes: 180 rows
	// of a key and a minute.
	for range 18 {
		for _, k := range keys {
			f.verify(t, k.Key.Reveal(), "")
		}
		f.verifier.Flush(context.Background())
		if st := f.verifier.FlushStats(); st.Pending > 40 && st.RolledUp == 0 {
			t.Fatalf("%d rows pending over a bound of 40, and nothing rolled up", st.Pending)
		}
		f.clock.Advance(10 * time.Minute)
	}
	st := f.verifier.FlushStats()
	if st.RolledUp == 0 || st.Pending > 40 {
		t.Fatalf("after three hours of failing flushes: %+v, want rows rolled up and at most 40 pending", st)
	}
	us.failing.Store(false)
	if err := f.verifier.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	type bucket struct {
		key   string
		level keyway.UsageLevel
		at    time.Time
	}
	hours := map[bucket]int64{}
	minutes := 0
	for _, u := range us.all() {
		if u.Level == "" || u.Level == keyway.UsageByMinute {
			minutes++
		}
		if u.Level != keyway.UsageByDay {
			hours[bucket{u.KeyID, keyway.UsageByHour, u.At.Truncate(time.Hour)}] += u.Successful
		}
	}
	for _, k := range keys {
		var total int64
		for h := start.Truncate(time.Hour); h.Before(f.clock.Now()); h = h.Add(time.Hour) {
			total += hours[bucket{k.ID, keyway.UsageByHour, h}]
		}
		if total != 18 {
			t.Errorf("key %s: %d verifications by the hour, want 18", k.ID, total)
		}
	}
	if minutes == 0 || minutes >= 180 {
		t.Errorf("%d minute rows written, want the newest minutes kept and the oldest rolled up", minutes)
	}
}

// newUsageFixtureWith is newUsageFixture with a verifier configuration.
func newUsageFixtureWith(t *testing.T, us keyway.UsageStore, cfg verify.Config) *fixture {
	t.Helper()
	sealer, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(context.Background(), keywaytest.SQLiteURL(t), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{store: &countingStore{Store: st}, clock: keywaytest.NewClock()}
	f.verifier = verify.New(f.store, ratelimit.NewMemory(), f.clock, us, cfg)
	t.Cleanup(f.verifier.Close)
	f.svc = verify.NewTestService(t, f.store, st, f.verifier, f.clock)
	ak, err := f.svc.Bootstrap(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if f.caller, err = f.verifier.Authenticate(context.Background(), ak.Key.Reveal()); err != nil {
		t.Fatal(err)
	}
	if f.project, err = f.svc.CreateProject(context.Background(), f.caller, &keyway.ProjectCreate{Name: "p", AccountID: ak.AccountID, Env: keyway.EnvLive}); err != nil {
		t.Fatal(err)
	}
	return f
}

// logLines is a concurrency-safe log sink.
type logLines struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newLogLines() *logLines { l := &logLines{mu: make(chan struct{}, 1)}; return l }

func (l *logLines) Write(p []byte) (int, error) {
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	return l.buf.Write(p)
}

// messages are the msg fields of the lines logged so far.
func (l *logLines) messages() []string {
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		var rec struct{ Msg string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg != "" {
			out = append(out, rec.Msg)
		}
	}
	return out
}

// The flush loop logs each failed flush once, waits longer after each
// failure, reports failing after three in a row, and recovers by itself.
func TestFlusherBacksOffAndRecovers(t *testing.T) {
	us := &recordingUsage{}
	f := newUsageFixtureWith(t, us, verify.Config{})
	k := f.newKey(t, keyway.APIKeyCreate{})
	logs := newLogLines()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	us.failing.Store(true)
	f.verify(t, k.Key.Reveal(), "")
	start := time.Now()
	go func() {
		defer close(done)
		f.verifier.RunFlusher(ctx, 5*time.Millisecond, slog.New(slog.NewJSONHandler(logs, nil)))
	}()
	keywaytest.Eventually(t, "three failed flushes", func() bool { return f.verifier.FlushStats().Consecutive >= 3 })
	if why := f.verifier.FlushFailing(); !strings.Contains(why, "usage flushes in a row failed") {
		t.Fatalf("FlushFailing after 3 failures: %q", why)
	}
	// Backing off: after 5 ms, the waits are 5, 10, 20, 40 and 80 ms
	// (give or take a fifth), so six attempts take over 100 ms where a
	// fixed 5 ms interval would take 30.
	keywaytest.Eventually(t, "six failed flushes", func() bool { return f.verifier.FlushStats().Failures >= 6 })
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("six failed flushes within %v: no backoff", took)
	}
	us.failing.Store(false)
	keywaytest.Eventually(t, "recovery", func() bool { return f.verifier.FlushStats().Consecutive == 0 })
	cancel()
	<-done
	if why := f.verifier.FlushFailing(); why != "" {
		t.Fatalf("FlushFailing after recovery: %q", why)
	}
	var failed, recovered int
	for _, m := range logs.messages() {
		switch {
		case strings.HasPrefix(m, "usage flush failed"):
			failed++
		case m == "usage flush recovered":
			recovered++
		}
	}
	if st := f.verifier.FlushStats(); uint64(failed) != st.Failures || recovered != 1 {
		t.Fatalf("logged %d failures and %d recoveries; %d flushes failed: want one line per failure and one recovery", failed, recovered, st.Failures)
	}
	if tot := us.totals(); tot[usageKeyOwner(k)].successful != 1 {
		t.Fatalf("after recovery the store has %v, want the one verification", tot)
	}
}
