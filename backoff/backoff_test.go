package backoff_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/keywayhq/keyway/backoff"
)

func TestBound(t *testing.T) {
	p := backoff.Policy{Base: 5 * time.Second, Max: time.Hour}
	for attempt, want := range map[int]time.Duration{
		math.MinInt: 5 * time.Second, -3: 5 * time.Second, 0: 5 * time.Second, 1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second,
		10: 2560 * time.Second, 11: time.Hour, 12: time.Hour, 64: time.Hour, 1000: time.Hour, math.MaxInt: time.Hour,
	} {
		if got := p.Bound(attempt); got != want {
			t.Errorf("Bound(%d) = %v, want %v", attempt, got, want)
		}
	}
	prev := time.Duration(0)
	for attempt := 1; attempt <= 200; attempt++ {
		d := p.Bound(attempt)
		if d < prev || d > p.Max {
			t.Fatalf("Bound(%d) = %v after %v", attempt, d, prev)
		}
		prev = d
	}
	// A cap below the base wins from the first attempt.
	if got := (backoff.Policy{Base: time.Minute, Max: time.Second}).Bound(1); got != time.Second {
		t.Errorf("Bound(1) with Max < Base = %v, want the cap", got)
	}
}

func TestBoundNoOverflow(t *testing.T) {
	for _, p := range []backoff.Policy{
		{Base: 3, Max: 0},
		{Base: time.Duration(1) << 62, Max: 0},
		{Base: math.MaxInt64, Max: math.MaxInt64},
		{Base: time.Hour, Max: -1},
	} {
		prev := time.Duration(0)
		for _, attempt := range []int{1, 2, 30, 61, 62, 63, 64, 65, 100, 1 << 20, math.MaxInt} {
			d := p.Bound(attempt)
			if d <= 0 || d < prev {
				t.Fatalf("%+v: Bound(%d) = %v after %v", p, attempt, d, prev)
			}
			prev = d
		}
		if p.Max <= 0 && prev != math.MaxInt64 {
			t.Errorf("%+v: uncapped bound saturates at %v", p, prev)
		}
	}
	if d := (backoff.Policy{}).Delay(5); d != 0 {
		t.Errorf("zero Policy delays %v", d)
	}
}

func TestNoJitterIsExact(t *testing.T) {
	p := backoff.Policy{Base: 100 * time.Millisecond, Max: 5 * time.Second}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
		1600 * time.Millisecond, 3200 * time.Millisecond, 5 * time.Second, 5 * time.Second}
	for i, w := range want {
		if got := p.DelayFrom(i+1, func() float64 { t.Fatal("drew a random number without jitter"); return 0 }); got != w {
			t.Errorf("Delay(%d) = %v, want %v", i+1, got, w)
		}
		if got := p.Delay(i + 1); got != w {
			t.Errorf("Delay(%d) = %v, want %v", i+1, got, w)
		}
	}
}

func TestEqualJitter(t *testing.T) {
	p := backoff.Policy{Base: 5 * time.Second, Max: time.Hour, Jitter: backoff.Equal}
	rnd := rand.New(rand.NewPCG(1, 2))
	for attempt := 1; attempt <= 40; attempt++ {
		bound := p.Bound(attempt)
		if got := p.DelayFrom(attempt, func() float64 { return 0 }); got != bound-bound/2 {
			t.Errorf("DelayFrom(%d, 0) = %v, want %v", attempt, got, bound-bound/2)
		}
		if got := p.DelayFrom(attempt, func() float64 { return math.Nextafter(1, 0) }); got < bound-time.Microsecond || got > bound {
			t.Errorf("DelayFrom(%d, ~1) = %v, want about %v", attempt, got, bound)
		}
		seen := map[time.Duration]bool{}
		for range 50 {
			d := p.DelayFrom(attempt, rnd.Float64)
			if d < bound/2 || d > bound {
				t.Fatalf("Delay(%d) = %v outside [%v, %v]", attempt, d, bound/2, bound)
			}
			seen[d] = true
		}
		if len(seen) < 40 {
			t.Errorf("Delay(%d): only %d distinct values in 50 draws", attempt, len(seen))
		}
	}
	// Out-of-range random values are clamped, never leaving the bounds.
	for _, r := range []float64{-1, 2, math.Inf(1), math.NaN()} {
		d := p.DelayFrom(3, func() float64 { return r })
		if d < p.Bound(3)/2 || d > p.Bound(3) {
			t.Errorf("Delay with rnd %v = %v", r, d)
		}
	}
	// The default source works too.
	if d := p.Delay(1); d < 2500*time.Millisecond || d > 5*time.Second {
		t.Errorf("Delay(1) = %v", d)
	}
}

// A jitter may spread a delay past its bound, and past the cap: the cap
// bounds the doubling, the jitter then applies.
func TestJitterAroundTheBound(t *testing.T) {
	p := backoff.Policy{Base: 10 * time.Second, Max: 2 * time.Minute, Jitter: backoff.Jitter{Low: 0.8, High: 1.2}}
	for _, tc := range []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{1, 0, 8 * time.Second},
		{1, 0.5, 10 * time.Second},
		{2, 0.25, 18 * time.Second},
		{5, 0, 96 * time.Second},
		{5, 0.5, 2 * time.Minute},
		{math.MaxInt, 0.5, 2 * time.Minute},
	} {
		if got := p.DelayFrom(tc.attempt, func() float64 { return tc.r }); got != tc.want {
			t.Errorf("DelayFrom(%d, %v) = %v, want %v", tc.attempt, tc.r, got, tc.want)
		}
	}
	if got := p.DelayFrom(9, func() float64 { return math.Nextafter(1, 0) }); got < 144*time.Second-time.Microsecond || got > 144*time.Second {
		t.Errorf("DelayFrom(9, ~1) = %v, want about 2m24s", got)
	}
}

// Huge bounds and factors above one saturate at the largest duration
// instead of wrapping negative.
func TestJitterNoOverflow(t *testing.T) {
	for _, p := range []backoff.Policy{
		{Base: math.MaxInt64, Jitter: backoff.Jitter{Low: 0.8, High: 1.2}},
		{Base: time.Hour, Jitter: backoff.Jitter{Low: 1.5, High: 3}},
		{Base: time.Hour, Jitter: backoff.Equal},
		{Base: time.Hour, Max: math.MaxInt64, Jitter: backoff.Jitter{Low: 1, High: 1e300}},
	} {
		for _, attempt := range []int{1, 62, 63, 64, math.MaxInt} {
			for _, r := range []float64{0, 0.5, math.Nextafter(1, 0), 1} {
				if d := p.DelayFrom(attempt, func() float64 { return r }); d <= 0 {
					t.Errorf("%+v: DelayFrom(%d, %v) = %v", p, attempt, r, d)
				}
			}
		}
	}
	// A range upside down or below zero gives its low end, never less than zero.
	if d := (backoff.Policy{Base: time.Second, Jitter: backoff.Jitter{Low: 0.9, High: 0.1}}).DelayFrom(1, func() float64 { return 0.5 }); d != 900*time.Millisecond {
		t.Errorf("inverted jitter: %v", d)
	}
	if d := (backoff.Policy{Base: time.Second, Jitter: backoff.Jitter{Low: -2, High: -1}}).DelayFrom(1, func() float64 { return 0.5 }); d != 0 {
		t.Errorf("negative jitter: %v", d)
	}
}

func TestAttempts(t *testing.T) {
	// 5+10+…+2560 s = 5115 s in 10 retries, then hourly: 23 more hours reach 24 h.
	if got := (backoff.Policy{Base: 5 * time.Second, Max: time.Hour}).Attempts(24 * time.Hour); got != 33 {
		t.Fatalf("Attempts(5s, 1h, 24h) = %d, want 33", got)
	}
	for _, tc := range []struct {
		base, max, total time.Duration
	}{
		{5 * time.Second, time.Hour, 24 * time.Hour},
		{time.Second, time.Minute, time.Hour},
		{time.Second, 0, 365 * 24 * time.Hour},
		{time.Minute, time.Second, time.Hour}, // cap below base
		{3, 0, math.MaxInt64},
		{1, 1, 1 << 40},
		{time.Second, time.Hour, time.Second},
		{time.Second, time.Hour, 1},
	} {
		p := backoff.Policy{Base: tc.base, Max: tc.max}
		n := p.Attempts(tc.total)
		// n delays reach total, n-1 do not.
		sum := func(k int) float64 {
			s := 0.0
			for i := 1; i <= k; i++ {
				s += float64(p.Bound(i))
			}
			return s
		}
		if n > 1e6 {
			continue // too many to add up here; the division path is covered below
		}
		if sum(n) < float64(tc.total) || sum(n-1) >= float64(tc.total) {
			t.Errorf("Attempts(%v, %v, %v) = %d: sums %v, %v", tc.base, tc.max, tc.total, n, sum(n-1), sum(n))
		}
	}
	if got := (backoff.Policy{Base: 1, Max: 1}).Attempts(1 << 40); got != 1<<40 {
		t.Errorf("Attempts(1ns, 1ns, 2^40ns) = %d", got)
	}
	for _, tc := range [][3]time.Duration{{0, time.Hour, time.Hour}, {time.Second, time.Hour, 0}, {-1, 0, -1}} {
		if got := (backoff.Policy{Base: tc[0], Max: tc[1]}).Attempts(tc[2]); got != 0 {
			t.Errorf("Attempts%v = %d, want 0", tc, got)
		}
	}
}

func TestWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if !backoff.Wait(ctx, 0) {
		t.Error("Wait(0) on a live context reported a cut pause")
	}
	cancel()
	if backoff.Wait(ctx, time.Hour) {
		t.Error("Wait on an ended context reported the whole pause")
	}
}

// Repeat stops at once when its context ends, also from inside run.
func TestRepeatStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	backoff.Policy{Base: time.Hour}.Repeat(ctx, func(context.Context) bool {
		calls++
		cancel()
		return false
	})
	if calls != 1 {
		t.Errorf("run called %d times, want 1", calls)
	}
	backoff.Policy{Base: time.Hour}.Repeat(ctx, func(context.Context) bool {
		t.Error("run called on an ended context")
		return false
	})
}
