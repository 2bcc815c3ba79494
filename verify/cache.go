package verify

import (
	"sync"
	"time"

	"github.com/keywayhq/keyway/keycrypt"
)

const cacheShards = 64

// cache is a sharded map from key digest to an immutable entry. Entries are
// replaced, never mutated, so readers need no lock beyond the lookup.
type cache[E any] struct {
	shards     [cacheShards]cacheShard[E]
	maxPerShrd int
}

type cacheShard[E any] struct {
	mu sync.RWMutex
	m  map[keycrypt.Hash]cached[E]
}

type cached[E any] struct {
	val     *E
	expires time.Time
}

func newCache[E any](maxEntries int) *cache[E] {
	c := &cache[E]{maxPerShrd: max(maxEntries/cacheShards, 1)}
	for i := range c.shards {
		c.shards[i].m = make(map[keycrypt.Hash]cached[E])
	}
	return c
}

func (c *cache[E]) shard(h keycrypt.Hash) *cacheShard[E] { return &c.shards[h[0]%cacheShards] }

// get returns the entry for h unless it is missing or past its TTL.
func (c *cache[E]) get(h keycrypt.Hash, now time.Time) (*E, bool) {
	s := c.shard(h)
	s.mu.RLock()
	e, ok := s.m[h]
	s.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e.val, true
}

func (c *cache[E]) put(h keycrypt.Hash, v *E, expires time.Time) {
	s := c.shard(h)
	s.mu.Lock()
	// A flood of random keys must not grow memory without bound: a full
	// shard starts over, which costs a reload per live key and nothing else.
	if len(s.m) >= c.maxPerShrd {
		clear(s.m)
	}
	s.m[h] = cached[E]{val: v, expires: expires}
	s.mu.Unlock()
}

func (c *cache[E]) delete(h keycrypt.Hash) {
	s := c.shard(h)
	s.mu.Lock()
	delete(s.m, h)
	s.mu.Unlock()
}

func (c *cache[E]) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}
