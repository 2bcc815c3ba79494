package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/keywayhq/keyway"
)

// maxParams bounds the placeholders of one statement: SQLite's limit is
// 32,766 and PostgreSQL's 65,535.
const maxParams = 32_000

// valuesList binds rows and returns "($1, $2), ($3, $4)…" for a multi-row
// VALUES clause. Every row must have the same width.
func valuesList(q *query, rows [][]any) string {
	var sb strings.Builder
	for i, row := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for j, v := range row {
			if j > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(q.arg(v))
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// importChunk is how many keys one ImportAPIKeys transaction writes: large
// enough that a million keys take a thousand commits, small enough that one
// failure costs little to redo and never holds the SQLite writer for long.
const importChunk = 1000

// ImportAPIKeys inserts keys in bulk: multi-row statements, one transaction
// per chunk of importChunk keys, committed in order. It is the seeding path
// of benchmarks and imports, not of the API: it emits no events and
// invalidates no cache, so it must only add keys no node has looked up.
// On failure the chunks before the failing one stay written and the error
// says how many keys were.
func (s *Store) ImportAPIKeys(ctx context.Context, keys []*keyway.APIKey) error {
	for start := 0; start < len(keys); start += importChunk {
		chunk := keys[start:min(start+importChunk, len(keys))]
		rows := make([][]any, len(chunk))
		for i, k := range chunk {
			row, err := s.apiKeyRow(k)
			if err != nil {
				return keyway.Internal(fmt.Errorf("import api keys: key %s: %w", k.ID, err))
			}
			rows[i] = row
		}
		err := s.write(ctx, nil, func(tx *sql.Tx) error {
			for len(rows) > 0 {
				n := min(len(rows), s.d.valuesRows(len(rows[0])))
				var q query
				if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyCols+`, name_lower) VALUES `+valuesList(&q, rows[:n]), q.args...); err != nil {
					return apiKeyWriteError("import", chunk[0], err)
				}
				rows = rows[n:]
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("import api keys (%d of %d written): %w", start, len(keys), err)
		}
	}
	return nil
}

// rowSetStatement is one statement over a set of rows: it reads them from
// the CTE v, whose columns are cols. build returns the statement after the
// WITH clause and may bind further arguments.
type rowSetStatement struct {
	cols  []string
	types []colType
	build func(q *query) string
}

// rowSetRows bounds the rows of one row-set statement, so that one
// statement's arguments stay a few megabytes at most.
const rowSetRows = 10_000

// each runs the statement once per statement's worth of rows
// (dialect.rowSetRows), calling run with its SQL text and arguments.
func (st rowSetStatement) each(d *dialect, rows [][]any, run func(sql string, args []any) error) error {
	for len(rows) > 0 {
		n := min(len(rows), d.rowSetRows(st.types))
		var q query
		src := d.rowSet(&q, st.types, rows[:n])
		if err := run("WITH v ("+strings.Join(st.cols, ", ")+") AS ("+src+") "+st.build(&q), q.args); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// exec runs the statement over rows in tx.
func (st rowSetStatement) exec(ctx context.Context, d *dialect, tx *sql.Tx, rows [][]any) error {
	var p preparer
	defer p.close()
	return st.each(d, rows, func(text string, args []any) error {
		stmt, err := p.prepare(ctx, tx, text)
		if err != nil {
			return err
		}
		if stmt != nil {
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, text, args...)
		}
		return err
	})
}

// preparer prepares a statement whose text comes round again: a row set
// bound as VALUES lists repeats one text for every full list, and SQLite
// would parse it anew each time (PostgreSQL's driver caches statements
// by text itself).
type preparer struct {
	last string
	stmt *sql.Stmt
}

// prepare returns a prepared statement for text from its second use on,
// nil the first time.
func (p *preparer) prepare(ctx context.Context, tx *sql.Tx, text string) (*sql.Stmt, error) {
	if text != p.last {
		p.close()
		p.last = text
		return nil, nil
	}
	if p.stmt == nil {
		stmt, err := tx.PrepareContext(ctx, text)
		if err != nil {
			return nil, err
		}
		p.stmt = stmt
	}
	return p.stmt, nil
}

func (p *preparer) close() {
	if p.stmt != nil {
		p.stmt.Close()
		p.stmt = nil
	}
}

// querier is a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// query runs a statement that returns rows, calling scan for each.
func (st rowSetStatement) query(ctx context.Context, d *dialect, db querier, rows [][]any, scan func(*sql.Rows) error) error {
	return st.each(d, rows, func(text string, args []any) error {
		res, err := db.QueryContext(ctx, text, args...)
		if err != nil {
			return err
		}
		defer res.Close()
		for res.Next() {
			if err := scan(res); err != nil {
				return err
			}
		}
		return res.Err()
	})
}
