package verify

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keywayhq/keyway/keycrypt"
)

const cacheShards = 64

// cache is a sharded map from a key string to an immutable entry. Entries
// are replaced, never mutated, so readers need no lock beyond the lookup.
// It is keyed by the string itself rather than its SHA-256: the process
// holds the keys in memory anyway (the answers contain them), and a map
// hash costs a fraction of a SHA-256 on every request.
//
// Other nodes name changed keys by digest, never in plaintext, so the cache
// also keeps a digest → key index, written only when an entry is filled.
type cache[E any] struct {
	seed       maphash.Seed
	shards     [cacheShards]cacheShard[E]
	index      [cacheShards]indexShard
	maxPerShrd int

	hits, misses atomic.Uint64
}

type cacheShard[E any] struct {
	mu sync.RWMutex
	m  map[string]cached[E]
}

type indexShard struct {
	mu sync.Mutex
	m  map[keycrypt.Hash]string
}

type cached[E any] struct {
	val     *E
	expires time.Time
	digest  keycrypt.Hash
}

func newCache[E any](maxEntries int) *cache[E] {
	c := &cache[E]{seed: maphash.MakeSeed(), maxPerShrd: max(maxEntries/cacheShards, 1)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]cached[E])
		c.index[i].m = make(map[keycrypt.Hash]string)
	}
	return c
}

func (c *cache[E]) shard(key string) *cacheShard[E] {
	return &c.shards[maphash.String(c.seed, key)%cacheShards]
}

func (c *cache[E]) indexShard(h keycrypt.Hash) *indexShard { return &c.index[h[0]%cacheShards] }

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
	h := keycrypt.HashKey(key)
	s := c.shard(key)
	s.mu.Lock()
	// A flood of random keys must not grow memory without bound: a full
	// shard starts over, which costs a reload per live key and nothing else.
	var dropped []keycrypt.Hash
	if len(s.m) >= c.maxPerShrd {
		for _, e := range s.m {
			dropped = append(dropped, e.digest)
		}
		clear(s.m)
	}
	s.m[key] = cached[E]{val: v, expires: expires, digest: h}
	s.mu.Unlock()
	for _, d := range dropped {
		c.unindex(d)
	}
	ix := c.indexShard(h)
	ix.mu.Lock()
	ix.m[h] = key
	ix.mu.Unlock()
}

func (c *cache[E]) unindex(h keycrypt.Hash) {
	ix := c.indexShard(h)
	ix.mu.Lock()
	delete(ix.m, h)
	ix.mu.Unlock()
}

func (c *cache[E]) delete(key string) {
	s := c.shard(key)
	s.mu.Lock()
	e, ok := s.m[key]
	delete(s.m, key)
	s.mu.Unlock()
	if ok {
		c.unindex(e.digest)
	}
}

// deleteDigest drops the entry whose key has digest h, if cached.
func (c *cache[E]) deleteDigest(h keycrypt.Hash) {
	ix := c.indexShard(h)
	ix.mu.Lock()
	key, ok := ix.m[h]
	ix.mu.Unlock()
	if ok {
		c.delete(key)
	}
}

func (c *cache[E]) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
		ix := &c.index[i]
		ix.mu.Lock()
		clear(ix.m)
		ix.mu.Unlock()
	}
}
