package verify

import (
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/keywayhq/keyway/keycrypt"
)

// keyCache holds the answers for keys by the SHA-256 of the key string.
// Other nodes name changed keys by that digest (never in plaintext), so it
// is the cache's own key and a remote invalidation is one lookup; and the
// process keeps no second copy of key strings beyond the answers'.
//
// Known keys and unknown ones are kept apart: known keys in a cache bounded
// by memory (W-TinyLFU eviction, which admits a newcomer only over a
// colder resident, so a burst of one-off keys does not flush the busy
// ones), unknown keys in a small cache of their own with a short life, so
// a flood of invented key strings can neither grow memory nor push out
// the keys in use.
type keyCache struct {
	known   *otter.Cache[keycrypt.Hash, *keyEntry]
	unknown *otter.Cache[keycrypt.Hash, int64] // epoch ms until which the key is known not to exist

	hits, misses atomic.Uint64
}

func newKeyCache(maxBytes uint64, maxUnknown int, unknownTTL time.Duration) *keyCache {
	return &keyCache{
		known: otter.Must(&otter.Options[keycrypt.Hash, *keyEntry]{
			MaximumWeight: maxBytes,
			Weigher:       func(_ keycrypt.Hash, e *keyEntry) uint32 { return e.weight() },
		}),
		unknown: otter.Must(&otter.Options[keycrypt.Hash, int64]{
			MaximumSize: maxUnknown,
			// The verifier checks the time itself (with its clock); this
			// only frees the memory of entries nobody asks for again.
			ExpiryCalculator: otter.ExpiryWriting[keycrypt.Hash, int64](unknownTTL),
		}),
	}
}

func (c *keyCache) put(h keycrypt.Hash, e *keyEntry) {
	c.known.Set(h, e)
	c.unknown.Invalidate(h)
}

func (c *keyCache) putUnknown(h keycrypt.Hash, until int64) {
	c.known.Invalidate(h)
	c.unknown.Set(h, until)
}

// replace swaps old for e (nil: removes old) only if old is still the
// cached entry: a background reload must not bring back an answer that an
// invalidation dropped, or overwrite one loaded after it.
func (c *keyCache) replace(h keycrypt.Hash, old, e *keyEntry) {
	c.known.ComputeIfPresent(h, func(cur *keyEntry) (*keyEntry, otter.ComputeOp) {
		switch {
		case cur != old:
			return cur, otter.CancelOp
		case e == nil:
			return nil, otter.InvalidateOp
		}
		return e, otter.WriteOp
	})
}

func (c *keyCache) delete(h keycrypt.Hash) {
	c.known.Invalidate(h)
	c.unknown.Invalidate(h)
}

func (c *keyCache) clear() {
	c.known.InvalidateAll()
	c.unknown.InvalidateAll()
}

func (c *keyCache) close() {
	c.known.StopAllGoroutines()
	c.unknown.StopAllGoroutines()
}

// generations count invalidations, per stripe of the digest space and for
// everything at once. A load notes its key's generation before reading
// the store and only fills the cache if it has not moved meanwhile, so a
// slow load can never put back an answer a write has just dropped; the
// stripes keep invalidations of other keys from voiding it.
type generations struct {
	all     atomic.Uint64
	stripes [256]atomic.Uint64
}

func (g *generations) of(h keycrypt.Hash) uint64 { return g.all.Load() + g.stripes[h[0]].Load() }
func (g *generations) bump(h keycrypt.Hash)      { g.stripes[h[0]].Add(1) }
func (g *generations) bumpAll()                  { g.all.Add(1) }
