package verify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// loader reads keys missing from the cache. Concurrent misses for one key
// share one read, and misses for different keys are read together: a few
// loader goroutines each take every miss queued so far as one batch, one
// query. On an idle node a miss is read at once; on a cold, busy one the
// batches grow with the load instead of the connections.
//
// Background reloads of entries due for refresh go through the same
// batches, after the misses, so they never make a request wait.
type loader struct {
	v *Verifier

	mu sync.Mutex
	// calls are the reads queued or running, by digest, for joining.
	calls    map[keycrypt.Hash]*call
	misses   []*call
	reloads  []*call
	running  int
	maxBatch int
	workers  int
	// maxReloads bounds the queued background reloads; past it a due
	// entry waits for a later use to queue it.
	maxReloads int
}

// call is one key's read: key in account, h their digest.
type call struct {
	account string
	key     string
	h       keycrypt.Hash
	gen     uint64
	// old is the entry a background reload replaces; nil for a miss.
	old  *keyEntry
	done chan struct{}
	e    *keyEntry // nil when the key does not exist
	err  error
}

// loadTimeout bounds one batch's read: it serves many callers, so no one
// caller's context may cancel it.
const loadTimeout = 5 * time.Second

func newLoader(v *Verifier, workers int) *loader {
	return &loader{v: v, calls: map[keycrypt.Hash]*call{}, maxBatch: 256, workers: workers, maxReloads: 4096}
}

// load reads key in account, joining a read of it already queued or
// running that began after the key's last invalidation.
func (l *loader) load(ctx context.Context, account, key string, h keycrypt.Hash) (*keyEntry, error) {
	gen := l.v.gens.of(h)
	l.mu.Lock()
	c := l.calls[h]
	if c == nil || c.old != nil || c.gen != gen {
		c = &call{account: account, key: key, h: h, gen: gen, done: make(chan struct{})}
		l.calls[h] = c
		l.misses = append(l.misses, c)
		l.startWorker()
	}
	l.mu.Unlock()
	select {
	case <-c.done:
		return c.e, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// reload queues a background reload of e, unless one is running for the
// key or the queue is full.
func (l *loader) reload(account, key string, h keycrypt.Hash, e *keyEntry, nowMs int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls[h] != nil {
		return
	}
	if len(l.reloads) >= l.maxReloads {
		e.refreshAt.Store(nowMs + 1000)
		return
	}
	c := &call{account: account, key: key, h: h, old: e, done: make(chan struct{})}
	l.calls[h] = c
	l.reloads = append(l.reloads, c)
	l.startWorker()
}

// startWorker starts a loader goroutine if one is allowed; l.mu is held.
// Workers exit when the queues are empty, so an idle verifier runs none.
func (l *loader) startWorker() {
	if l.running < l.workers {
		l.running++
		go l.work()
	}
}

func (l *loader) work() {
	for {
		l.mu.Lock()
		batch := take(&l.misses, l.maxBatch)
		batch = append(batch, take(&l.reloads, l.maxBatch-len(batch))...)
		if len(batch) == 0 {
			l.running--
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		l.run(batch)
	}
}

// take removes up to n calls from the front of q.
func take(q *[]*call, n int) []*call {
	n = min(n, len(*q))
	out := append([]*call(nil), (*q)[:n]...)
	rest := (*q)[n:]
	if len(rest) == 0 {
		rest = (*q)[:0]
	}
	*q = rest
	return out
}

// run reads one batch and answers its calls.
func (l *loader) run(batch []*call) {
	v := l.v
	keys := make([]keyway.AccountKey, len(batch))
	for i, c := range batch {
		keys[i] = keyway.AccountKey{AccountID: c.account, Key: keyway.APIKeySecret(c.key)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	found, err := v.store.APIKeysForVerification(ctx, keys)
	cancel()
	byKey := make(map[keyway.AccountKey]keyway.VerificationKey, len(found))
	for _, vk := range found {
		byKey[keyway.AccountKey{AccountID: vk.Key.AccountID, Key: vk.Key.Key}] = vk
	}
	nowMs := v.clock.Now().UnixMilli()
	for _, c := range batch {
		if err != nil {
			c.err = fmt.Errorf("load api key: %w", err)
		} else if vk, ok := byKey[keyway.AccountKey{AccountID: c.account, Key: keyway.APIKeySecret(c.key)}]; ok {
			c.e, c.err = v.newKeyEntry(vk, nowMs, v.positiveTTL(), v.refreshAfter())
		}
		if c.err == nil {
			l.fill(c, nowMs)
		} else if c.old != nil {
			// A failed reload is tried again at a later use.
			c.old.refreshAt.Store(nowMs + 1000)
		}
		l.mu.Lock()
		if l.calls[c.h] == c {
			delete(l.calls, c.h)
		}
		l.mu.Unlock()
		close(c.done)
	}
}

// fill puts what c read in the cache, unless an invalidation of its key
// happened since the read began (a miss) or the entry it reloads is no
// longer the cached one (a reload).
func (l *loader) fill(c *call, nowMs int64) {
	v := l.v
	if c.old != nil {
		v.keys.replace(c.h, c.old, c.e)
		return
	}
	if v.gens.of(c.h) != c.gen {
		return
	}
	if c.e != nil {
		v.keys.put(c.h, c.e)
	} else {
		v.keys.putUnknown(c.h, nowMs+min(v.cfg.NegativeTTL, v.positiveTTLDuration()).Milliseconds())
	}
}

// positiveTTL is how long, in ms, a loaded entry may be served without a
// reload: MaxAge normally, the degraded TTL while invalidations from other
// nodes may be missed.
func (v *Verifier) positiveTTL() int64 { return v.positiveTTLDuration().Milliseconds() }

func (v *Verifier) positiveTTLDuration() time.Duration {
	if v.degraded.Load() {
		return v.cfg.DegradedTTL
	}
	return v.cfg.MaxAge
}

// refreshAfter is when, in ms after its load, an entry's next use queues a
// background reload: RefreshInterval give or take a tenth, so that keys
// loaded together are not reloaded together. Degraded entries are not
// refreshed; they expire.
func (v *Verifier) refreshAfter() int64 {
	if v.degraded.Load() {
		return 0
	}
	r := v.cfg.RefreshInterval
	return (r + time.Duration((rand.Float64()-0.5)*0.2*float64(r))).Milliseconds()
}
