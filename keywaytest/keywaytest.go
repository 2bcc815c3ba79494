// Package keywaytest provides what tests across packages share: a clock
// that only moves when told, and fresh databases of every engine.
package keywaytest

import (
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"

	"github.com/keywayhq/keyway/keycrypt"
)

// Clock is a keyway.Clock that stands still until Advance or Set.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at a fixed, millisecond-aligned instant.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 11, 26, 17, 9, 1, 623_000_000, time.UTC)}
}

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// PostgresEnv names the variable that, when set, adds PostgreSQL to every
// database-backed test.
const PostgresEnv = "KEYWAY_TEST_POSTGRES_URL"

// subtests is a *testing.T or a *testing.B: what runs its own subtests.
type subtests[T any] interface {
	testing.TB
	Run(name string, f func(T)) bool
}

// ForEachDatabase runs fn as a subtest (or sub-benchmark) per engine, each
// with the URL of a fresh, empty database: SQLite always, PostgreSQL when
// PostgresEnv is set.
func ForEachDatabase[T subtests[T]](t T, fn func(t T, dbURL string)) {
	t.Run("sqlite", func(t T) { fn(t, SQLiteURL(t)) })
	if base := os.Getenv(PostgresEnv); base != "" {
		t.Run("postgres", func(t T) { fn(t, PostgresURL(t, base)) })
	}
}

// SQLiteURL names a database file in a fresh temporary directory.
func SQLiteURL(t testing.TB) string {
	return "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "keyway.db"))
}

// PostgresURL creates a uniquely named schema, dropped after the test, and
// returns base with search_path pointing at it, so tests share one server
// without seeing each other.
func PostgresURL(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := "keyway_test_" + strings.ToLower(keycrypt.RandomString(12))
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	// Registered before the caller's cleanups, so it runs after them.
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// RedisEnv names the variable that, when set, adds Redis to the tests that
// can use it (a redis:// URL).
const RedisEnv = "KEYWAY_TEST_REDIS_URL"

// RedisURL is the Redis the tests use: KEYWAY_TEST_REDIS_URL when set (CI
// runs real Redis), else an in-process miniredis for this test, so a plain
// `go test ./...` still exercises the Redis code. miniredis runs the same
// Lua and pub/sub but keeps no wall-clock expiry (a TTL passes only through
// RedisTimePasses) and has no CLIENT KILL: tests that need
// those use RealRedisURL.
func RedisURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(RedisEnv); u != "" {
		return u
	}
	// One server per test, however many clients (nodes) it opens: they
	// must share windows and channels as nodes on one Redis do.
	if m, ok := miniRedis.Load(t); ok {
		return "redis://" + m.(*miniredis.Miniredis).Addr()
	}
	m := miniredis.RunT(t)
	miniRedis.Store(t, m)
	t.Cleanup(func() { miniRedis.Delete(t) })
	return "redis://" + m.Addr()
}

// RedisTimePasses lets d pass for the Redis of RedisURL: miniredis's TTLs
// move only when told; a real Redis's move on their own, so there it does
// nothing and the test waits as it would anyway.
func RedisTimePasses(t testing.TB, d time.Duration) {
	if m, ok := miniRedis.Load(t); ok {
		m.(*miniredis.Miniredis).FastForward(d)
	}
}

// miniRedis holds each running test's miniredis, by its testing.TB.
var miniRedis sync.Map

// RealRedisURL is KEYWAY_TEST_REDIS_URL, skipping the test without it.
func RealRedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(RedisEnv)
	if u == "" {
		t.Skip(RedisEnv + " is not set (this test needs a real Redis)")
	}
	return u
}
