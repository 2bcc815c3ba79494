package sqlstore

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
)

// umUsageLevelsVersion is migration 00009_usage_levels.
const umUsageLevelsVersion = 9

// umRow is one row of a usage table, in its stored form.
type umRow struct {
	ProjectID, KeyID, AccountID string
	At                          int64
	Successful, Failed, Limited int64
}

func umProvider(t *testing.T, s *Store) *goose.Provider {
	t.Helper()
	p, err := goose.NewProvider(s.d.goose, s.w, s.d.migrations(), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func umRows(t *testing.T, s *Store, query string) []umRow {
	t.Helper()
	rows, err := s.w.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []umRow
	for rows.Next() {
		var r umRow
		if err := rows.Scan(&r.ProjectID, &r.KeyID, &r.AccountID, &r.At, &r.Successful, &r.Failed, &r.Limited); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func umEqual(t *testing.T, what string, got, want []umRow) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// Migration 00009 moves the hourly usage recorded under migration 00002
// into the new levels: every key-hour to usage_hour, a project total per
// hour (key_id ”), and key and project totals per day in usage_day; the
// old table goes. Down brings the key-hours back.
func TestUsageLevelsMigrationMovesHourlyRows(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		s, err := openURL(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		p := umProvider(t, s)
		if _, err := p.UpTo(ctx, umUsageLevelsVersion-1); err != nil {
			t.Fatalf("migrate to %d: %v", umUsageLevelsVersion-1, err)
		}

		day := time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC).UnixMilli()
		const hour = int64(time.Hour / time.Millisecond)
		const d = 24 * hour
		old := []struct {
			key, project, account string
			hour                  int64
			s, f, r               int64
		}{
			{"key-a", "prj-p", "acc-x", day + 10*hour, 3, 1, 0},
			{"key-a", "prj-p", "acc-x", day + 23*hour, 2, 0, 0},
			{"key-a", "prj-p", "acc-x", day + d + 1*hour, 5, 0, 2},
			{"key-b", "prj-p", "acc-x", day + 10*hour, 7, 2, 0},
			{"key-c", "prj-q", "acc-x", day + 10*hour, 1, 0, 0},
			{"key-z", "prj-z", "acc-y", day + 2*d, 0, 4, 0},
		}
		for _, o := range old {
			if _, err := s.w.ExecContext(ctx, `INSERT INTO usage_hourly (key_id, hour, project_id, account_id, successful, failed, rate_limited)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, o.key, o.hour, o.project, o.account, o.s, o.f, o.r); err != nil {
				t.Fatal(err)
			}
		}

		if _, err := p.UpTo(ctx, umUsageLevelsVersion); err != nil {
			t.Fatalf("migrate to %d: %v", umUsageLevelsVersion, err)
		}
		const sel = `SELECT project_id, key_id, account_id, at, successful, failed, rate_limited FROM `
		const order = ` ORDER BY project_id, key_id, account_id, at`
		umEqual(t, "usage_hour", umRows(t, s, sel+`usage_hour`+order), []umRow{
			{"prj-p", "", "acc-x", day + 10*hour, 10, 3, 0},
			{"prj-p", "", "acc-x", day + 23*hour, 2, 0, 0},
			{"prj-p", "", "acc-x", day + d + hour, 5, 0, 2},
			{"prj-p", "key-a", "acc-x", day + 10*hour, 3, 1, 0},
			{"prj-p", "key-a", "acc-x", day + 23*hour, 2, 0, 0},
			{"prj-p", "key-a", "acc-x", day + d + hour, 5, 0, 2},
			{"prj-p", "key-b", "acc-x", day + 10*hour, 7, 2, 0},
			{"prj-q", "", "acc-x", day + 10*hour, 1, 0, 0},
			{"prj-q", "key-c", "acc-x", day + 10*hour, 1, 0, 0},
			{"prj-z", "", "acc-y", day + 2*d, 0, 4, 0},
			{"prj-z", "key-z", "acc-y", day + 2*d, 0, 4, 0},
		})
		umEqual(t, "usage_day", umRows(t, s, sel+`usage_day`+order), []umRow{
			{"prj-p", "", "acc-x", day, 12, 3, 0},
			{"prj-p", "", "acc-x", day + d, 5, 0, 2},
			{"prj-p", "key-a", "acc-x", day, 5, 1, 0},
			{"prj-p", "key-a", "acc-x", day + d, 5, 0, 2},
			{"prj-p", "key-b", "acc-x", day, 7, 2, 0},
			{"prj-q", "", "acc-x", day, 1, 0, 0},
			{"prj-q", "key-c", "acc-x", day, 1, 0, 0},
			{"prj-z", "", "acc-y", day + 2*d, 0, 4, 0},
			{"prj-z", "key-z", "acc-y", day + 2*d, 0, 4, 0},
		})
		umEqual(t, "usage_minute", umRows(t, s, sel+`usage_minute`), nil)
		if _, err := s.w.ExecContext(ctx, `SELECT 1 FROM usage_hourly`); err == nil {
			t.Error("usage_hourly still exists after 00009")
		}

		// The store reads the moved rows.
		rows, err := s.ProjectUsage(ctx, keyway.UsageByDay, "prj-p", time.UnixMilli(day), time.UnixMilli(day+3*d))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Successful != 12 || rows[0].Failed != 3 || rows[1].Successful != 5 || rows[1].RateLimited != 2 {
			t.Errorf("ProjectUsage(day) of the migrated project: %+v", rows)
		}
		ranked, err := s.KeyTotals(ctx, keyway.UsageByHour, "prj-p", time.UnixMilli(day), time.UnixMilli(day+3*d))
		if err != nil {
			t.Fatal(err)
		}
		if len(ranked) != 2 || ranked[0].KeyID != "key-a" || ranked[0].Total != 13 || ranked[1].KeyID != "key-b" || ranked[1].Total != 9 {
			t.Errorf("KeyTotals(hour) of the migrated project: %+v", ranked)
		}

		// The rest of the migrations, as Open runs them, keep the data.
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(umRows(t, s, sel+`usage_day`)); n != 9 {
			t.Errorf("after Migrate: %d day rows, want 9", n)
		}

		// Down again: the key-hours return to usage_hourly.
		if _, err := p.DownTo(ctx, umUsageLevelsVersion-1); err != nil {
			t.Fatalf("migrate down to %d: %v", umUsageLevelsVersion-1, err)
		}
		var want []umRow
		for _, o := range old {
			want = append(want, umRow{o.project, o.key, o.account, o.hour, o.s, o.f, o.r})
		}
		umEqual(t, "usage_hourly after down", umRows(t, s, `SELECT project_id, key_id, account_id, hour, successful, failed, rate_limited FROM usage_hourly ORDER BY project_id, key_id, account_id, hour`), want)
	})
}
