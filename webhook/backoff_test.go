package webhook

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoffBound(t *testing.T) {
	b := Backoff{Base: 5 * time.Second, Max: time.Hour}
	for attempt, want := range map[int]time.Duration{
		-3: 5 * time.Second, 0: 5 * time.Second, 1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second,
		10: 2560 * time.Second, 11: time.Hour, 12: time.Hour, 64: time.Hour, 1000: time.Hour, math.MaxInt: time.Hour,
	} {
		if got := b.Bound(attempt); got != want {
			t.Errorf("Bound(%d) = %v, want %v", attempt, got, want)
		}
	}
	prev := time.Duration(0)
	for attempt := 1; attempt <= 200; attempt++ {
		d := b.Bound(attempt)
		if d < prev || d > b.Max {
			t.Fatalf("Bound(%d) = %v after %v", attempt, d, prev)
		}
		prev = d
	}
}

func TestBackoffBoundNoOverflow(t *testing.T) {
	for _, b := range []Backoff{
		{Base: 3, Max: 0},
		{Base: time.Duration(1) << 62, Max: 0},
		{Base: math.MaxInt64, Max: math.MaxInt64},
		{Base: time.Hour, Max: -1},
	} {
		prev := time.Duration(0)
		for _, attempt := range []int{1, 2, 30, 61, 62, 63, 64, 65, 100, 1 << 20, math.MaxInt} {
			d := b.Bound(attempt)
			if d <= 0 || d < prev {
				t.Fatalf("%+v: Bound(%d) = %v after %v", b, attempt, d, prev)
			}
			prev = d
		}
		if b.Max <= 0 && prev != math.MaxInt64 {
			t.Errorf("%+v: uncapped bound saturates at %v", b, prev)
		}
	}
	if d := (Backoff{}).Delay(5, nil); d != 0 {
		t.Errorf("zero Backoff delays %v", d)
	}
}

func TestBackoffDelayJitter(t *testing.T) {
	b := Backoff{Base: 5 * time.Second, Max: time.Hour}
	rnd := rand.New(rand.NewPCG(1, 2))
	for attempt := 1; attempt <= 40; attempt++ {
		bound := b.Bound(attempt)
		if got := b.Delay(attempt, func() float64 { return 0 }); got != bound-bound/2 {
			t.Errorf("Delay(%d, 0) = %v, want %v", attempt, got, bound-bound/2)
		}
		if got := b.Delay(attempt, func() float64 { return math.Nextafter(1, 0) }); got < bound-time.Microsecond || got > bound {
			t.Errorf("Delay(%d, ~1) = %v, want about %v", attempt, got, bound)
		}
		seen := map[time.Duration]bool{}
		for range 50 {
			d := b.Delay(attempt, rnd.Float64)
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
	for _, r := range []float64{-1, 2, math.NaN()} {
		d := b.Delay(3, func() float64 { return r })
		if d < b.Bound(3)/2 || d > b.Bound(3) {
			t.Errorf("Delay with rnd %v = %v", r, d)
		}
	}
	// The default source works too.
	if d := b.Delay(1, nil); d < 2500*time.Millisecond || d > 5*time.Second {
		t.Errorf("Delay(1, nil) = %v", d)
	}
}

func TestAttemptsFor(t *testing.T) {
	// 5+10+…+2560 s = 5115 s in 10 retries, then hourly: 23 more hours reach 24 h.
	if got := AttemptsFor(5*time.Second, time.Hour, RetryWindow); got != 33 {
		t.Fatalf("AttemptsFor(5s, 1h, 24h) = %d, want 33", got)
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
		n := AttemptsFor(tc.base, tc.max, tc.total)
		// n delays reach total, n-1 do not.
		b := Backoff{Base: tc.base, Max: tc.max}
		sum := func(k int) float64 {
			s := 0.0
			for i := 1; i <= k; i++ {
				s += float64(b.Bound(i))
			}
			return s
		}
		if n > 1e6 {
			continue // too many to add up here; the division path is covered below
		}
		if sum(n) < float64(tc.total) || sum(n-1) >= float64(tc.total) {
			t.Errorf("AttemptsFor(%v, %v, %v) = %d: sums %v, %v", tc.base, tc.max, tc.total, n, sum(n-1), sum(n))
		}
	}
	if got := AttemptsFor(1, 1, 1<<40); got != 1<<40 {
		t.Errorf("AttemptsFor(1ns, 1ns, 2^40ns) = %d", got)
	}
	for _, tc := range [][3]time.Duration{{0, time.Hour, time.Hour}, {time.Second, time.Hour, 0}, {-1, 0, -1}} {
		if got := AttemptsFor(tc[0], tc[1], tc[2]); got != 0 {
			t.Errorf("AttemptsFor%v = %d, want 0", tc, got)
		}
	}
}
