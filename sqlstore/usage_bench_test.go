package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/sqlstore"
)

// The data set of BenchmarkUsageRead: one project with usageBenchKeys keys,
// each with a day bucket on every one of usageBenchDays days, plus the
// project's own total per day (key ""), in usage_day.
const (
	usageBenchKeys = 10_000
	usageBenchDays = 365
	// usageBenchPage is the page of keys api-key-totals reads.
	usageBenchPage = 100
	// rows per INSERT (7 parameters each). modernc.org/sqlite looks each
	// parameter's name up in a list as long as the statement's parameters,
	// so its binding time grows with the square of the batch: smaller there.
	usageBenchBatchPostgres = 1_000
	usageBenchBatchSQLite   = 64
)

const (
	usageBenchAccount = "01975f3c-0000-7000-8000-00000000000a"
	usageBenchProject = "01975f3c-0000-7000-8000-000000000001"
)

var (
	// usageBenchFrom is the first day of the year of buckets.
	usageBenchFrom = time.Date(2025, 11, 27, 0, 0, 0, 0, time.UTC)
	usageBenchTo   = usageBenchFrom.AddDate(0, 0, usageBenchDays)
)

func usageBenchKey(k int) string { return fmt.Sprintf("01975f3c-7a00-7000-8000-%012d", k) }

// usageBenchCounts are a key's counts on a day: uneven across keys, so
// ranking them has work to do.
func usageBenchCounts(k, d int) (successful, failed, rateLimited int64) {
	return int64(1 + (k*7919+d*104729)%1000), int64((k + d) % 13), int64((k * d) % 7)
}

// BenchmarkUsageRead measures the analytics reads over a year of day
// buckets of a project with 10,000 keys (3,650,000 key rows and 365
// project rows), built once per engine outside the timing:
//
//   - project-totals: ProjectUsage at day level over the year (365 rows),
//     what GET /analytics/project-totals reads;
//   - key-totals: KeyTotals, all 10,000 keys' totals over the year (3.65
//     million rows), what the service ranks;
//   - key-totals-30-days: the same over the last 30 days (300,000 rows);
//   - key-totals-summarized, key-totals-30-days-summarized: both again
//     once every day has its summary (365 and 30 rows);
//   - keys-usage: KeysUsage of those 100 keys over the year (36,500 rows).
//
// api-key-totals ranks key-totals (kept by the service between views)
// then reads keys-usage.
func BenchmarkUsageRead(b *testing.B) {
	engines := []struct {
		name string
		url  func(b *testing.B) string
	}{{"sqlite", func(b *testing.B) string { return keywaytest.SQLiteURL(b) }}}
	if base := os.Getenv(keywaytest.PostgresEnv); base != "" {
		engines = append(engines, struct {
			name string
			url  func(b *testing.B) string
		}{"postgres", func(b *testing.B) string { return keywaytest.PostgresURL(b, base) }})
	}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			dbURL := e.url(b)
			s, err := sqlstore.Open(ctx, dbURL, testSealer)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			start := time.Now()
			fillUsageDays(b, e.name, dbURL)
			b.Logf("%s: %d day rows written in %v", e.name, usageBenchKeys*usageBenchDays+usageBenchDays, time.Since(start).Round(time.Millisecond))
			benchUsageReads(b, s)
		})
	}
}

func benchUsageReads(b *testing.B, s *sqlstore.Store) {
	c := context.Background()
	b.Run("project-totals", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := s.ProjectUsage(c, keyway.UsageByDay, usageBenchProject, usageBenchFrom, usageBenchTo)
			if err != nil {
				b.Fatal(err)
			}
			if len(rows) != usageBenchDays {
				b.Fatalf("%d project rows, want %d", len(rows), usageBenchDays)
			}
		}
	})
	keyTotals := func(name string, from time.Time) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				totals, err := s.KeyTotals(c, keyway.UsageByDay, usageBenchProject, from, usageBenchTo)
				if err != nil {
					b.Fatal(err)
				}
				if len(totals) != usageBenchKeys {
					b.Fatalf("%d keys' totals, want %d", len(totals), usageBenchKeys)
				}
			}
		})
	}
	keyTotals("key-totals", usageBenchFrom)
	// The last 30 days, then both ranges again once every day has its
	// summary (what RunUsageSummaries makes after each day ends).
	thirty := usageBenchTo.AddDate(0, 0, -30)
	keyTotals("key-totals-30-days", thirty)
	start := time.Now()
	made, err := s.SummarizeUsageDays(c, time.UnixMilli(0), usageBenchTo)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("summarized %d days in %v", made, time.Since(start).Round(time.Millisecond))
	keyTotals("key-totals-summarized", usageBenchFrom)
	keyTotals("key-totals-30-days-summarized", thirty)
	// keys-usage reads a page of keys' rows, as a page of the ranking would.
	totals, err := s.KeyTotals(c, keyway.UsageByDay, usageBenchProject, usageBenchFrom, usageBenchTo)
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, r := range totals[:usageBenchPage] {
		ids = append(ids, r.KeyID)
	}
	b.Run("keys-usage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := s.KeysUsage(c, keyway.UsageByDay, usageBenchProject, ids, usageBenchFrom, usageBenchTo)
			if err != nil {
				b.Fatal(err)
			}
			if len(rows) != usageBenchPage*usageBenchDays {
				b.Fatalf("%d key rows, want %d", len(rows), usageBenchPage*usageBenchDays)
			}
		}
	})
}

// fillUsageDays writes the data set straight into usage_day, in one
// transaction of multi-row INSERTs, on a connection of its own: going
// through RecordUsage would take millions of upserts into three tables.
// Rows go in in time order, a day at a time, as a year of flushes would
// write them: the table's physical order is then not the primary key's
// (project, key, …, day), which is what the per-key reads follow.
func fillUsageDays(b *testing.B, engine, dbURL string) {
	b.Helper()
	driver, dsn, batch := "pgx", dbURL, usageBenchBatchPostgres
	if engine == "sqlite" {
		batch = usageBenchBatchSQLite
		// The store's own writer would fsync the WAL at every commit; this
		// one commits once, and a crash would only lose test data.
		driver = "sqlite"
		dsn = "file:" + strings.TrimPrefix(dbURL, "sqlite://") + "?_pragma=busy_timeout(5000)&_pragma=synchronous(OFF)&_txlock=immediate"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c := context.Background()
	tx, err := db.BeginTx(c, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()

	const cols = 7
	insert := func(n int) string {
		var sb strings.Builder
		sb.WriteString("INSERT INTO usage_day (project_id, key_id, account_id, at, successful, failed, rate_limited) VALUES ")
		for i := range n {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", i*cols+1, i*cols+2, i*cols+3, i*cols+4, i*cols+5, i*cols+6, i*cols+7)
		}
		return sb.String()
	}
	full, err := tx.PrepareContext(c, insert(batch))
	if err != nil {
		b.Fatal(err)
	}
	defer full.Close()
	args := make([]any, 0, batch*cols)
	flush := func() {
		if len(args) == 0 {
			return
		}
		var err error
		if len(args) == cap(args) {
			_, err = full.ExecContext(c, args...)
		} else {
			_, err = tx.ExecContext(c, insert(len(args)/cols), args...)
		}
		if err != nil {
			b.Fatal(err)
		}
		args = args[:0]
	}
	add := func(key string, d int, su, f, rl int64) {
		at := usageBenchFrom.AddDate(0, 0, d).UnixMilli()
		args = append(args, usageBenchProject, key, usageBenchAccount, at, su, f, rl)
		if len(args) == cap(args) {
			flush()
		}
	}
	keys := make([]string, usageBenchKeys)
	for k := range keys {
		keys[k] = usageBenchKey(k)
	}
	for d := range usageBenchDays {
		var tsu, tf, trl int64
		for k, key := range keys {
			su, f, rl := usageBenchCounts(k, d)
			add(key, d, su, f, rl)
			tsu, tf, trl = tsu+su, tf+f, trl+rl
		}
		add("", d, tsu, tf, trl)
	}
	flush()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if engine == "postgres" {
		// What autovacuum does to a table soon after a bulk change: query
		// statistics, and the visibility map index-only scans need.
		if _, err := db.ExecContext(c, "VACUUM ANALYZE usage_day"); err != nil {
			b.Fatal(err)
		}
	}
}
