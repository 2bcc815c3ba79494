package verify

import (
	"hash/maphash"
	"sync"
	"time"
)

const cacheShards = 64

// cache is a sharded map from a key string to an immutable entry. Entries
// are replaced, never mutated, so readers need no lock beyond the lookup.
// It is keyed by the string itself rather than its SHA-256: the process
// holds the keys in memory anyway (the answers contain them), and a map
// hash costs a fraction of a SHA-256 on every request.
type cache[E any] struct {
	seed       maphash.Seed
	shards     [cacheShards]cacheShard[E]
	maxPerShrd int
}

type cacheShard[E any] struct {
	mu sync.RWMutex
	m  map[string]cached[E]
}

type cached[E any] struct {
	val     *E
	expires time.Time
}

func newCache[E any](maxEntries int) *cache[E] {
	c := &cache[E]{seed: maphash.MakeSeed(), maxPerShrd: max(maxEntries/cacheShards, 1)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]cached[E])
	}
	return c
}

func (c *cache[E]) shard(key string) *cacheShard[E] {
	return &c.shards[maphash.String(c.seed, key)%cacheShards]
}

// get returns the entry for key unless it is missing or past its TTL.
func (c *cache[E]) get(key string, now time.Time) (*E, bool) {
	s := c.shard(key)
	s.mu.RLock()
	e, ok := s.m[key]
	s.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e.val, true
}

func (c *cache[E]) put(key string, v *E, expires time.Time) {
	s := c.shard(key)
	s.mu.Lock()
	// A flood of random keys must not grow memory without bound: a full
	// shard starts over, which costs a reload per live key and nothing else.
	if len(s.m) >= c.maxPerShrd {
		clear(s.m)
	}
	s.m[key] = cached[E]{val: v, expires: expires}
	s.mu.Unlock()
}

func (c *cache[E]) delete(key string) {
	s := c.shard(key)
	s.mu.Lock()
	delete(s.m, key)
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
