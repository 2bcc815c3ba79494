package sqlstore_test

// Usage buckets: RecordUsage adds batches to the minute, hour and day
// levels (per key and per project), and the reads return exactly what was
// added, on SQLite and PostgreSQL.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/sqlstore"
)

// utDay is the first day of the test data.
var utDay = time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)

var utLevels = []struct {
	level keyway.UsageLevel
	width time.Duration
}{
	{keyway.UsageByMinute, time.Minute},
	{keyway.UsageByHour, time.Hour},
	{keyway.UsageByDay, 24 * time.Hour},
}

// recordUsage records rows as one chunk of their own.
func recordUsage(ctx context.Context, s *sqlstore.Store, rows []keyway.Usage) error {
	return s.RecordUsage(ctx, keyway.UsageChunk{ID: uniqueID("uc"), At: keyway.NewTime(time.Now()), Rows: rows})
}

// utUsage is one key-minute of a batch.
func utUsage(k *keyway.APIKey, minute time.Time, successful, failed, rateLimited int64) keyway.Usage {
	u := keyway.Usage{KeyID: k.ID, ProjectID: k.ProjectID, AccountID: k.AccountID, At: keyway.Time{Time: minute},
		Successful: successful, Failed: failed, RateLimited: rateLimited}
	if successful > 0 {
		u.LastSuccess = keyway.NewTime(minute.Add(17 * time.Second))
	}
	return u
}

// utBucket names one stored row.
type utBucket struct {
	projectID, keyID string
	at               time.Time
}

// utModel is what the store should hold: every recorded batch added to
// every level, per key and (key "") per project; unknown-key rows (no
// project, no key) only as themselves.
type utModel map[keyway.UsageLevel]map[utBucket]*keyway.UsageRow

func (m utModel) add(batch ...keyway.Usage) {
	for _, u := range batch {
		for _, l := range utLevels {
			if m[l.level] == nil {
				m[l.level] = map[utBucket]*keyway.UsageRow{}
			}
			// Keys have no minute rows; their projects do.
			owners := []string{""}
			if u.KeyID != "" && l.level != keyway.UsageByMinute {
				owners = append(owners, u.KeyID)
			}
			at := u.At.Time.UTC().Truncate(l.width)
			for _, key := range owners {
				b := utBucket{u.ProjectID, key, at}
				r := m[l.level][b]
				if r == nil {
					r = &keyway.UsageRow{KeyID: key, At: at}
					m[l.level][b] = r
				}
				r.Successful += u.Successful
				r.Failed += u.Failed
				r.RateLimited += u.RateLimited
			}
		}
	}
}

// rows are the model's rows of a level matching keep, sorted by key then time.
func (m utModel) rows(level keyway.UsageLevel, keep func(utBucket) bool) []keyway.UsageRow {
	var out []keyway.UsageRow
	for b, r := range m[level] {
		if keep(b) {
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, b keyway.UsageRow) int {
		if c := strings.Compare(a.KeyID, b.KeyID); c != 0 {
			return c
		}
		return a.At.Compare(b.At)
	})
	return out
}

func utInWindow(at, from, to time.Time) bool { return !at.Before(from) && at.Before(to) }

// utRows makes rows comparable with reflect.DeepEqual (UTC, no nil/empty
// distinction).
func utRows(rows []keyway.UsageRow) []keyway.UsageRow {
	out := make([]keyway.UsageRow, 0, len(rows))
	for _, r := range rows {
		r.At = r.At.UTC()
		out = append(out, r)
	}
	return out
}

func utRecord(t *testing.T, s *sqlstore.Store, m utModel, batch ...keyway.Usage) {
	t.Helper()
	check(t, recordUsage(ctx, s, batch))
	m.add(batch...)
}

// Two keys of one project, and a key of another project, across minutes,
// hours and days; two batches add to the same minute as two nodes would;
// an account's unknown-key row on the side. Every level reads back exactly
// the sums, the project row is the sum of its keys, [from, to) is
// half-open, and neither the other project nor the unknown-key row leaks
// into the project's reads.
func TestUsageRecordAndReadLevels(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		acc := newAccount(t, s)
		p := newProject(t, s, acc.ID, at(0))
		other := newProject(t, s, acc.ID, at(0))
		a, b, c := minimalAPIKey(p, at(1)), minimalAPIKey(p, at(2)), minimalAPIKey(other, at(3))
		for _, k := range []*keyway.APIKey{a, b, c} {
			check(t, s.CreateAPIKey(ctx, k))
		}
		d := utDay
		m := utModel{}
		// Node 1's flush.
		utRecord(t, s, m,
			utUsage(a, d.Add(10*time.Hour+5*time.Minute), 3, 1, 0),
			utUsage(a, d.Add(10*time.Hour+59*time.Minute), 1, 0, 2),
			utUsage(b, d.Add(10*time.Hour+5*time.Minute), 7, 0, 0),
			utUsage(c, d.Add(10*time.Hour+5*time.Minute), 100, 0, 0),
			keyway.Usage{AccountID: acc.ID, At: keyway.Time{Time: d.Add(10*time.Hour + 5*time.Minute)}, Failed: 9},
		)
		// Node 2's flush: the same minutes add up.
		utRecord(t, s, m,
			utUsage(a, d.Add(10*time.Hour+5*time.Minute), 2, 0, 1),
			utUsage(b, d.Add(10*time.Hour+5*time.Minute), 0, 4, 0),
			keyway.Usage{AccountID: acc.ID, At: keyway.Time{Time: d.Add(10*time.Hour + 5*time.Minute)}, Failed: 1},
		)
		// Later hours and days, and one batch holding a key-minute twice.
		utRecord(t, s, m,
			utUsage(a, d.Add(11*time.Hour), 4, 0, 0),
			utUsage(b, d.Add(23*time.Hour+59*time.Minute), 0, 3, 1),
			utUsage(a, d.Add(24*time.Hour), 5, 2, 0),
			utUsage(a, d.Add(24*time.Hour), 1, 0, 0),
			utUsage(b, d.Add(60*time.Hour+30*time.Minute), 1, 0, 0),
		)
		check(t, recordUsage(ctx, s, nil)) // an empty batch is fine

		all := func(from, to time.Time) func(utBucket) bool {
			return func(bk utBucket) bool { return bk.projectID == p.ID && utInWindow(bk.at, from, to) }
		}
		windows := []struct{ from, to time.Time }{
			{d.AddDate(0, 0, -1), d.AddDate(0, 0, 5)},                    // everything
			{d.Add(10*time.Hour + 5*time.Minute), d.Add(11 * time.Hour)}, // from is in, to is out
			{d.Add(10*time.Hour + 6*time.Minute), d.Add(24 * time.Hour)},
			{d.Add(24 * time.Hour), d.Add(72 * time.Hour)},
			{d.AddDate(0, 0, 3), d.AddDate(0, 0, 4)}, // nothing
		}
		for _, l := range utLevels {
			for _, w := range windows {
				name := fmt.Sprintf("%s level, [%s, %s)", l.level, w.from.Format(time.RFC3339), w.to.Format(time.RFC3339))
				got, err := s.ProjectUsage(ctx, l.level, p.ID, w.from, w.to)
				check(t, err)
				want := m.rows(l.level, func(bk utBucket) bool { return bk.keyID == "" && all(w.from, w.to)(bk) })
				mustEqual(t, "ProjectUsage "+name, utRows(got), utRows(want))

				got, err = s.KeysUsage(ctx, l.level, p.ID, []string{b.ID, a.ID, c.ID, "no-such-key"}, w.from, w.to)
				check(t, err)
				want = m.rows(l.level, func(bk utBucket) bool { return bk.keyID != "" && all(w.from, w.to)(bk) })
				mustEqual(t, "KeysUsage "+name, utRows(got), utRows(want))

				// The project's row of each bucket is the sum of its keys'
				// (which have none by the minute).
				if l.level == keyway.UsageByMinute {
					if len(got) != 0 {
						t.Errorf("%s: %d key rows by the minute, want none", name, len(got))
					}
					continue
				}
				sum := map[time.Time]keyway.UsageRow{}
				for _, r := range got {
					x := sum[r.At.UTC()]
					x.Successful += r.Successful
					x.Failed += r.Failed
					x.RateLimited += r.RateLimited
					sum[r.At.UTC()] = x
				}
				proj, err := s.ProjectUsage(ctx, l.level, p.ID, w.from, w.to)
				check(t, err)
				if len(proj) != len(sum) {
					t.Errorf("%s: %d project rows, %d buckets with key rows", name, len(proj), len(sum))
				}
				for _, r := range proj {
					x := sum[r.At.UTC()]
					if r.KeyID != "" || r.Successful != x.Successful || r.Failed != x.Failed || r.RateLimited != x.RateLimited {
						t.Errorf("%s: project row %+v, its keys add up to %+v", name, r, x)
					}
				}
			}
		}

		// Hand-computed spot checks, so the model cannot be wrong with
		// the store.
		day, err := s.ProjectUsage(ctx, keyway.UsageByDay, p.ID, d, d.AddDate(0, 0, 5))
		check(t, err)
		mustEqual(t, "project days", utRows(day), []keyway.UsageRow{
			{At: d, Successful: 3 + 1 + 7 + 2 + 4, Failed: 1 + 4 + 3, RateLimited: 2 + 1 + 1},
			{At: d.AddDate(0, 0, 1), Successful: 6, Failed: 2},
			{At: d.AddDate(0, 0, 2), Successful: 1},
		})
		hour, err := s.KeysUsage(ctx, keyway.UsageByHour, p.ID, []string{a.ID}, d, d.AddDate(0, 0, 1))
		check(t, err)
		mustEqual(t, "key a's hours", utRows(hour), []keyway.UsageRow{
			{KeyID: a.ID, At: d.Add(10 * time.Hour), Successful: 6, Failed: 1, RateLimited: 3},
			{KeyID: a.ID, At: d.Add(11 * time.Hour), Successful: 4},
		})
		minute, err := s.ProjectUsage(ctx, keyway.UsageByMinute, p.ID, d.Add(10*time.Hour+5*time.Minute), d.Add(10*time.Hour+6*time.Minute))
		check(t, err)
		mustEqual(t, "one minute of both keys (two nodes' batches added)", utRows(minute), []keyway.UsageRow{
			{At: d.Add(10*time.Hour + 5*time.Minute), Successful: 5 + 7, Failed: 1 + 4, RateLimited: 1},
		})

		// The other project sees only its key.
		op, err := s.ProjectUsage(ctx, keyway.UsageByDay, other.ID, d, d.AddDate(0, 0, 5))
		check(t, err)
		mustEqual(t, "other project's days", utRows(op), []keyway.UsageRow{{At: d, Successful: 100}})
		none, err := s.KeysUsage(ctx, keyway.UsageByDay, p.ID, []string{c.ID}, d, d.AddDate(0, 0, 5))
		check(t, err)
		if len(none) != 0 {
			t.Errorf("KeysUsage of another project's key through p: %+v", none)
		}
		if none, err := s.KeysUsage(ctx, keyway.UsageByDay, p.ID, nil, d, d.AddDate(0, 0, 5)); err != nil || len(none) != 0 {
			t.Errorf("KeysUsage of no keys: %+v, %v", none, err)
		}
		// Unknown-key rows never show in a project's reads, nor rank.
		ranked, err := s.KeyTotals(ctx, keyway.UsageByDay, p.ID, d, d.AddDate(0, 0, 5))
		check(t, err)
		for _, r := range ranked {
			if r.KeyID == "" {
				t.Errorf("KeyTotals adds up a row without a key: %+v", r)
			}
		}
		if len(ranked) != 2 {
			t.Errorf("KeyTotals: %d keys, want a and b: %+v", len(ranked), ranked)
		}

		// Levels other than the three are refused.
		if _, err := s.ProjectUsage(ctx, "week", p.ID, d, d.AddDate(0, 0, 5)); err == nil {
			t.Error("ProjectUsage at level \"week\": no error")
		}

		// The keys' last use moved to their latest success.
		ka, err := s.APIKey(ctx, a.AccountID, a.Key.Reveal())
		check(t, err)
		if want := keyway.NewTime(d.Add(24*time.Hour + 17*time.Second)); ka.LastUsedAt == nil || !ka.LastUsedAt.Equal(want.Time) {
			t.Errorf("key a lastUsedAt %v, want %v", ka.LastUsedAt, want)
		}
	})
}

// A failing batch adds nothing: a batch counts once or not at all.
func TestUsageRecordIsAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		acc := newAccount(t, s)
		p := newProject(t, s, acc.ID, at(0))
		k := minimalAPIKey(p, at(1))
		check(t, s.CreateAPIKey(ctx, k))
		d := utDay.Add(9 * time.Hour)
		check(t, recordUsage(ctx, s, []keyway.Usage{utUsage(k, d, 1, 0, 0)}))
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := recordUsage(cancelled, s, []keyway.Usage{utUsage(k, d, 5, 0, 0), utUsage(k, d.Add(time.Hour), 5, 0, 0)}); err == nil {
			t.Fatal("RecordUsage with a cancelled context: no error")
		}
		// A batch whose second row fails halfway through the transaction
		// (its counter would overflow) leaves the first row unadded too.
		far := utDay.AddDate(0, 0, 3)
		check(t, recordUsage(ctx, s, []keyway.Usage{utUsage(k, far, math.MaxInt64-1, 0, 0)}))
		if err := recordUsage(ctx, s, []keyway.Usage{utUsage(k, d, 5, 0, 0), utUsage(k, far, 5, 0, 0)}); err == nil {
			t.Fatal("RecordUsage overflowing a counter: no error")
		}
		for _, l := range utLevels {
			rows, err := s.ProjectUsage(ctx, l.level, p.ID, utDay, utDay.AddDate(0, 0, 1))
			check(t, err)
			mustEqual(t, string(l.level)+" rows after failed batches", utRows(rows), []keyway.UsageRow{{At: d.Truncate(l.width), Successful: 1}})
			if l.level == keyway.UsageByMinute {
				continue // keys have no minute rows
			}
			rows, err = s.KeysUsage(ctx, l.level, p.ID, []string{k.ID}, utDay, utDay.AddDate(0, 0, 1))
			check(t, err)
			mustEqual(t, string(l.level)+" key rows after failed batches", utRows(rows), []keyway.UsageRow{{KeyID: k.ID, At: d.Truncate(l.width), Successful: 1}})
		}
	})
}

// KeyTotals adds up each key's buckets of a project in the window, in key
// order, whether the window is a bucket or two (read through the
// (project_id, at) index and added up in Go) or longer (added up by the
// database), and ignores usage outside the window and of other projects.
// The ranking built on it is tested in service/keyranks_test.go.
func TestUsageKeyTotals(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		acc := newAccount(t, s)
		p := newProject(t, s, acc.ID, at(0))
		other := newProject(t, s, acc.ID, at(0))
		d := utDay
		totals := []int64{50, 40, 40, 40, 10, 5, 1}
		var batch []keyway.Usage
		var want, wantDay1, wantHour1 []keyway.KeyUsageTotal
		for i, n := range totals {
			k := minimalAPIKey(p, at(i+1))
			check(t, s.CreateAPIKey(ctx, k))
			// Spread over two days and all three outcomes.
			su, f := n/2, n/4
			rl := n - su - f
			batch = append(batch,
				utUsage(k, d.Add(time.Duration(i)*time.Hour), su, 0, 0),
				utUsage(k, d.Add(30*time.Hour), 0, f, rl),
				// Outside the windows: must not count.
				utUsage(k, d.AddDate(0, 0, -3), 1000, 0, 0),
				utUsage(k, d.AddDate(0, 0, 5), 1000, 0, 0),
			)
			var kt, day1 keyway.KeyUsageTotal
			kt.KeyID, day1.KeyID = k.ID, k.ID
			kt.Add(su, f, rl)
			day1.Add(su, 0, 0)
			want, wantDay1 = append(want, kt), append(wantDay1, day1)
			if i == 0 { // the first hour's only key
				wantHour1 = append(wantHour1, day1)
			}
		}
		// A busier key of another project, and unknown keys of the account.
		ok := minimalAPIKey(other, at(99))
		check(t, s.CreateAPIKey(ctx, ok))
		batch = append(batch, utUsage(ok, d.Add(time.Hour), 10_000, 0, 0),
			keyway.Usage{AccountID: acc.ID, At: keyway.Time{Time: d.Add(time.Hour)}, Failed: 10_000})
		rand.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		check(t, recordUsage(ctx, s, batch))
		byKey := func(ts []keyway.KeyUsageTotal) []keyway.KeyUsageTotal {
			return slices.SortedFunc(slices.Values(ts), func(a, b keyway.KeyUsageTotal) int { return strings.Compare(a.KeyID, b.KeyID) })
		}
		want, wantDay1 = byKey(want), byKey(wantDay1)

		for _, c := range []struct {
			name     string
			level    keyway.UsageLevel
			from, to time.Time
			want     []keyway.KeyUsageTotal
		}{
			// Two days at most are read by time, longer by key.
			{"two days by the day (short)", keyway.UsageByDay, d, d.AddDate(0, 0, 2), want},
			{"two days by the hour (short)", keyway.UsageByHour, d, d.AddDate(0, 0, 2), want},
			{"four days by the day (long)", keyway.UsageByDay, d.AddDate(0, 0, -1), d.AddDate(0, 0, 3), want},
			{"four days by the hour (long)", keyway.UsageByHour, d.AddDate(0, 0, -1), d.AddDate(0, 0, 3), want},
			{"ten days by the day (long)", keyway.UsageByDay, d.AddDate(0, 0, -4), d.AddDate(0, 0, 6), nil},
			{"the first day by the day (short)", keyway.UsageByDay, d, d.AddDate(0, 0, 1), wantDay1},
			{"the first day by the hour (short)", keyway.UsageByHour, d, d.AddDate(0, 0, 1), wantDay1},
			{"its first hour (short)", keyway.UsageByHour, d, d.Add(time.Hour), wantHour1},
		} {
			got, err := s.KeyTotals(ctx, c.level, p.ID, c.from, c.to)
			check(t, err)
			if c.want == nil {
				if len(got) != len(totals) {
					t.Errorf("%s: %d keys, want %d", c.name, len(got), len(totals))
				}
				for _, g := range got {
					if g.Successful < 2000 {
						t.Errorf("%s: %+v misses the days around the window", c.name, g)
					}
				}
				continue
			}
			mustEqual(t, c.name, got, c.want)
		}
	})
}

// PruneUsage deletes one level's buckets older than before, and only them.
func TestUsagePruneOnlyOlderRows(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		acc := newAccount(t, s)
		p := newProject(t, s, acc.ID, at(0))
		k := minimalAPIKey(p, at(1))
		check(t, s.CreateAPIKey(ctx, k))
		d := utDay
		m := utModel{}
		utRecord(t, s, m,
			utUsage(k, d.Add(10*time.Hour), 1, 0, 0),
			utUsage(k, d.Add(10*time.Hour+59*time.Minute), 2, 0, 0),
			utUsage(k, d.Add(11*time.Hour), 4, 0, 0),
			utUsage(k, d.Add(36*time.Hour), 8, 0, 0),
			keyway.Usage{AccountID: acc.ID, At: keyway.Time{Time: d.Add(10 * time.Hour)}, Failed: 16},
			keyway.Usage{AccountID: acc.ID, At: keyway.Time{Time: d.Add(11 * time.Hour)}, Failed: 32},
		)
		cut := d.Add(11 * time.Hour)
		// Minute rows before 11:00: the project's of 10:00 and 10:59, and
		// the unknown-key row of 10:00.
		n, err := s.PruneUsage(ctx, keyway.UsageByMinute, cut)
		check(t, err)
		if n != 3 {
			t.Errorf("PruneUsage(minute, 11:00) deleted %d rows, want 3", n)
		}
		if n, err := s.PruneUsage(ctx, keyway.UsageByMinute, cut); err != nil || n != 0 {
			t.Errorf("pruning again: %d rows, %v; want 0", n, err)
		}
		win := func(level keyway.UsageLevel) []keyway.UsageRow {
			rows, err := s.KeysUsage(ctx, level, p.ID, []string{k.ID}, d.AddDate(0, 0, -1), d.AddDate(0, 0, 3))
			check(t, err)
			return utRows(rows)
		}
		proj, err := s.ProjectUsage(ctx, keyway.UsageByMinute, p.ID, d.AddDate(0, 0, -1), d.AddDate(0, 0, 3))
		check(t, err)
		mustEqual(t, "project minutes kept", utRows(proj), []keyway.UsageRow{
			{At: d.Add(11 * time.Hour), Successful: 4},
			{At: d.Add(36 * time.Hour), Successful: 8},
		})
		// Other levels are untouched.
		keep := func(bk utBucket) bool { return bk.projectID == p.ID && bk.keyID == k.ID }
		mustEqual(t, "hours untouched", win(keyway.UsageByHour), utRows(m.rows(keyway.UsageByHour, keep)))
		mustEqual(t, "days untouched", win(keyway.UsageByDay), utRows(m.rows(keyway.UsageByDay, keep)))

		// Hours: before the day after, all but the 12:00 of day 2 go (key,
		// project: 10:00, 11:00).
		n, err = s.PruneUsage(ctx, keyway.UsageByHour, d.AddDate(0, 0, 1))
		check(t, err)
		if n != 2*2+2 { // key and project at 10:00 and 11:00, unknown at 10:00 and 11:00
			t.Errorf("PruneUsage(hour, day 2) deleted %d rows, want 6", n)
		}
		mustEqual(t, "hours kept", win(keyway.UsageByHour), []keyway.UsageRow{{KeyID: k.ID, At: d.Add(36 * time.Hour), Successful: 8}})
		mustEqual(t, "days still untouched", win(keyway.UsageByDay), utRows(m.rows(keyway.UsageByDay, keep)))
		// A bucket starting exactly at before stays.
		n, err = s.PruneUsage(ctx, keyway.UsageByDay, d)
		check(t, err)
		if n != 0 {
			t.Errorf("PruneUsage(day, first day) deleted %d rows, want 0", n)
		}
		if _, err := s.PruneUsage(ctx, "year", d); err == nil {
			t.Error("PruneUsage at level \"year\": no error")
		}
	})
}

// Nodes flush concurrently: batches touching the same keys and project rows
// (in different orders, as each node's batch comes from a map) all commit,
// and the sums are exact.
func TestUsageConcurrentBatchesAdd(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		acc := newAccount(t, s)
		p := newProject(t, s, acc.ID, at(0))
		var keys []*keyway.APIKey
		for i := range 6 {
			k := minimalAPIKey(p, at(i+1))
			check(t, s.CreateAPIKey(ctx, k))
			keys = append(keys, k)
		}
		const nodes, flushes = 3, 5
		minutes := []time.Time{utDay.Add(10 * time.Hour), utDay.Add(10*time.Hour + time.Minute), utDay.Add(34 * time.Hour)}
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			m      = utModel{}
			failed []error
		)
		for n := range nodes {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(n), 7))
				for range flushes {
					var batch []keyway.Usage
					for _, k := range keys {
						for _, mi := range minutes {
							batch = append(batch, utUsage(k, mi, rng.Int64N(5)+1, rng.Int64N(3), rng.Int64N(2)))
						}
					}
					batch = append(batch, keyway.Usage{AccountID: acc.ID, At: keyway.Time{Time: minutes[0]}, Failed: 1})
					rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
					err := recordUsage(ctx, s, batch)
					mu.Lock()
					if err != nil {
						failed = append(failed, err)
					} else {
						m.add(batch...)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(failed) > 0 {
			// Batches listing the same rows in different orders must not
			// deadlock on PostgreSQL: RecordUsage writes rows in one order.
			t.Errorf("%d of %d concurrent batches failed, e.g. %v", len(failed), nodes*flushes, errors.Join(failed[:min(2, len(failed))]...))
		}
		for _, l := range utLevels {
			from, to := utDay, utDay.AddDate(0, 0, 3)
			got, err := s.ProjectUsage(ctx, l.level, p.ID, from, to)
			check(t, err)
			mustEqual(t, string(l.level)+" project rows", utRows(got), utRows(m.rows(l.level, func(bk utBucket) bool { return bk.projectID == p.ID && bk.keyID == "" })))
			ids := make([]string, len(keys))
			for i, k := range keys {
				ids[i] = k.ID
			}
			got, err = s.KeysUsage(ctx, l.level, p.ID, ids, from, to)
			check(t, err)
			mustEqual(t, string(l.level)+" key rows", utRows(got), utRows(m.rows(l.level, func(bk utBucket) bool { return bk.projectID == p.ID && bk.keyID != "" })))
		}
	})
}
