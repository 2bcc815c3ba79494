package keywaytest

import (
	"errors"
	"fmt"
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
	eventually(t, Poll{Timeout: d}, what, func() (bool, string) { return cond(), "" })
}

// EventuallyShows is Eventually for a condition that can say what it saw:
// cond returns whether it holds and a description of the state it found,
// and a timeout reports the last one, which is what a reader of the
// failure needs.
func EventuallyShows(t testing.TB, what string, cond func() (ok bool, seen string)) {
	t.Helper()
	eventually(t, Poll{}, what, cond)
}

func eventually(t testing.TB, p Poll, what string, cond func() (bool, string)) {
	t.Helper()
	_, err := p.Until(what, func() (bool, string, error) {
		ok, seen := cond()
		return ok, seen, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Poll is the waiting behind Eventually, for the few waits that cannot
// fail the test where they wait: one running in a goroutine of its own
// (t.Fatal must not be called there), or one that measures when its
// condition came true and needs a finer pause than Eventually's.
type Poll struct {
	// Timeout is EventuallyTimeout when zero.
	Timeout time.Duration
	// MaxPause caps the pause between tries, 20 ms when zero: a wait that
	// times how long something took sets it to its resolution.
	MaxPause time.Duration
}

// ErrTimeout is what Until's error wraps when cond never held.
var ErrTimeout = errors.New("timed out")

// Until polls cond until it holds or returns an error (an answer that
// will never turn into the awaited one), or the timeout passes. It returns
// the instant the satisfying answer was seen, and an error naming what
// was awaited and the last state seen otherwise.
func (p Poll) Until(what string, cond func() (ok bool, seen string, err error)) (time.Time, error) {
	timeout, maxPause := p.Timeout, p.MaxPause
	if timeout == 0 {
		timeout = EventuallyTimeout
	}
	if maxPause == 0 {
		maxPause = 20 * time.Millisecond
	}
	deadline := time.Now().Add(timeout)
	// Start fast so quick conditions cost little wall time, then back off
	// so a slow one does not spin a core the code under test needs.
	pause := min(500*time.Microsecond, maxPause)
	for {
		ok, seen, err := cond()
		now := time.Now()
		if err != nil {
			return now, fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return now, nil
		}
		if now.After(deadline) {
			if seen != "" {
				return now, fmt.Errorf("%w after %v waiting for %s; last seen: %s", ErrTimeout, timeout, what, seen)
			}
			return now, fmt.Errorf("%w after %v waiting for %s", ErrTimeout, timeout, what)
		}
		time.Sleep(pause)
		pause = min(pause*2, maxPause)
	}
}
