package sqlstore_test

import (
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/sqlstore"
)

// pagingBenchKeys is the size of the project BenchmarkOffset pages
// through: the figures were taken at this depth.
const pagingBenchKeys = 100_000

// BenchmarkOffset measures one page of 100 API keys of a project holding
// 100,000, per engine, at several depths:
//
//   - offset-0, offset-9900 and offset-10000 (the deepest offset allowed)
//     through APIKeys, what GET /api-keys?limit=100&offset=… reads;
//   - offset-99900: APIKeys refusing an offset beyond the cap;
//   - cursor-99900: the cursor page that starts at the 99,901st key;
//   - sql-offset-LIMIT-OFFSET: the query APIKeys runs, sent directly, at
//     the cap with the default and the largest page, and at 99,900 for the
//     record of what an uncapped offset costs;
//   - sql-deferred-LIMIT-OFFSET: the same page as a deferred join (ids
//     through the covering index, then full rows for those ids), the
//     alternative the store does not use: see MaxOffset.
//
// Run it with
//
//	go test -run '^$' -bench Offset -benchtime 50x ./sqlstore/
//
// (add KEYWAY_TEST_POSTGRES_URL for PostgreSQL). The seed is written
// through ImportAPIKeys once per engine, outside the timing.
func BenchmarkOffset(b *testing.B) {
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
			p, _ := seedPagingKeys(b, s, pagingBenchKeys)
			raw := rawDB(b, e.name, dbURL)
			if e.name == "postgres" {
				// What autovacuum would have done to a table this size by
				// the time anyone pages through it: planner statistics and
				// the visibility map that index-only scans rely on.
				if _, err := raw.ExecContext(ctx, `VACUUM (ANALYZE) api_keys`); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("%s: %d keys seeded in %v", e.name, pagingBenchKeys, time.Since(start).Round(time.Millisecond))
			benchOffsets(b, s, raw, p)
		})
	}
}

func benchOffsets(b *testing.B, s *sqlstore.Store, raw *sql.DB, p *keyway.Project) {
	const limit = 100
	for _, offset := range []int{0, 9_900, 10_000} {
		b.Run(fmt.Sprintf("offset-%d", offset), func(b *testing.B) {
			f := keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true, Page: keyway.Page{Limit: limit, Offset: offset}}
			for b.Loop() {
				ks, _, err := s.APIKeys(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				if len(ks) != limit {
					b.Fatalf("%d keys, want %d", len(ks), limit)
				}
			}
		})
	}
	b.Run("offset-99900", func(b *testing.B) {
		f := keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true, Page: keyway.Page{Limit: limit, Offset: 99_900}}
		for b.Loop() {
			if _, _, err := s.APIKeys(ctx, f); keyway.ErrorCode(err) != keyway.CodeInvalid {
				b.Fatalf("got %v, want an invalid-request error", err)
			}
		}
	})
	b.Run("cursor-99900", func(b *testing.B) {
		cursor := cursorAt(b, s, p, 99_900)
		f := keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true, Page: keyway.Page{Limit: limit, Cursor: &cursor}}
		for b.Loop() {
			ks, _, err := s.APIKeys(ctx, f)
			if err != nil {
				b.Fatal(err)
			}
			if len(ks) != limit {
				b.Fatalf("%d keys, want %d", len(ks), limit)
			}
		}
	})
	const cols = `id, key_hash, key_sealed, account_id, project_id, env, name, custom_meta_data,
		custom_account_id, custom_user_id, is_active, expires_at, rate_limit, rate_limit_ttl,
		allowed_domains, creation_context, created_at, updated_at, version, last_used_at`
	type rawQuery struct {
		name string
		rows int
		sql  string
	}
	var raws []rawQuery
	for _, lo := range []struct{ limit, offset int }{{100, 10_000}, {1000, 9000}, {100, 99_900}} {
		raws = append(raws,
			rawQuery{fmt.Sprintf("sql-offset-%d-%d", lo.limit, lo.offset), lo.limit, fmt.Sprintf(`SELECT `+cols+` FROM api_keys
			WHERE project_id = $1 AND is_active = $2 ORDER BY created_at DESC, id DESC LIMIT %d OFFSET %d`, lo.limit, lo.offset)},
			rawQuery{fmt.Sprintf("sql-deferred-%d-%d", lo.limit, lo.offset), lo.limit, fmt.Sprintf(`SELECT `+cols+` FROM api_keys WHERE id IN (SELECT id FROM api_keys
			WHERE project_id = $1 AND is_active = $2 ORDER BY created_at DESC, id DESC LIMIT %d OFFSET %d)
			ORDER BY created_at DESC, id DESC`, lo.limit, lo.offset)})
	}
	for _, q := range raws {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if n := countRows(b, raw, q.sql, p.ID, true); n != q.rows {
					b.Fatalf("%d rows, want %d", n, q.rows)
				}
			}
		})
	}
}

// seedPagingKeys writes n active keys into a new project through the bulk
// path, three to a creation instant so that the tie-break is exercised, and
// returns them in list order: newest first, ties by id descending.
func seedPagingKeys(tb testing.TB, s *sqlstore.Store, n int) (*keyway.Project, []*keyway.APIKey) {
	tb.Helper()
	a := &keyway.Account{ID: uniqueID("acc"), Name: "a", IsActive: true, CreatedAt: at(0), UpdatedAt: at(0)}
	if err := s.CreateAccount(ctx, a); err != nil {
		tb.Fatal(err)
	}
	p := &keyway.Project{ID: uniqueID("prj"), Name: "p", AccountID: a.ID, Env: keyway.EnvLive, IsActive: true, CreatedAt: at(0), UpdatedAt: at(0)}
	if err := s.CreateProject(ctx, p); err != nil {
		tb.Fatal(err)
	}
	keys := make([]*keyway.APIKey, n)
	for i := range keys {
		keys[i] = fullAPIKey(p, at(i/3))
	}
	// ImportAPIKeys in slices of 50: SQLite parses a statement's $N
	// placeholders in time that grows with the square of their number, so
	// its own 1,000-key statements take about two minutes for 100,000 keys
	// against ten seconds for these, which commit more often.
	for rest := keys; len(rest) > 0; {
		n := min(len(rest), 50)
		if err := s.ImportAPIKeys(ctx, rest[:n]); err != nil {
			tb.Fatal(err)
		}
		rest = rest[n:]
	}
	slices.SortFunc(keys, func(a, b *keyway.APIKey) int {
		if c := b.CreatedAt.Compare(a.CreatedAt.Time); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return p, keys
}

// cursorAt pages by cursor to the position after the first depth keys and
// returns the cursor that continues from there.
func cursorAt(tb testing.TB, s *sqlstore.Store, p *keyway.Project, depth int) string {
	tb.Helper()
	cursor := ""
	for seen := 0; seen < depth; {
		f := keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true, Page: keyway.Page{Limit: min(keyway.MaxPageLimit, depth-seen), Cursor: &cursor}}
		ks, next, err := s.APIKeys(ctx, f)
		if err != nil {
			tb.Fatal(err)
		}
		if next == "" {
			tb.Fatalf("cursor paging ended after %d keys, before %d", seen+len(ks), depth)
		}
		seen += len(ks)
		cursor = next
	}
	return cursor
}

// rawDB opens the store's database directly, for what the store has no
// method for.
func rawDB(tb testing.TB, engine, dbURL string) *sql.DB {
	tb.Helper()
	driver, dsn := "pgx", dbURL
	if engine == "sqlite" {
		driver, dsn = "sqlite", "file:"+strings.TrimPrefix(dbURL, "sqlite://")+"?_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func countRows(tb testing.TB, db *sql.DB, query string, args ...any) int {
	tb.Helper()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		tb.Fatal(err)
	}
	dest := make([]any, len(cols))
	for i := range dest {
		dest[i] = new(sql.RawBytes)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			tb.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return n
}
