// Package ratelimit provides the in-process fixed-window rate limiter used
// when Keyway runs on one node.
package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/keywayhq/keyway"
)

const shardCount = 64

// Memory is a keyway.RateLimiter held in this process. It is sharded so
// concurrent verifications of different keys rarely share a lock.
type Memory struct {
	shards [shardCount]shard
}

type shard struct {
	mu      sync.Mutex
	windows map[[32]byte]window
}

type window struct {
	end   time.Time
	count int
}

var _ keyway.RateLimiter = (*Memory)(nil)

func NewMemory() *Memory {
	m := &Memory{}
	for i := range m.shards {
		m.shards[i].windows = make(map[[32]byte]window)
	}
	return m
}

func (m *Memory) shard(b [32]byte) *shard { return &m.shards[b[0]%shardCount] }

func (m *Memory) Take(_ context.Context, b [32]byte, l keyway.RateLimit, now time.Time) (keyway.RateResult, error) {
	return m.shard(b).hit(b, l, now, true), nil
}

func (m *Memory) Peek(_ context.Context, b [32]byte, l keyway.RateLimit, now time.Time) (keyway.RateResult, error) {
	return m.shard(b).hit(b, l, now, false), nil
}

func (s *shard) hit(b [32]byte, l keyway.RateLimit, now time.Time, consume bool) keyway.RateResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.windows[b]
	if !ok || !now.Before(w.end) {
		// The window opens at its first hit, so an idle key starts fresh.
		w = window{end: now.Add(time.Duration(l.RateLimitTTL) * time.Second)}
		if !consume {
			return keyway.RateResult{Allowed: true, Limit: l.RateLimit, Reset: w.end}
		}
	}
	allowed := w.count < l.RateLimit
	if allowed && consume {
		w.count++
		s.windows[b] = w
	}
	return keyway.RateResult{Allowed: allowed, Limit: l.RateLimit, Consumed: w.count, Reset: w.end}
}

// Sweep forgets windows that ended before now, bounding memory to the keys
// used within their last window.
func (m *Memory) Sweep(now time.Time) {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for b, w := range s.windows {
			if !now.Before(w.end) {
				delete(s.windows, b)
			}
		}
		s.mu.Unlock()
	}
}

// RunSweeper sweeps every interval until ctx ends, so that windows of keys
// no longer used do not pile up.
func (m *Memory) RunSweeper(ctx context.Context, every time.Duration, clock keyway.Clock) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Sweep(clock.Now())
		}
	}
}
