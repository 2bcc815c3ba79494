package verify

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keywayhq/keyway"
)

// usageCounters counts one key's verification outcomes since the last
// flush. The hot path only does atomic adds on them; cache entries for the
// key point at the same counters across reloads.
type usageCounters struct {
	keyID, projectID, accountID string
	successful, failed, limited atomic.Int64
	lastSuccess                 atomic.Int64 // epoch ms
}

type usageKey struct {
	keyID string
	hour  int64
}

// usageBuffer keeps usage in memory so the hot path never writes to the
// database; flush hands the totals to the store in one batch. Counts are
// filed under the hour of the flush that carries them, so at an hour's
// boundary up to one flush interval of usage lands in the next hour.
type usageBuffer struct {
	store keyway.UsageStore

	mu    sync.Mutex
	byKey map[string]*usageCounters
	// retry holds batches the store refused, merged per key and hour so an
	// outage costs memory per key, not per request.
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

func (c *usageCounters) success(now time.Time) {
	c.successful.Add(1)
	c.lastSuccess.Store(now.UnixMilli())
}

// flush writes what was counted since the last flush, and any batch that
// failed before. On failure the batch is kept for the next flush.
func (b *usageBuffer) flush(ctx context.Context, now time.Time) error {
	if b.store == nil {
		return nil
	}
	hour := keyway.NewTime(now.Truncate(time.Hour))
	b.mu.Lock()
	for _, c := range b.byKey {
		u := keyway.Usage{KeyID: c.keyID, ProjectID: c.projectID, AccountID: c.accountID, Hour: hour,
			Successful: c.successful.Swap(0), Failed: c.failed.Swap(0), RateLimited: c.limited.Swap(0)}
		if u.Successful == 0 && u.Failed == 0 && u.RateLimited == 0 {
			continue
		}
		if u.Successful > 0 {
			u.LastSuccess = keyway.TimeFromMillis(c.lastSuccess.Load())
		}
		merge(b.retry, u)
	}
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
	k := usageKey{keyID: u.KeyID, hour: u.Hour.Millis()}
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
func (v *Verifier) Flush(ctx context.Context) error { return v.usage.flush(ctx, v.clock.Now()) }
