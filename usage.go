package keyway

import "context"

// Usage is what one API key saw in one hour, accumulated in memory and
// added to the stored totals in batches.
type Usage struct {
	KeyID       string
	ProjectID   string
	AccountID   string
	Hour        Time
	Successful  int64
	Failed      int64
	RateLimited int64
	// LastSuccess is the latest successful authentication in the batch,
	// zero when there was none; the store keeps the first and last one.
	LastSuccess Time
}

// UsageStore adds batched usage to the stored totals.
type UsageStore interface {
	RecordUsage(ctx context.Context, batch []Usage) error
}
