package service

import (
	"cmp"
	"container/heap"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/errgroup"
)

// keyRanks ranks a project's keys by their usage in a window. Adding up
// every key's buckets costs a row per key and bucket (10,000 keys used
// daily are 300,000 rows for 30 days; the store reads a closed day's from
// its summary, one row), but only the bucket still being counted changes
// from one view to the next: the totals of the window's other buckets are
// kept per window, and each view reads the current bucket's rows alone
// and adds them in.
//
// What is kept stays exact. With it is kept the project's own total row of
// each of those buckets, read before the keys' rows. Every flush that adds
// to a key's bucket adds to its project's in the same transaction, and
// counts only grow (retention only deletes), so the project's rows read
// the same again exactly when no key's row changed since; a late count, a
// pruned day or a flush that landed between the two reads makes them
// differ, and the kept totals are read again. Each node keeps its own.
type keyRanks struct {
	usage keyway.UsageStore
	now   func() time.Time
	kept  *otter.Cache[rankWindow, *keptRanks]
}

type rankWindow struct {
	level          keyway.UsageLevel
	project        string
	from, to, open int64 // open: where the bucket still being counted starts
}

type keptRanks struct {
	stamp  []keyway.UsageRow      // the project's rows in [from, open)
	totals []keyway.KeyUsageTotal // the keys' totals in [from, open), by key
}

// keptRanksBytes bounds the memory of what is kept, on each node; a
// project whose totals alone weigh more is added up on every view.
const (
	keptRanksBytes = 64 << 20
	keptRanksIdle  = 15 * time.Minute
)

func newKeyRanks(usage keyway.UsageStore, now func() time.Time) *keyRanks {
	return &keyRanks{usage: usage, now: now, kept: otter.Must(&otter.Options[rankWindow, *keptRanks]{
		MaximumWeight: keptRanksBytes,
		Weigher: func(w rankWindow, k *keptRanks) uint32 {
			return uint32(min(64+len(w.project)+48*len(k.stamp)+(40+48)*len(k.totals), 1<<31))
		},
		ExpiryCalculator: otter.ExpiryAccessing[rankWindow, *keptRanks](keptRanksIdle),
	})}
}

// rank is the top keys with usage in [from, to) with their totals, most
// used first, ties by key id: every one of them when top is 0.
func (r *keyRanks) rank(ctx context.Context, level keyway.UsageLevel, project string, from, to time.Time, top int) ([]keyway.KeyUsageTotal, error) {
	open := r.now().UTC().Truncate(level.Width())
	if open.Before(from) {
		open = from
	}
	if open.After(to) {
		open = to
	}
	w := rankWindow{level, project, from.UnixMilli(), to.UnixMilli(), open.UnixMilli()}
	// The closed buckets and the current one are read at once, on two
	// connections: on a first view each is about half of the time.
	var closed, current []keyway.KeyUsageTotal
	g, gctx := errgroup.WithContext(ctx)
	if open.After(from) {
		g.Go(func() error {
			stamp, err := r.usage.ProjectUsage(gctx, level, project, from, open)
			if err != nil {
				return err
			}
			if k, ok := r.kept.GetIfPresent(w); ok && slices.EqualFunc(k.stamp, stamp, sameRow) {
				closed = k.totals
				return nil
			}
			if closed, err = r.usage.KeyTotals(gctx, level, project, from, open); err != nil {
				return err
			}
			r.kept.Set(w, &keptRanks{stamp: stamp, totals: closed})
			return nil
		})
	}
	if open.Before(to) {
		g.Go(func() error {
			var err error
			current, err = r.usage.KeyTotals(gctx, level, project, open, to)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return topTotals(mergeTotals(closed, current), top), nil
}

// mergeTotals adds up two lists of totals sorted by key into a new one.
// Kept totals are shared between views, so neither is changed.
func mergeTotals(a, b []keyway.KeyUsageTotal) []keyway.KeyUsageTotal {
	out := make([]keyway.KeyUsageTotal, 0, max(len(a), len(b)))
	for len(a) > 0 && len(b) > 0 {
		switch c := strings.Compare(a[0].KeyID, b[0].KeyID); {
		case c < 0:
			out, a = append(out, a[0]), a[1:]
		case c > 0:
			out, b = append(out, b[0]), b[1:]
		default:
			t := a[0]
			t.Add(b[0].Successful, b[0].Failed, b[0].RateLimited)
			out, a, b = append(out, t), a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// byRank orders totals most used first, ties by key id.
func byRank(a, b keyway.KeyUsageTotal) int {
	return cmp.Or(cmp.Compare(b.Total, a.Total), strings.Compare(a.KeyID, b.KeyID))
}

// topTotals orders ts by rank, in place, and cuts it to the first top
// (all when top is 0). A page of a ranking needs its first few only: they
// are picked with a bounded heap, at most top entries, instead of sorting
// every key.
func topTotals(ts []keyway.KeyUsageTotal, top int) []keyway.KeyUsageTotal {
	if top <= 0 || top >= len(ts)/2 {
		slices.SortFunc(ts, byRank)
		if top > 0 && top < len(ts) {
			ts = ts[:top]
		}
		return ts
	}
	// The best top seen so far, its worst at the root: a better entry
	// takes the root's place. Only heap.Fix is called, so nothing is boxed.
	h := worstFirst(ts[:top:top])
	heap.Init(&h)
	for _, t := range ts[top:] {
		if byRank(t, h[0]) < 0 {
			h[0] = t
			heap.Fix(&h, 0)
		}
	}
	slices.SortFunc(h, byRank)
	return h
}

// worstFirst is a heap of totals whose root ranks last.
type worstFirst []keyway.KeyUsageTotal

func (h worstFirst) Len() int           { return len(h) }
func (h worstFirst) Less(i, j int) bool { return byRank(h[i], h[j]) > 0 }
func (h worstFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worstFirst) Push(x any)        { *h = append(*h, x.(keyway.KeyUsageTotal)) }
func (h *worstFirst) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// page is one page of the ranking of [from, to); the cursor is the offset
// of the next.
func (r *keyRanks) page(ctx context.Context, level keyway.UsageLevel, project string, from, to time.Time, page keyway.Page) ([]keyway.KeyUsageTotal, string, error) {
	limit := page.Size()
	offset := max(page.Offset, 0)
	if page.Cursor != nil && *page.Cursor != "" {
		n, err := strconv.Atoi(*page.Cursor)
		if err != nil || n < 0 {
			return nil, "", keyway.Invalid("cursor is not valid")
		}
		offset = n
	}
	// No project has a billion keys: a larger offset is past the end, and
	// bounding it keeps offset+limit from overflowing.
	offset = min(offset, 1<<30)
	// One more than the page, to know whether another follows.
	ranked, err := r.rank(ctx, level, project, from, to, offset+limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ranked) > offset+limit && page.Cursor != nil {
		next = strconv.Itoa(offset + limit)
	}
	return ranked[min(offset, len(ranked)):min(offset+limit, len(ranked))], next, nil
}

func sameRow(a, b keyway.UsageRow) bool {
	return a.KeyID == b.KeyID && a.At.Equal(b.At) && a.Successful == b.Successful && a.Failed == b.Failed && a.RateLimited == b.RateLimited
}
