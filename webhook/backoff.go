package webhook

import (
	"math"
	"math/rand/v2"
	"time"
)

// Backoff spaces the retries of a failed delivery. Attempt 1 is the first
// retry; the first delivery is not delayed. A delivery is sent at most
// 1+MaxAttempts times.
type Backoff struct {
	// Base is the delay before the first retry; it doubles for each later one.
	Base time.Duration
	// Max caps a single delay; zero or negative means no cap.
	Max time.Duration
	// MaxAttempts is the number of retries before a delivery is given up.
	MaxAttempts int
}

// RetryWindow is how long a delivery is retried when no number of
// attempts is configured: about a day, long enough to outlast a
// receiver's bad deploy or a weekend.
const RetryWindow = 24 * time.Hour

// Bound is the jitter-free delay before retry attempt: Base·2^(attempt-1),
// capped at Max. Attempts below 1 count as 1; huge ones saturate rather than
// overflow.
func (b Backoff) Bound(attempt int) time.Duration {
	if b.Base <= 0 {
		return 0
	}
	limit := b.Max
	if limit <= 0 {
		limit = math.MaxInt64
	}
	attempt = max(attempt, 1)
	shift := attempt - 1
	// Base<<shift overflows, or exceeds the cap, exactly when Base exceeds
	// limit>>shift; testing that first keeps the shift safe.
	if shift >= 63 || b.Base > limit>>shift {
		return limit
	}
	return b.Base << shift
}

// Delay is the delay before retry attempt with "equal jitter": half of Bound
// fixed, half uniformly random, so deliveries that failed together do not
// retry together. rnd returns a float in [0, 1); nil uses math/rand/v2.
func (b Backoff) Delay(attempt int, rnd func() float64) time.Duration {
	if rnd == nil {
		rnd = rand.Float64
	}
	d := b.Bound(attempt)
	half := d / 2
	r := rnd()
	if !(r >= 0) { // also catches NaN
		r = 0
	}
	r = min(r, 1)
	return d - half + time.Duration(float64(half)*r)
}

// AttemptsFor returns the number of retries whose jitter-free delays add up
// to at least total: how many to allow so that retrying lasts that long.
// With jitter the real span is between half of that and all of it.
func AttemptsFor(base, maxDelay, total time.Duration) int {
	if total <= 0 {
		return 0
	}
	if base <= 0 {
		return 0 // delays never add up; nothing sensible to schedule
	}
	b := Backoff{Base: base, Max: maxDelay}
	var sum time.Duration
	for n := 1; ; n++ {
		// sum < total here, so total-sum cannot overflow; sum+d might.
		d, remaining := b.Bound(n), total-sum
		if d >= remaining {
			return n
		}
		if d == b.Bound(n+1) {
			// The cap is reached: the rest is one division, not a long loop.
			k := remaining / d
			if remaining%d != 0 {
				k++
			}
			return n - 1 + int(k)
		}
		sum += d
	}
}
