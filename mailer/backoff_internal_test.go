package mailer

import (
	"math"
	"testing"
	"time"
)

func TestDefaultBackoff(t *testing.T) {
	for attempt, bound := range map[int]time.Duration{
		math.MinInt: time.Second, 0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		6: 32 * time.Second, 7: time.Minute, 8: time.Minute, 64: time.Minute, math.MaxInt: time.Minute,
	} {
		lo, hi := bound, time.Duration(0)
		for range 200 {
			d := defaultBackoff(attempt)
			lo, hi = min(lo, d), max(hi, d)
		}
		// Equal jitter: never below half the bound nor above it, and
		// actually random.
		if lo < bound/2 || hi > bound || lo == hi {
			t.Errorf("defaultBackoff(%d) ranged over [%v, %v], want within [%v, %v] and varying", attempt, lo, hi, bound/2, bound)
		}
	}
}
