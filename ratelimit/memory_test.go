package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
)

func TestFixedWindowStartsAtFirstHit(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	b := [32]byte{1}
	l := keyway.RateLimit{RateLimit: 3, RateLimitTTL: 60}
	t0 := time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)

	if r, _ := m.Peek(ctx, b, l, t0); !r.Allowed || r.Consumed != 0 || r.Remaining() != 3 {
		t.Fatalf("peek before any hit: %+v", r)
	}
	for i := 1; i <= 3; i++ {
		r, _ := m.Take(ctx, b, l, t0.Add(time.Duration(i)*time.Second))
		if !r.Allowed || r.Consumed != i || r.Remaining() != 3-i || !r.Reset.Equal(t0.Add(61*time.Second)) {
			t.Fatalf("take %d: %+v", i, r)
		}
	}
	r, _ := m.Take(ctx, b, l, t0.Add(30*time.Second))
	if r.Allowed || r.Consumed != 3 || r.Remaining() != 0 {
		t.Fatalf("take over limit: %+v", r)
	}
	if r, _ := m.Peek(ctx, b, l, t0.Add(30*time.Second)); r.Allowed || r.Consumed != 3 {
		t.Fatalf("peek over limit: %+v", r)
	}
	// Another bucket is independent.
	if r, _ := m.Take(ctx, [32]byte{2}, l, t0); !r.Allowed || r.Consumed != 1 {
		t.Fatalf("other bucket: %+v", r)
	}
	// The window ends 60 s after its first hit, not on a clock boundary.
	r, _ = m.Take(ctx, b, l, t0.Add(61*time.Second))
	if !r.Allowed || r.Consumed != 1 || !r.Reset.Equal(t0.Add(121*time.Second)) {
		t.Fatalf("take in next window: %+v", r)
	}
}

func TestSweepForgetsEndedWindows(t *testing.T) {
	m := NewMemory()
	l := keyway.RateLimit{RateLimit: 1, RateLimitTTL: 1}
	t0 := time.Unix(1000, 0)
	m.Take(context.Background(), [32]byte{7}, l, t0)
	m.Sweep(t0.Add(500 * time.Millisecond))
	if n := len(m.shard([32]byte{7}).windows); n != 1 {
		t.Fatalf("live window swept: %d left", n)
	}
	m.Sweep(t0.Add(time.Second))
	if n := len(m.shard([32]byte{7}).windows); n != 0 {
		t.Fatalf("ended window kept: %d left", n)
	}
}

// RunSweeper sweeps on its own, by the clock it is given, until stopped.
func TestRunSweeperSweeps(t *testing.T) {
	m := NewMemory()
	clock := keywaytest.NewClock()
	b := [32]byte{7}
	m.Take(context.Background(), b, keyway.RateLimit{RateLimit: 1, RateLimitTTL: 1}, clock.Now())
	clock.Advance(time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.RunSweeper(ctx, time.Millisecond, clock)
	}()
	keywaytest.Eventually(t, "the ended window swept", func() bool {
		s := m.shard(b)
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.windows) == 0
	})
	cancel()
	<-done
}
