package sqlstore_test

// Day summaries (usage_summary.go) are a copy: with them made, missing,
// out of date or made again, KeyTotals answers exactly what the day rows
// hold, for every long window, on both engines.

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/sqlstore"
)

// utKeyTotals is the model's totals per key of a project's day rows in
// [from, to), in key order.
func utKeyTotals(m utModel, projectID string, from, to time.Time) []keyway.KeyUsageTotal {
	byKey := map[string]*keyway.KeyUsageTotal{}
	for b, r := range m[keyway.UsageByDay] {
		if b.projectID != projectID || b.keyID == "" || !utInWindow(b.at, from, to) {
			continue
		}
		t := byKey[b.keyID]
		if t == nil {
			t = &keyway.KeyUsageTotal{KeyID: b.keyID}
			byKey[b.keyID] = t
		}
		t.Add(r.Successful, r.Failed, r.RateLimited)
	}
	out := []keyway.KeyUsageTotal{}
	for _, t := range byKey {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b keyway.KeyUsageTotal) int { return strings.Compare(a.KeyID, b.KeyID) })
	return out
}

func TestUsageDaySummaries(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		acc := newAccount(t, s)
		p := newProject(t, s, acc.ID, at(0))
		other := newProject(t, s, acc.ID, at(0))
		var keys []*keyway.APIKey
		for i := range 6 {
			proj := p
			if i == 5 {
				proj = other
			}
			k := minimalAPIKey(proj, at(i+1))
			check(t, s.CreateAPIKey(ctx, k))
			keys = append(keys, k)
		}
		d := utDay
		m := utModel{}
		// Ten days; not every key every day, and day 4 not at all.
		r := rand.New(rand.NewPCG(1, 2))
		var batch []keyway.Usage
		for day := range 10 {
			if day == 4 {
				continue
			}
			for i, k := range keys {
				if (day+i)%3 == 0 {
					continue
				}
				batch = append(batch, utUsage(k, d.AddDate(0, 0, day).Add(time.Duration(r.IntN(24*60))*time.Minute),
					r.Int64N(100), r.Int64N(10), r.Int64N(5)))
			}
		}
		utRecord(t, s, m, batch...)
		// Every long window, from a day before the data to a day after it.
		checkWindows := func(when string) {
			t.Helper()
			for from := -1; from <= 11; from++ {
				for to := from + 3; to <= 11; to++ {
					f, e := d.AddDate(0, 0, from), d.AddDate(0, 0, to)
					got, err := s.KeyTotals(ctx, keyway.UsageByDay, p.ID, f, e)
					check(t, err)
					if got == nil {
						got = []keyway.KeyUsageTotal{}
					}
					mustEqual(t, when+": days "+f.Format("02")+" to "+e.Format("02"), got, utKeyTotals(m, p.ID, f, e))
				}
			}
		}
		checkWindows("no summaries")

		// Days 0 to 8 closed: 8 days with usage in p, 6 in the other.
		made, err := s.SummarizeUsageDays(ctx, time.UnixMilli(0), d.AddDate(0, 0, 9))
		check(t, err)
		mustEqual(t, "summaries made", made, 14)
		made, err = s.SummarizeUsageDays(ctx, time.UnixMilli(0), d.AddDate(0, 0, 9))
		check(t, err)
		mustEqual(t, "summaries made again with nothing new", made, 0)
		checkWindows("summaries of days 0 to 8")

		// Late counts on two summarized days and on the open one.
		utRecord(t, s, m, utUsage(keys[0], d.AddDate(0, 0, 2), 7, 1, 1), utUsage(keys[3], d.AddDate(0, 0, 6), 0, 3, 0),
			utUsage(keys[1], d.AddDate(0, 0, 9), 5, 0, 0))
		checkWindows("late counts on days 2 and 6")
		made, err = s.SummarizeUsageDays(ctx, time.UnixMilli(0), d.AddDate(0, 0, 9))
		check(t, err)
		mustEqual(t, "summaries made again after late counts", made, 2)
		checkWindows("summaries made again")

		// Day 9 closes; the days before 3 are pruned, their summaries too.
		made, err = s.SummarizeUsageDays(ctx, d.AddDate(0, 0, 8), d.AddDate(0, 0, 10))
		check(t, err)
		mustEqual(t, "the new closed day's summaries", made, 2)
		_, err = s.PruneUsage(ctx, keyway.UsageByDay, d.AddDate(0, 0, 3))
		check(t, err)
		for b := range m[keyway.UsageByDay] {
			if b.at.Before(d.AddDate(0, 0, 3)) {
				delete(m[keyway.UsageByDay], b)
			}
		}
		checkWindows("after pruning")
		made, err = s.SummarizeUsageDays(ctx, time.UnixMilli(0), d.AddDate(0, 0, 10))
		check(t, err)
		mustEqual(t, "summaries made after pruning", made, 0)

		// A project of another account sees none of it.
		got, err := s.KeyTotals(ctx, keyway.UsageByDay, other.ID, d, d.AddDate(0, 0, 10))
		check(t, err)
		for _, g := range got {
			if g.KeyID != keys[5].ID {
				t.Errorf("the other project's totals hold %s", g.KeyID)
			}
		}
	})
}
