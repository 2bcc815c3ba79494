// Package backoff spaces the attempts of work that keeps failing: webhook
// deliveries, mail, usage flushes, invalidation resends and the buses'
// reconnections all wait a Policy's Delay between two attempts, so a
// delay is doubled, capped and jittered in one place.
package backoff

import (
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// Policy is an exponential backoff: Base after the first failure, twice
// that after the second, and so on up to Max, each delay then scaled by
// Jitter.
type Policy struct {
	// Base is the delay after the first failure; it doubles for each later one.
	Base time.Duration
	// Max caps Bound; zero or negative means no cap.
	Max time.Duration
	// Jitter scales each delay at random; the zero value keeps it exact.
	Jitter Jitter
}

// Jitter is the range of the random factor a delay is multiplied by, from
// Low (included) to High (excluded), drawn uniformly. A range rather than
// a single "amount" because callers differ in which side of the bound they
// spread: Equal stays under it, a flusher spreads around it. The zero value
// is no jitter.
type Jitter struct{ Low, High float64 }

// Equal is "equal jitter": half of a delay fixed, half random, so that
// clients that failed together do not retry together, yet none retries
// sooner than half the bound.
var Equal = Jitter{Low: 0.5, High: 1}

// Bound is the jitter-free delay after failure number attempt:
// Base·2^(attempt-1), capped at Max. Attempts below 1 count as 1; huge ones
// saturate rather than overflow.
func (p Policy) Bound(attempt int) time.Duration {
	if p.Base <= 0 {
		return 0
	}
	limit := p.Max
	if limit <= 0 {
		limit = math.MaxInt64
	}
	shift := max(attempt, 1) - 1
	// Base<<shift overflows, or exceeds the cap, exactly when Base exceeds
	// limit>>shift; testing that first keeps the shift safe.
	if shift >= 63 || p.Base > limit>>shift {
		return limit
	}
	return p.Base << shift
}

// Delay is Bound(attempt) with the policy's jitter, drawn from math/rand/v2.
func (p Policy) Delay(attempt int) time.Duration { return p.DelayFrom(attempt, rand.Float64) }

// DelayFrom is Delay with the random source given: rnd returns a float in
// [0, 1); values outside it are clamped, so the delay never leaves the
// jitter's range.
func (p Policy) DelayFrom(attempt int, rnd func() float64) time.Duration {
	d := p.Bound(attempt)
	if p.Jitter == (Jitter{}) || d == 0 {
		return d
	}
	r := rnd()
	if !(r >= 0) { // also catches NaN
		r = 0
	}
	r = min(r, 1)
	lo, hi := scale(d, p.Jitter.Low), scale(d, p.Jitter.High)
	if hi <= lo {
		return lo
	}
	// The float product may round past hi-lo near the int64 limit.
	return lo + min(scale(hi-lo, r), hi-lo)
}

// scale multiplies d by f, saturating instead of overflowing.
func scale(d time.Duration, f float64) time.Duration {
	x := float64(d) * f
	switch {
	case !(x > 0):
		return 0
	case x >= math.MaxInt64:
		return math.MaxInt64
	}
	return time.Duration(x)
}

// Attempts is the number of failures whose jitter-free delays add up to at
// least total: how many to allow so that retrying lasts that long. With
// jitter the real span is the sum scaled by the jitter's range.
func (p Policy) Attempts(total time.Duration) int {
	if total <= 0 || p.Base <= 0 {
		return 0 // nothing to span, or delays that never add up
	}
	var sum time.Duration
	for n := 1; ; n++ {
		// sum < total here, so total-sum cannot overflow; sum+d might.
		d, remaining := p.Bound(n), total-sum
		if d >= remaining {
			return n
		}
		if d == p.Bound(n+1) {
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

// Repeat calls run until ctx ends, pausing after each call. The pause is
// Delay(n), n counting the calls since the last one that reported
// progress, that one included: a connection that worked for a while is
// made again after the shortest pause, and each failure after it doubles
// the pause.
func (p Policy) Repeat(ctx context.Context, run func(context.Context) (progress bool)) {
	p.repeat(ctx, run, Wait)
}

// repeat is Repeat with the pause given, so a test sees the delays
// without waiting for them.
func (p Policy) repeat(ctx context.Context, run func(context.Context) bool, wait func(context.Context, time.Duration) bool) {
	n := 0
	for ctx.Err() == nil {
		if run(ctx) {
			n = 0
		}
		n++
		if !wait(ctx, p.Delay(n)) {
			return
		}
	}
}

// Wait pauses for d or until ctx ends, whichever comes first; it reports
// whether the whole pause passed. A timer rather than time.Sleep, so that a
// shutdown cuts the pause short.
func Wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return ctx.Err() == nil
	}
}
