package webhook

import (
	"testing"
	"time"
)

// The default retry span: 5+10+…+2560 s = 5115 s in 10 retries, then
// hourly: 23 more hours reach 24 h.
func TestAttemptsFor(t *testing.T) {
	if got := AttemptsFor(5*time.Second, time.Hour, RetryWindow); got != 33 {
		t.Fatalf("AttemptsFor(5s, 1h, 24h) = %d, want 33", got)
	}
}

// Retries jitter within [bound/2, bound], never past the cap.
func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: 5 * time.Second, Max: time.Hour}
	for _, tc := range []struct {
		attempt int
		bound   time.Duration
	}{{1, 5 * time.Second}, {2, 10 * time.Second}, {11, time.Hour}, {1 << 30, time.Hour}} {
		for range 50 {
			if d := b.policy().Delay(tc.attempt); d < tc.bound/2 || d > tc.bound {
				t.Fatalf("Delay(%d) = %v outside [%v, %v]", tc.attempt, d, tc.bound/2, tc.bound)
			}
		}
	}
}
