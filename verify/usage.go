package verify

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keywayhq/keyway"
)

// usageCounters counts one key's verification outcomes (or, with an empty
// keyID, an account's verifications of unknown keys) per minute since the
// last flush. The hot path loads the current minute and does atomic adds;
// cache entries for the key point at the same counters across reloads.
type usageCounters struct {
	keyID, projectID, accountID string
	cur                         atomic.Pointer[minuteCounts]

	mu sync.Mutex // guards the rotation of cur and retired
	// retired are past minutes. A flush drains each twice before dropping
	// it, so an add that loaded the minute just before it retired still
	// reaches the store.
	retired []*minuteCounts
}

// minuteCounts are one minute's outcomes of one key.
type minuteCounts struct {
	minute                      int64 // epoch ms of its start
	successful, failed, limited atomic.Int64
	lastSuccess                 atomic.Int64 // epoch ms
	drained                     bool         // under usageCounters.mu
}

// at returns the counts of now's minute. A verification whose clock read
// is a hair older than a minute another goroutine already started counts
// in the newer minute: attribution is exact to the minute, not beyond.
func (c *usageCounters) at(now time.Time) *minuteCounts {
	ms := now.UnixMilli()
	m := ms - ms%60_000
	if mc := c.cur.Load(); mc != nil && mc.minute >= m {
		return mc
	}
	return c.rotate(m)
}

func (c *usageCounters) rotate(m int64) *minuteCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	mc := c.cur.Load()
	if mc != nil && mc.minute >= m {
		return mc
	}
	if mc != nil {
		c.retired = append(c.retired, mc)
	}
	n := &minuteCounts{minute: m}
	c.cur.Store(n)
	return n
}

func (c *usageCounters) success(now time.Time) {
	mc := c.at(now)
	mc.successful.Add(1)
	// Many successes share a millisecond: writing the time only when it
	// moves on keeps the cache line shared (a store on every success cost
	// a third of counting), and the loop keeps the latest time when
	// goroutines race.
	ms := now.UnixMilli()
	for {
		last := mc.lastSuccess.Load()
		if last >= ms || mc.lastSuccess.CompareAndSwap(last, ms) {
			return
		}
	}
}

func (c *usageCounters) fail(now time.Time)  { c.at(now).failed.Add(1) }
func (c *usageCounters) limit(now time.Time) { c.at(now).limited.Add(1) }

// drain takes what every minute counted since the last flush.
func (c *usageCounters) drain(into map[usageKey]*keyway.Usage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.retired[:0]
	for _, mc := range c.retired {
		c.take(mc, into)
		if !mc.drained {
			mc.drained = true
			kept = append(kept, mc)
		}
	}
	clear(c.retired[len(kept):])
	c.retired = kept
	if mc := c.cur.Load(); mc != nil {
		c.take(mc, into)
	}
}

func (c *usageCounters) take(mc *minuteCounts, into map[usageKey]*keyway.Usage) {
	u := keyway.Usage{KeyID: c.keyID, ProjectID: c.projectID, AccountID: c.accountID, Minute: keyway.TimeFromMillis(mc.minute),
		Successful: mc.successful.Swap(0), Failed: mc.failed.Swap(0), RateLimited: mc.limited.Swap(0)}
	if u.Successful == 0 && u.Failed == 0 && u.RateLimited == 0 {
		return
	}
	if u.Successful > 0 {
		u.LastSuccess = keyway.TimeFromMillis(mc.lastSuccess.Load())
	}
	merge(into, u)
}

type usageKey struct {
	accountID, keyID string
	minute           int64
}

// usageBuffer keeps usage in memory so the hot path never writes to the
// database; flush hands the totals to the store in one batch.
type usageBuffer struct {
	store keyway.UsageStore

	mu    sync.Mutex
	byKey map[string]*usageCounters
	// unknown counts, per account, verifications of keys that do not exist
	// for the caller.
	unknown sync.Map // account id → *usageCounters
	// retry holds batches the store refused, merged per key and minute so
	// an outage costs memory per key, not per request.
	retry map[usageKey]*keyway.Usage
}

func newUsageBuffer(store keyway.UsageStore) *usageBuffer {
	return &usageBuffer{store: store, byKey: make(map[string]*usageCounters), retry: make(map[usageKey]*keyway.Usage)}
}

// counters returns the counters of a key, creating them on first use. It
// runs on cache misses only.
func (b *usageBuffer) counters(k *keyway.APIKey) *usageCounters {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.byKey[k.ID]
	if c == nil {
		c = &usageCounters{keyID: k.ID, projectID: k.ProjectID, accountID: k.AccountID}
		b.byKey[k.ID] = c
	}
	return c
}

// unknownFor returns the counters of an account's unknown-key attempts.
func (b *usageBuffer) unknownFor(accountID string) *usageCounters {
	if c, ok := b.unknown.Load(accountID); ok {
		return c.(*usageCounters)
	}
	c, _ := b.unknown.LoadOrStore(accountID, &usageCounters{accountID: accountID})
	return c.(*usageCounters)
}

// flush writes what was counted since the last flush, and any batch that
// failed before. On failure the batch is kept for the next flush.
func (b *usageBuffer) flush(ctx context.Context) error {
	if b.store == nil {
		return nil
	}
	b.mu.Lock()
	for _, c := range b.byKey {
		c.drain(b.retry)
	}
	b.unknown.Range(func(_, c any) bool {
		c.(*usageCounters).drain(b.retry)
		return true
	})
	if len(b.retry) == 0 {
		b.mu.Unlock()
		return nil
	}
	taken := b.retry
	b.retry = make(map[usageKey]*keyway.Usage)
	b.mu.Unlock()

	batch := make([]keyway.Usage, 0, len(taken))
	for _, u := range taken {
		batch = append(batch, *u)
	}
	err := b.store.RecordUsage(ctx, batch)
	if err == nil {
		return nil
	}
	b.mu.Lock()
	for _, u := range batch {
		merge(b.retry, u)
	}
	b.mu.Unlock()
	return err
}

func merge(into map[usageKey]*keyway.Usage, u keyway.Usage) {
	k := usageKey{accountID: u.AccountID, keyID: u.KeyID, minute: u.Minute.Millis()}
	have := into[k]
	if have == nil {
		into[k] = &u
		return
	}
	have.Successful += u.Successful
	have.Failed += u.Failed
	have.RateLimited += u.RateLimited
	if u.LastSuccess.After(have.LastSuccess.Time) {
		have.LastSuccess = u.LastSuccess
	}
}

// Flush writes buffered usage to the store now. The server calls it on a
// timer and once more on shutdown.
func (v *Verifier) Flush(ctx context.Context) error { return v.usage.flush(ctx) }
