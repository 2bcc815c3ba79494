package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/keywayhq/keyway"
)

// Day summaries: each closed day of a project, all its keys' totals in one
// row of usage_day_keys, so that a ranking over 30 days reads 30 rows and
// not one per key and day. A summary is a copy of the day's key rows made
// after the day ends, stamped with the project's own totals of that day as
// read before the copy. Every flush adds to a project's row in the same
// transaction as to its keys', and counts only grow, so a day whose
// project totals still equal the stamp has exactly the key rows that were
// copied; a late count makes them differ, and that day is read from its
// rows until the summary is made again. Readers never trust a summary
// more than that.

const (
	// summarizeEvery is how often each node looks for closed days without
	// a current summary, over the last summarizeRecent; every
	// summarizeAllEvery it looks over the whole history (the first pass,
	// after an upgrade, makes every past day's).
	summarizeEvery    = 10 * time.Minute
	summarizeRecent   = 48 * time.Hour
	summarizeAllEvery = 24 * time.Hour
	// summarizeBatch is how many days one query finds.
	summarizeBatch = 100
	// summaryVersion is the first byte of an encoded summary.
	summaryVersion = 1
)

// encodeSummary packs totals sorted by key: the version and the number of
// keys, then for each key its id's length and bytes and its three counts,
// as varints.
func encodeSummary(ts []keyway.KeyUsageTotal) []byte {
	out := make([]byte, 1, 12+40*len(ts))
	out[0] = summaryVersion
	out = binary.AppendUvarint(out, uint64(len(ts)))
	for _, t := range ts {
		out = binary.AppendUvarint(out, uint64(len(t.KeyID)))
		out = append(out, t.KeyID...)
		out = binary.AppendVarint(out, t.Successful)
		out = binary.AppendVarint(out, t.Failed)
		out = binary.AppendVarint(out, t.RateLimited)
	}
	return out
}

var errBadSummary = errors.New("sqlstore: malformed usage summary")

// decodeSummary calls each with every key of an encoded summary, in order.
// The id is a slice of b, valid during the call only. Keys out of order
// are malformed too: readers merge summaries as sorted lists.
func decodeSummary(b []byte, each func(id []byte, successful, failed, rateLimited int64)) error {
	if len(b) == 0 || b[0] != summaryVersion {
		return errBadSummary
	}
	keys, w := binary.Uvarint(b[1:])
	if w <= 0 {
		return errBadSummary
	}
	b = b[1+w:]
	var prev []byte
	for ; keys > 0; keys-- {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) {
			return errBadSummary
		}
		id := b[w : w+int(n)]
		if prev != nil && string(id) <= string(prev) {
			return errBadSummary
		}
		prev, b = id, b[w+int(n):]
		var counts [3]int64
		for i := range counts {
			v, w := binary.Varint(b)
			if w <= 0 {
				return errBadSummary
			}
			counts[i], b = v, b[w:]
		}
		each(id, counts[0], counts[1], counts[2])
	}
	if len(b) > 0 {
		return errBadSummary
	}
	return nil
}

// keyTotalsSum adds up lists of totals sorted by key into one, sorted by
// key. A project's days share most of their keys: each list is walked
// along the sum in step, and only keys new to it (few, after the first
// day) are merged in apart.
type keyTotalsSum struct {
	out, fresh []keyway.KeyUsageTotal
}

// addSummary adds an encoded summary, all of it or (when it does not
// decode) nothing.
func (k *keyTotalsSum) addSummary(b []byte) error {
	if err := decodeSummary(b, func([]byte, int64, int64, int64) {}); err != nil {
		return err
	}
	i := 0
	k.fresh = k.fresh[:0]
	_ = decodeSummary(b, func(id []byte, su, f, rl int64) {
		for i < len(k.out) && k.out[i].KeyID < string(id) {
			i++
		}
		if i < len(k.out) && k.out[i].KeyID == string(id) {
			k.out[i].Add(su, f, rl)
			i++
			return
		}
		t := keyway.KeyUsageTotal{KeyID: string(id)}
		t.Add(su, f, rl)
		k.fresh = append(k.fresh, t)
	})
	k.mergeFresh()
	return nil
}

// addTotals adds totals sorted by key.
func (k *keyTotalsSum) addTotals(ts []keyway.KeyUsageTotal) {
	i := 0
	k.fresh = k.fresh[:0]
	for _, t := range ts {
		for i < len(k.out) && k.out[i].KeyID < t.KeyID {
			i++
		}
		if i < len(k.out) && k.out[i].KeyID == t.KeyID {
			k.out[i].Add(t.Successful, t.Failed, t.RateLimited)
			i++
			continue
		}
		k.fresh = append(k.fresh, t)
	}
	k.mergeFresh()
}

func (k *keyTotalsSum) mergeFresh() {
	if len(k.fresh) == 0 {
		return
	}
	if len(k.out) == 0 {
		k.out = slices.Clone(k.fresh)
		return
	}
	out := make([]keyway.KeyUsageTotal, 0, len(k.out)+len(k.fresh))
	a, b := k.out, k.fresh
	for len(a) > 0 && len(b) > 0 {
		if a[0].KeyID < b[0].KeyID {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	k.out = append(append(out, a...), b...)
}

// daysWithSummaries reads a project's days with usage in [from, to), each
// with its summary where it has a current one (NULL where it has none).
// The project's totals and the summary's stamp are compared in the one
// statement, so on one snapshot. It has no ORDER BY: SQLite would sort
// the summaries themselves, megabytes of them, to return 30 rows in order.
const daysWithSummaries = `SELECT d.at, k.keys FROM (
		SELECT at, SUM(successful) AS s, SUM(failed) AS f, SUM(rate_limited) AS r FROM usage_day
		WHERE project_id = $1 AND key_id = '' AND at >= $2 AND at < $3 GROUP BY at) d
	LEFT JOIN usage_day_keys k ON k.project_id = $1 AND k.at = d.at
		AND k.successful = d.s AND k.failed = d.f AND k.rate_limited = d.r`

// dayKeyTotals is KeyTotals by the day over a long range: the days with a
// current summary from it, the others (the day just closed, a day with a
// late count) from their rows.
func (s *Store) dayKeyTotals(ctx context.Context, projectID string, from, to time.Time) ([]keyway.KeyUsageTotal, error) {
	rows, err := s.r.QueryContext(ctx, daysWithSummaries, projectID, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("key totals: %w", err))
	}
	defer rows.Close()
	var sum keyTotalsSum
	type dayRead struct {
		at         int64
		summarized bool
	}
	var days []dayRead
	for rows.Next() {
		var at int64
		// The summary is decoded where the driver holds it, before the
		// next row: a copy would be megabytes per view.
		var keys sql.RawBytes
		if err := rows.Scan(&at, &keys); err != nil {
			return nil, keyway.Internal(fmt.Errorf("key totals: %w", err))
		}
		// A summary that does not decode was not written by this version:
		// its day is read from its rows, as if it had none.
		ok := keys != nil && sum.addSummary(keys) == nil
		days = append(days, dayRead{at, ok})
	}
	if err := rows.Err(); err != nil {
		return nil, keyway.Internal(fmt.Errorf("key totals: %w", err))
	}
	rows.Close()
	// Each run of days without a current summary is read from its rows,
	// up to the next summarized day (or to).
	slices.SortFunc(days, func(a, b dayRead) int { return cmp.Compare(a.at, b.at) })
	for i := 0; i < len(days); i++ {
		if days[i].summarized {
			continue
		}
		start, end := days[i].at, to.UnixMilli()
		for i+1 < len(days) && !days[i+1].summarized {
			i++
		}
		if i+1 < len(days) {
			end = days[i+1].at
		}
		ts, err := s.keyTotals(ctx, "usage_day", projectID, time.UnixMilli(start), time.UnixMilli(end))
		if err != nil {
			return nil, err
		}
		sum.addTotals(ts)
	}
	return sum.out, nil
}

// daysToSummarize finds the projects' days in [$1, $2) whose summary is
// missing or out of date, the latest first, through the projects' own
// rows' index by time; those before ($4, $5) in that order, so that one
// pass visits each day once (a day still written to would otherwise come
// back after each batch).
const daysToSummarize = `SELECT d.project_id, d.at, d.s, d.f, d.r FROM (
		SELECT project_id, at, SUM(successful) AS s, SUM(failed) AS f, SUM(rate_limited) AS r FROM usage_day
		WHERE key_id = '' AND at >= $1 AND at < $2 GROUP BY at, project_id) d
	LEFT JOIN usage_day_keys k ON k.project_id = d.project_id AND k.at = d.at
	WHERE (k.project_id IS NULL OR k.successful <> d.s OR k.failed <> d.f OR k.rate_limited <> d.r)
		AND (d.at < $4 OR (d.at = $4 AND d.project_id < $5))
	ORDER BY d.at DESC, d.project_id DESC LIMIT $3`

// SummarizeUsageDays makes the summary of every project's day in
// [since, before) that has none or one out of date, and returns how many
// it made. before should be a day that has ended (a summary of a day
// still counted is out of date at the next flush). Every node may run it:
// a summary made twice is the same row.
func (s *Store) SummarizeUsageDays(ctx context.Context, since, before time.Time) (int, error) {
	made := 0
	// Past the last day visited; to start, past the range's end.
	atCursor, projectCursor := before.UnixMilli(), ""
	for {
		type projectDay struct {
			project   string
			at        int64
			su, f, rl int64
		}
		var days []projectDay
		rows, err := s.r.QueryContext(ctx, daysToSummarize, since.UnixMilli(), before.UnixMilli(), summarizeBatch, atCursor, projectCursor)
		if err != nil {
			return made, keyway.Internal(fmt.Errorf("find days to summarize: %w", err))
		}
		for rows.Next() {
			var d projectDay
			if err := rows.Scan(&d.project, &d.at, &d.su, &d.f, &d.rl); err != nil {
				rows.Close()
				return made, keyway.Internal(fmt.Errorf("find days to summarize: %w", err))
			}
			days = append(days, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return made, keyway.Internal(fmt.Errorf("find days to summarize: %w", err))
		}
		for _, d := range days {
			// The stamp was read before the key rows: a flush landing in
			// between makes the copy hold more than the stamp says, and
			// such a summary is never used (the project's totals never
			// return to the stamp), only made again.
			ts, err := s.keyTotals(ctx, "usage_day", d.project, time.UnixMilli(d.at), time.UnixMilli(d.at).Add(keyway.UsageByDay.Width()))
			if err != nil {
				return made, err
			}
			_, err = s.w.ExecContext(ctx, `INSERT INTO usage_day_keys (project_id, at, successful, failed, rate_limited, keys)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, at) DO UPDATE SET
					successful = excluded.successful, failed = excluded.failed, rate_limited = excluded.rate_limited, keys = excluded.keys`,
				d.project, d.at, d.su, d.f, d.rl, encodeSummary(ts))
			if err != nil {
				return made, keyway.Internal(fmt.Errorf("summarize usage: %w", err))
			}
			made++
			atCursor, projectCursor = d.at, d.project
		}
		if len(days) < summarizeBatch {
			return made, nil
		}
	}
}

// RunUsageSummaries makes the summaries of closed days, at once and then
// every summarizeEvery until ctx ends: the last summarizeRecent's each
// time (a day just ended, a late count), the whole history's at start and
// every summarizeAllEvery.
func (s *Store) RunUsageSummaries(ctx context.Context, clock keyway.Clock, log *slog.Logger) {
	t := time.NewTicker(summarizeEvery)
	defer t.Stop()
	var lastAll time.Time
	for {
		now := clock.Now()
		today := now.UTC().Truncate(keyway.UsageByDay.Width())
		since := today.Add(-summarizeRecent)
		if lastAll.IsZero() || now.Sub(lastAll) >= summarizeAllEvery {
			since, lastAll = time.UnixMilli(0), now
		}
		run, cancel := context.WithTimeout(ctx, 10*time.Minute)
		if _, err := s.SummarizeUsageDays(run, since, today); err != nil && ctx.Err() == nil {
			log.Error("summarizing usage failed; will retry", "error", err.Error())
			lastAll = time.Time{}
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
