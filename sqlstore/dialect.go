package sqlstore

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

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
	// account's roles, or locks the rows a usage flush updates in one
	// order; SQLite's single writer serializes them already.
	lockRow string
}

var (
	sqliteDialect   = &dialect{name: "sqlite", goose: goose.DialectSQLite3, dir: "migrations/sqlite"}
	postgresDialect = &dialect{name: "postgres", goose: goose.DialectPostgres, dir: "migrations/postgres", skipLocked: " FOR UPDATE OF d SKIP LOCKED", lockRow: " FOR UPDATE"}
)

// colType is a column type of a row set (rowSet): the PostgreSQL array
// element type, which also says what Go type each value has.
type colType string

const (
	textCol   colType = "text"   // string
	bigintCol colType = "bigint" // int64
	byteaCol  colType = "bytea"  // []byte
)

// valuesRows is how many rows of width columns one multi-row VALUES
// statement should bind. SQLite looks parameters up in a list, by name as
// it parses and by number as the driver binds, so a statement's cost grows
// with the square of their number: a hundred or so keep it linear, and
// the statement, prepared once, serves every full list.
func (d *dialect) valuesRows(width int) int {
	if d == postgresDialect {
		return max(maxParams/width, 1)
	}
	return max(128/width, 1)
}

// rowSet binds rows as the body of "WITH v(…) AS (…)", as one parameter
// per column on PostgreSQL (an array each, unnested) and one in all on
// SQLite (a JSON array of rows, read with json_each): a statement of any
// number of rows is then parsed alike every time, and costs one
// statement, not one per row.
func (d *dialect) rowSet(q *query, types []colType, rows [][]any) string {
	if d != postgresDialect {
		return sqliteRowSet(q, types, rows)
	}
	arrays := make([]string, len(types))
	for j, t := range types {
		var col any
		switch t {
		case textCol:
			col = column[string](rows, j)
		case bigintCol:
			col = column[int64](rows, j)
		case byteaCol:
			col = column[[]byte](rows, j)
		default:
			panic(fmt.Sprintf("sqlstore: row set column type %q", t))
		}
		arrays[j] = q.arg(col) + "::" + string(t) + "[]"
	}
	return "SELECT * FROM unnest(" + strings.Join(arrays, ", ") + ")"
}

func column[T any](rows [][]any, j int) []T {
	vals := make([]T, len(rows))
	for i, r := range rows {
		vals[i] = r[j].(T)
	}
	return vals
}

// rowSetRows is how many rows one rowSet may bind: on SQLite, rows with
// BLOBs go as a multi-row VALUES list, bounded like one.
func (d *dialect) rowSetRows(types []colType) int {
	if d != postgresDialect && slices.Contains(types, byteaCol) {
		return d.valuesRows(len(types))
	}
	return rowSetRows
}

// sqliteRowSet is rowSet on SQLite. JSON has no bytes, and hex-encoding
// kilobytes of sealed payload into it and back costs more than binding
// them, so rows with BLOBs are bound as a VALUES list instead.
func sqliteRowSet(q *query, types []colType, rows [][]any) string {
	if slices.Contains(types, byteaCol) {
		return "VALUES " + valuesList(q, rows)
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		panic(fmt.Sprintf("sqlstore: encode row set: %v", err)) // strings and integers always encode
	}
	cols := make([]string, len(types))
	for j := range types {
		cols[j] = fmt.Sprintf("value ->> %d", j)
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM json_each(" + q.arg(string(doc)) + ")"
}

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
