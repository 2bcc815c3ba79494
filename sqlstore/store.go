// Package sqlstore implements keyway.Store over database/sql, on SQLite
// (modernc.org/sqlite, no cgo) for a single node and PostgreSQL (pgx) for
// several. One SQL text serves both engines; dialect.go holds the few
// differences.
//
// Key strings are never stored: rows hold the key's SHA-256 for lookups and
// an AES-GCM sealed copy (keycrypt.Sealer) to return the key in reads, so a
// database file or dump alone reveals no key.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/crc32"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers driver "sqlite"
)

var _ keyway.Store = (*Store)(nil)

// Store is a keyway.Store backed by SQLite or PostgreSQL.
type Store struct {
	// w runs every write. On SQLite it has a single connection: SQLite
	// allows one writer at a time anyway, and queueing in Go rather than in
	// SQLite's busy handler keeps writes fair and free of SQLITE_BUSY.
	w *sql.DB
	// r runs reads; under WAL they proceed alongside the writer. On
	// PostgreSQL it is the same pool as w.
	r      *sql.DB
	d      *dialect
	sealer *keycrypt.Sealer
	// onEvents is called after a commit that wrote events (OnEvents).
	onEvents atomic.Pointer[func()]
}

// Option tunes how Open connects.
type Option func(*options)

type options struct {
	maxConns int
}

// WithMaxConns sets how many connections the store keeps open: the whole
// pool on PostgreSQL (default 16), the reader pool on SQLite (default
// max(4, GOMAXPROCS); SQLite's writer is always one connection). n <= 0
// keeps the default.
func WithMaxConns(n int) Option {
	return func(o *options) { o.maxConns = n }
}

// Open connects to the database named by rawURL and brings its schema up to
// date. rawURL is sqlite:///abs/path.db, sqlite://relative/path.db or a
// postgres:// (postgresql://) connection URL. The SQLite file is created,
// with mode 0600, if missing; its directory must exist.
func Open(ctx context.Context, rawURL string, sealer *keycrypt.Sealer, opts ...Option) (*Store, error) {
	if sealer == nil {
		return nil, errors.New("sqlstore: open: a key sealer is required")
	}
	s, err := openURL(ctx, rawURL, opts...)
	if err != nil {
		return nil, err
	}
	s.sealer = sealer
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// MigrateURL brings the schema of the database at rawURL up to date and
// closes it again; it is `keyway migrate`. It needs no sealing secret.
func MigrateURL(ctx context.Context, rawURL string) error {
	s, err := openURL(ctx, rawURL)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Migrate(ctx)
}

func openURL(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		return openSQLite(ctx, rawURL, o)
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL, o)
	default:
		scheme, _, _ := strings.Cut(rawURL, ":")
		return nil, fmt.Errorf("sqlstore: open: unsupported database URL scheme %q (want sqlite:// or postgres://)", scheme)
	}
}

func openSQLite(ctx context.Context, rawURL string, o options) (*Store, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
	if path == "" {
		return nil, fmt.Errorf("open sqlite: URL %q names no file", rawURL)
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open sqlite %s: the URL takes no query or fragment", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// SQLite would create the file world-readable (subject to umask); keys
	// are sealed, but names and metadata are nobody else's business. The
	// -wal and -shm files inherit the database file's mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	f.Close()

	w, err := sql.Open("sqlite", sqliteDSN(abs, true))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connects first so that the file is in WAL mode before any
	// reader connection opens it.
	if err := connectSQLite(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}

	r, err := sql.Open("sqlite", sqliteDSN(abs, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	n := o.maxConns
	if n <= 0 {
		// Reads are CPU-bound once their pages are cached, so readers
		// beyond the cores gain little; at least four so that on a small
		// machine one slow read (a long analytics range) does not hold up
		// the others.
		n = max(4, runtime.GOMAXPROCS(0))
	}
	// As many idle as open, and no lifetime: a reader returned to the pool
	// is kept, so no load ever closes one only to open another (each opening
	// parses the schema and runs the DSN's pragmas again). An idle SQLite
	// connection costs only its page cache, and keeping that warm is the
	// point.
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	if err := connectSQLite(ctx, r); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	return &Store{w: w, r: r, d: sqliteDialect}, nil
}

// connectSQLite opens a pool's first connection. It retries SQLITE_BUSY,
// which the switch of a new file to WAL returns at once, without waiting for
// busy_timeout, while another process is opening the same file.
func connectSQLite(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	for {
		err := db.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

const sqliteBusyTimeout = 5 * time.Second

// sqliteDSN puts every setting in the DSN so that each connection the pools
// open gets it, not just the first.
//
//   - WAL lets readers run while the writer writes.
//   - synchronous=FULL fsyncs the WAL at every commit, so an acknowledged
//     write survives a crash or power loss (NORMAL may lose the last ones).
//   - busy_timeout covers the remaining lock waits (checkpoints, another
//     process on the same file) instead of failing with SQLITE_BUSY.
//   - _txlock=immediate takes the write lock at BEGIN, so a transaction never
//     fails halfway when it upgrades from reading to writing.
//   - Readers are query_only, so a write sent to the wrong pool fails loudly.
func sqliteDSN(path string, writer bool) string {
	q := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()),
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
		"_pragma=foreign_keys(1)",
	}
	if writer {
		// A usage flush chunk touches thousands of pages; a page cache of
		// SQLite's default 2 MB would spill them to the WAL mid-transaction.
		q = append(q, "_txlock=immediate", "_pragma=cache_size(-65536)")
	} else {
		q = append(q, "_pragma=query_only(1)")
	}
	// As a URI the path must be percent-encoded ('?', '#', '%', spaces).
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + strings.Join(q, "&")
}

// defaultPostgresConns is the PostgreSQL pool size of one node. A node's
// need for concurrent queries is bounded elsewhere: the verifier batches its
// cache misses onto a few loader goroutines, and management requests are few
// and short. More connections would not make a busy node faster, as
// PostgreSQL runs no more queries at once than it has cores, while several
// nodes share the server's max_connections, 100 by default: five nodes at
// 16, plus each node's LISTEN connection when invalidation goes through
// PostgreSQL, leave room for migrations, backups and a psql session.
const defaultPostgresConns = 16

// postgresConnLifetime is how long a connection serves before it is
// replaced. A backend never gives its caches (catalog, plans, pgx's
// prepared statements) back while it lives; half an hour returns that memory
// at the cost of one reconnection per connection per half hour, nothing
// like the churn of a pool that closes what it cannot keep idle.
const postgresConnLifetime = 30 * time.Minute

func openPostgres(ctx context.Context, rawURL string, o options) (*Store, error) {
	name := keyway.RedactURL(rawURL)
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", name, err)
	}
	n := o.maxConns
	if n <= 0 {
		n = defaultPostgresConns
	}
	// Open and idle limits together: with more open than idle connections
	// allowed, every connection released while the idle slots are full is
	// closed, and the next query opens a new backend (a fork, authentication,
	// cold caches), which under load means thousands of connections a
	// minute. With both at n, a busy pool hands connections from one query
	// to the next and only ever opens n.
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	// No idle timeout: a quiet spell would otherwise shrink the pool and make
	// the next burst pay for reconnecting, on the cold verification path
	// where it shows. The connections are counted against max_connections
	// at full size anyway.
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(postgresConnLifetime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres %s: %w", name, err)
	}
	return &Store{w: db, r: db, d: postgresDialect}, nil
}

// Migrate applies any pending migrations. Open calls it; it is a no-op on an
// up-to-date database.
func (s *Store) Migrate(ctx context.Context) error {
	opts := []goose.ProviderOption{
		// Other packages in the binary must not slip their Go migrations
		// into this schema through goose's global registry.
		goose.WithDisableGlobalRegistry(true),
	}
	if s.d == postgresDialect {
		locker, err := s.migrationLocker(ctx)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", s.d.name, err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(s.d.goose, s.w, s.d.migrations(), opts...)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.d.name, err)
	}
	if s.d == sqliteDialect {
		err = migrateSQLite(ctx, p)
	} else {
		_, err = p.Up(ctx)
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.d.name, err)
	}
	return nil
}

// migrateSQLite applies pending migrations on SQLite, which has no lock to
// hold across goose's transactions: two processes opening a new file at once
// both try the same migration and the later one fails. If the version moved
// meanwhile, someone else migrated, so look again; otherwise the failure is
// real.
func migrateSQLite(ctx context.Context, p *goose.Provider) error {
	for {
		before, err := p.GetDBVersion(ctx)
		if err != nil {
			return err
		}
		_, err = p.Up(ctx)
		if err == nil {
			return nil
		}
		if after, verr := p.GetDBVersion(ctx); verr != nil || after <= before {
			return err
		}
	}
}

// migrationLocker returns a PostgreSQL advisory lock so that nodes starting
// together migrate one at a time. Its id is derived from the database and
// schema: only nodes sharing a schema need to exclude each other, and
// deployments (or test runs) in separate schemas of one database, or other
// goose users with the default lock id, should not wait on us.
func (s *Store) migrationLocker(ctx context.Context) (lock.SessionLocker, error) {
	var scope string
	err := s.w.QueryRowContext(ctx, `SELECT current_database() || '.' || COALESCE(current_schema(), '')`).Scan(&scope)
	if err != nil {
		return nil, fmt.Errorf("read schema name: %w", err)
	}
	id := int64(crc32.ChecksumIEEE([]byte("keyway.migrate:" + scope)))
	// Retry every second for up to five minutes: the default five-second
	// interval makes every node but the first start needlessly late.
	return lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return keyway.Internal(fmt.Errorf("ping %s: %w", s.d.name, err))
	}
	return nil
}

// Close closes every pool.
func (s *Store) Close() error {
	var errs []error
	if s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	// The writer closes last so that SQLite, on closing the final
	// connection, checkpoints the WAL into the main file and removes it.
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}
