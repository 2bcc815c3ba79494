package sqlstore

import (
	"embed"
	"errors"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Everything that differs between SQLite and PostgreSQL lives in this file.
// Queries themselves are shared: both drivers bind $1…$N, both engines
// compare row values and bind []byte to BLOB/BYTEA and bool to
// INTEGER/BOOLEAN, so one SQL text serves both. The schemas differ only in
// column types and are kept in one migration folder per engine.

//go:embed migrations
var migrations embed.FS

// dialect is one supported engine.
type dialect struct {
	name  string
	goose goose.Dialect
	dir   string // migration folder inside the embedded FS
	// skipLocked ends a claiming SELECT so that concurrent claimers pass
	// over each other's rows. SQLite has one writer at a time and needs none.
	skipLocked string
	// lockRow ends a SELECT that serializes the transactions changing one
	// account's roles; SQLite's single writer serializes them already.
	lockRow string
}

var (
	sqliteDialect   = &dialect{name: "sqlite", goose: goose.DialectSQLite3, dir: "migrations/sqlite"}
	postgresDialect = &dialect{name: "postgres", goose: goose.DialectPostgres, dir: "migrations/postgres", skipLocked: " FOR UPDATE OF d SKIP LOCKED", lockRow: " FOR UPDATE"}
)

func (d *dialect) migrations() fs.FS {
	sub, err := fs.Sub(migrations, d.dir)
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}

// violation classifies a constraint failure so callers can turn it into a
// public error without parsing driver messages.
type violation int

const (
	noViolation violation = iota
	uniqueViolation
	foreignKeyViolation
)

// constraintViolation recognizes both drivers' errors; each only ever
// produces its own type, so checking both is unambiguous.
func constraintViolation(err error) violation {
	var le *sqlite.Error
	if errors.As(err, &le) {
		switch le.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return uniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return foreignKeyViolation
		}
		return noViolation
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return uniqueViolation
		case "23503": // foreign_key_violation
			return foreignKeyViolation
		}
	}
	return noViolation
}

// isBusy reports SQLite's "database is locked".
func isBusy(err error) bool {
	var le *sqlite.Error
	return errors.As(err, &le) && le.Code()&0xff == sqlite3.SQLITE_BUSY
}
