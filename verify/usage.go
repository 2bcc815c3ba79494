package verify

import (
	"context"
	"sync"
	"time"

	"github.com/keywayhq/keyway"
)

type usageOutcome uint8

const (
	outcomeSuccess usageOutcome = iota
	outcomeFailed
	outcomeRateLimited
)

type usageKey struct {
	keyID string
	hour  int64
}

// usageBuffer counts verification outcomes in memory so the hot path never
// writes to the database; Flush hands the totals to the store in one batch.
type usageBuffer struct {
	store keyway.UsageStore

	mu     sync.Mutex
	counts map[usageKey]*keyway.Usage
}

func newUsageBuffer(store keyway.UsageStore) *usageBuffer {
	return &usageBuffer{store: store, counts: make(map[usageKey]*keyway.Usage)}
}

func (b *usageBuffer) add(k *keyway.APIKey, now time.Time, o usageOutcome) {
	if b.store == nil {
		return
	}
	hour := now.Truncate(time.Hour)
	uk := usageKey{keyID: k.ID, hour: hour.UnixMilli()}
	b.mu.Lock()
	u := b.counts[uk]
	if u == nil {
		u = &keyway.Usage{KeyID: k.ID, ProjectID: k.ProjectID, AccountID: k.AccountID, Hour: keyway.NewTime(hour)}
		b.counts[uk] = u
	}
	switch o {
	case outcomeSuccess:
		u.Successful++
		u.LastSuccess = keyway.NewTime(now)
	case outcomeFailed:
		u.Failed++
	case outcomeRateLimited:
		u.RateLimited++
	}
	b.mu.Unlock()
}

// flush writes what was counted since the last flush. On failure the batch
// is merged back so the next flush retries it.
func (b *usageBuffer) flush(ctx context.Context) error {
	if b.store == nil {
		return nil
	}
	b.mu.Lock()
	if len(b.counts) == 0 {
		b.mu.Unlock()
		return nil
	}
	taken := b.counts
	b.counts = make(map[usageKey]*keyway.Usage, len(taken))
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
	for k, old := range taken {
		if u := b.counts[k]; u != nil {
			u.Successful += old.Successful
			u.Failed += old.Failed
			u.RateLimited += old.RateLimited
			if old.LastSuccess.After(u.LastSuccess.Time) {
				u.LastSuccess = old.LastSuccess
			}
		} else {
			b.counts[k] = old
		}
	}
	b.mu.Unlock()
	return err
}

// Flush writes buffered usage to the store now. The server calls it on a
// timer and once more on shutdown.
func (v *Verifier) Flush(ctx context.Context) error { return v.usage.flush(ctx) }
