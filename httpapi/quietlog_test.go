package httpapi

import (
	"testing"
	"time"

	"github.com/keywayhq/keyway/keywaytest"
)

// Each key has its own window; a line let through after one counts what
// its key left out, and only that.
func TestQuietLogPerKey(t *testing.T) {
	clock := keywaytest.NewClock()
	q := newQuietLog(clock, time.Minute)
	want := func(key string, ok bool, suppressed int) {
		t.Helper()
		if gotOK, got := q.allow(key); gotOK != ok || got != suppressed {
			t.Fatalf("allow(%q) = %v, %d; want %v, %d", key, gotOK, got, ok, suppressed)
		}
	}
	want("a", true, 0)
	want("a", false, 0)
	want("a", false, 0)
	clock.Advance(30 * time.Second)
	want("b", true, 0) // a's lines hold nothing of b back
	want("b", false, 0)
	clock.Advance(30 * time.Second)
	want("a", true, 2)
	want("a", false, 0)
	want("b", false, 0) // b's minute started 30 s after a's
	clock.Advance(30 * time.Second)
	want("b", true, 2)
	clock.Advance(time.Hour)
	want("a", true, 1)
	want("b", true, 0)
}
