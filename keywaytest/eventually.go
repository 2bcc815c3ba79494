package keywaytest

import (
	"testing"
	"time"
)

// EventuallyTimeout is how long Eventually waits: long enough for a
// condition to come true on a loaded CI machine running several suites at
// once, short enough that a condition that never holds fails the test
// instead of hanging it.
const EventuallyTimeout = 10 * time.Second

// Eventually polls cond until it holds, and fails the test, saying what
// was awaited, if it does not within EventuallyTimeout. Tests wait for a
// condition this way instead of sleeping for a guess: they pass as soon as
// it holds and fail with its name when it never does.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	EventuallyWithin(t, EventuallyTimeout, what, cond)
}

// EventuallyWithin is Eventually with its own deadline, for a test whose
// point is that something happens within a bound.
func EventuallyWithin(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	poll(t, d, what, func() (bool, string) { return cond(), "" })
}

// EventuallyShows is Eventually for a condition that can say what it saw:
// cond returns whether it holds and a description of the state it found,
// and a timeout reports the last one, which is what a reader of the
// failure needs.
func EventuallyShows(t testing.TB, what string, cond func() (ok bool, seen string)) {
	t.Helper()
	poll(t, EventuallyTimeout, what, cond)
}

func poll(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	// Start fast so quick conditions cost little wall time, then back off
	// so a slow one does not spin a core the code under test needs.
	pause := 500 * time.Microsecond
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			if seen != "" {
				t.Fatalf("timed out after %v waiting for %s; last seen: %s", d, what, seen)
			}
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(pause)
		pause = min(pause*2, 20*time.Millisecond)
	}
}
