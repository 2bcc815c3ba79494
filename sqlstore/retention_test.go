package sqlstore_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/sqlstore"
)

// RunUsagePruning prunes at once, by its clock, each level by its own
// retention, and keeps a level whose retention is zero.
func TestRunUsagePruning(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		acc := newAccount(t, s)
		p := newProject(t, s, acc.ID, at(0))
		k := minimalAPIKey(p, at(1))
		check(t, s.CreateAPIKey(ctx, k))
		d := utDay
		utRecord(t, s, utModel{}, utUsage(k, d.Add(10*time.Hour), 1, 0, 0), utUsage(k, d.Add(11*time.Hour+30*time.Minute), 2, 0, 0))
		clock := keywaytest.NewClock()
		clock.Set(d.Add(12 * time.Hour))
		run, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.RunUsagePruning(run, sqlstore.UsageRetention{Minute: time.Hour}, clock, slog.New(slog.DiscardHandler))
		}()
		defer func() { cancel(); <-done }()
		rows := func(level keyway.UsageLevel) []keyway.UsageRow {
			r, err := s.ProjectUsage(ctx, level, p.ID, d.AddDate(0, 0, -1), d.AddDate(0, 0, 1))
			check(t, err)
			return utRows(r)
		}
		keywaytest.Eventually(t, "the minute of 10:00 pruned", func() bool { return len(rows(keyway.UsageByMinute)) == 1 })
		mustEqual(t, "minutes kept", rows(keyway.UsageByMinute), []keyway.UsageRow{{At: d.Add(11*time.Hour + 30*time.Minute), Successful: 2}})
		mustEqual(t, "hours kept", rows(keyway.UsageByHour), []keyway.UsageRow{{At: d.Add(10 * time.Hour), Successful: 1}, {At: d.Add(11 * time.Hour), Successful: 2}})
	})
}
