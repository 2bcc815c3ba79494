package keyway

import (
	"context"
	"time"
)

// Usage is what one API key saw in one minute, accumulated in memory and
// added to the stored totals in batches. KeyID and ProjectID are empty for
// an account's verifications of keys that do not exist (for the caller).
type Usage struct {
	KeyID     string
	ProjectID string
	AccountID string
	// At starts the bucket the counts fall in: a minute, or the hour or
	// day Level names.
	At Time
	// Level is the finest resolution the counts are exact at: "" (or
	// UsageByMinute) for the minute starting At. Counts that waited in
	// memory while the store was failing may have been rolled up to save
	// memory; they then reach only the hour and day buckets (UsageByHour),
	// or only the day bucket (UsageByDay), never a minute one.
	Level       UsageLevel
	Successful  int64
	Failed      int64
	RateLimited int64
	// LastSuccess is the latest successful authentication in the batch,
	// zero when there was none; the store keeps the first and last one.
	LastSuccess Time
}

// UsageChunk is a bounded part of a flush, written in one transaction.
type UsageChunk struct {
	// ID names the chunk, unique across nodes and restarts.
	ID string
	// At is when the chunk was cut; recorded ids are kept a while after it.
	At   Time
	Rows []Usage
}

// UsageLevel is a resolution the store keeps usage at.
type UsageLevel string

const (
	UsageByMinute UsageLevel = "minute"
	UsageByHour   UsageLevel = "hour"
	UsageByDay    UsageLevel = "day"
)

// Width is how long one bucket of the level lasts.
func (l UsageLevel) Width() time.Duration {
	switch l {
	case UsageByHour:
		return time.Hour
	case UsageByDay:
		return 24 * time.Hour
	}
	return time.Minute
}

// UsageRow is one stored bucket: a key's (or, with KeyID "", its
// project's) counts from At for one minute, hour or day.
type UsageRow struct {
	KeyID       string
	At          time.Time
	Successful  int64
	Failed      int64
	RateLimited int64
}

// KeyUsageTotal is a key's totals over a window, for ranking keys.
type KeyUsageTotal struct {
	KeyID string
	Totals
}

// UsageStore adds batched usage to the stored totals and reads them back.
type UsageStore interface {
	// RecordUsage adds a chunk to the minute, hour and day buckets of
	// each key, its project and (for unknown keys) its account, and sets
	// the keys' first and last use, in one transaction that also records
	// the chunk's id: a chunk counts once or not at all.
	RecordUsage(ctx context.Context, c UsageChunk) error
	// SettleUsageChunk is for a chunk whose RecordUsage failed, possibly
	// after its commit reached the database: it reports whether the chunk
	// was recorded and, when it was not, makes sure it never will be (a
	// transaction still in flight with that id is waited for or refused).
	// Then counts of an unrecorded chunk can be retried without ever
	// being added twice.
	SettleUsageChunk(ctx context.Context, id string, at Time) (recorded bool, err error)
	// ProjectUsage reads a project's buckets at one level in [from, to).
	ProjectUsage(ctx context.Context, level UsageLevel, projectID string, from, to time.Time) ([]UsageRow, error)
	// KeyTotals adds up the buckets of each key of a project with usage
	// in [from, to), in key order.
	KeyTotals(ctx context.Context, level UsageLevel, projectID string, from, to time.Time) ([]KeyUsageTotal, error)
	// KeysUsage reads the buckets of some keys at one level in [from, to).
	KeysUsage(ctx context.Context, level UsageLevel, projectID string, keyIDs []string, from, to time.Time) ([]UsageRow, error)
	// PruneUsage deletes buckets of a level older than before.
	PruneUsage(ctx context.Context, level UsageLevel, before time.Time) (int64, error)
}

// Totals are verification outcomes added up.
type Totals struct {
	Successful  int64 `json:"successful"`
	Failed      int64 `json:"failed"`
	RateLimited int64 `json:"rateLimited"`
	Total       int64 `json:"total"`
}

// Add adds counts, keeping Total their sum.
func (t *Totals) Add(successful, failed, rateLimited int64) {
	t.Successful += successful
	t.Failed += failed
	t.RateLimited += rateLimited
	t.Total += successful + failed + rateLimited
}

// PeriodTotals are the totals of one period, named by its start.
type PeriodTotals struct {
	Period Time `json:"period"`
	Totals
}

// ProjectTotals answers GET /analytics/project-totals.
type ProjectTotals struct {
	ProjectID    string         `json:"projectId"`
	DateGrouping string         `json:"dateGrouping"`
	From         Time           `json:"from"`
	To           Time           `json:"to"`
	Total        Totals         `json:"total"`
	Periods      []PeriodTotals `json:"periods"`
}

// KeyTotals is one key in GET /analytics/api-key-totals.
type KeyTotals struct {
	// ID is the key's internal id, for links in the dashboard; it is not
	// part of the contract's answer.
	ID      string         `json:"-"`
	Key     APIKeySecret   `json:"key"`
	Name    string         `json:"name"`
	Total   Totals         `json:"total"`
	Periods []PeriodTotals `json:"periods"`
}

// APIKeyTotals answers GET /analytics/api-key-totals.
type APIKeyTotals struct {
	ProjectID    string      `json:"projectId"`
	DateGrouping string      `json:"dateGrouping"`
	From         Time        `json:"from"`
	To           Time        `json:"to"`
	Keys         []KeyTotals `json:"keys"`
}
