package ui

import (
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// A kept key is taken once, by its session, for its page, within its time;
// the store never holds more than shownMax.
func TestShownKeys(t *testing.T) {
	s := newShownKeys()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	k := &keyway.APIKey{ID: "k1", ProjectID: "p1", Key: "live_abc"}
	id := s.put("session-a", k, now)
	if _, ok := s.take(id, "session-b", "", "p1", now); ok {
		t.Fatal("another session took it")
	}
	if _, ok := s.take(id, "session-a", "", "p2", now); ok {
		t.Fatal("another project's page took it")
	}
	if e, ok := s.take(id, "session-a", "", "p1", now); !ok || e.key != "live_abc" {
		t.Fatal("its own session and page did not get it")
	}
	if _, ok := s.take(id, "session-a", "", "p1", now); ok {
		t.Fatal("taken twice")
	}
	id = s.put("session-a", k, now)
	if _, ok := s.take(id, "session-a", "k1", "", now.Add(shownTTL)); ok {
		t.Fatal("taken after it expired")
	}
	for i := range shownMax + 10 {
		s.put("s", k, now.Add(time.Duration(i)*time.Millisecond))
	}
	s.cache.CleanUp()
	if n := s.cache.EstimatedSize(); n > shownMax {
		t.Fatalf("%d entries held", n)
	}
}
