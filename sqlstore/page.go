package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/keywayhq/keyway"
)

// query accumulates a WHERE clause and its arguments, numbering the
// placeholders so that conditions can be added in any order.
type query struct {
	conds []string
	args  []any
}

// arg binds v and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) where(cond string) { q.conds = append(q.conds, cond) }

// listOrder is how a list is sorted: by created_at, ties broken by a unique
// column so that the order is total and keyset pagination neither skips nor
// repeats rows.
type listOrder struct {
	desc bool
	tie  string
	// tieArg turns the tie value carried in a cursor into a query argument;
	// nil passes the string as is.
	tieArg func(string) (any, error)
}

// position is where a row sits in its list; the next cursor encodes the
// position of a page's last row.
type position struct {
	createdAt int64
	tie       string
}

func (p position) cursor() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.createdAt, 10) + ":" + p.tie))
}

func parseCursor(s string) (position, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return position{}, false
	}
	ms, tie, ok := strings.Cut(string(b), ":")
	if !ok || tie == "" {
		return position{}, false
	}
	createdAt, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return position{}, false
	}
	return position{createdAt: createdAt, tie: tie}, true
}

// MaxOffset is the deepest offset a list answers; beyond it the caller gets
// a 400 pointing at cursor pagination. An offset page costs O(offset), as
// the database walks every row it skips, while a keyset page costs the same
// at any depth. For 100 of 100,000 API keys (BenchmarkOffset): about 1 ms at
// offset 0 on both engines, 1.5 ms (SQLite) and 5 ms (PostgreSQL) at
// 10,000, 14 and 36 ms at 99,900, against 1 ms for a cursor page at 99,900.
// The cap keeps the worst offset page within a few times a cursor page.
//
// Offset pages run the plain query, not a deferred join (ids through the
// list's covering index, then full rows for those ids only): that halves
// PostgreSQL's 100-row page at the cap, but for 1,000-row pages PostgreSQL
// plans it as a hash join over a scan of the whole table, and on SQLite,
// which already skips rows without reading them, it gains nothing.
const MaxOffset = 10_000

var errOffsetTooDeep = keyway.Invalid(fmt.Sprintf(
	"offset must not be greater than %d; page deeper with cursor: pass cursor= (empty) for the first page, then the x-next-cursor header of each answer", MaxOffset))

// list runs selectFrom with q's conditions one page at a time: by
// limit/offset, or, when page.Cursor is set, by keyset after the cursor's
// position. scan reads one row and reports its position; its errors are
// internal. The returned cursor is empty unless cursor pagination was asked
// for and more rows remain.
func list[T any](ctx context.Context, db *sql.DB, what, selectFrom string, q *query, o listOrder, page keyway.Page,
	scan func(scanner) (T, position, error)) ([]T, string, error) {
	limit := page.Size()

	dir, cmp := "ASC", ">"
	if o.desc {
		dir, cmp = "DESC", "<"
	}
	keyset := page.Cursor != nil
	offset := max(page.Offset, 0)
	if !keyset && offset > MaxOffset {
		return nil, "", errOffsetTooDeep
	}
	if keyset && *page.Cursor != "" {
		pos, ok := parseCursor(*page.Cursor)
		if !ok {
			return nil, "", keyway.Invalid("cursor is not valid")
		}
		var tie any = pos.tie
		if o.tieArg != nil {
			var err error
			if tie, err = o.tieArg(pos.tie); err != nil {
				return nil, "", keyway.Invalid("cursor is not valid")
			}
		}
		q.where(fmt.Sprintf("(created_at, %s) %s (%s, %s)", o.tie, cmp, q.arg(pos.createdAt), q.arg(tie)))
	}

	var sb strings.Builder
	sb.WriteString(selectFrom)
	if len(q.conds) > 0 {
		sb.WriteString(" WHERE ")
		sb.WriteString(strings.Join(q.conds, " AND "))
	}
	fmt.Fprintf(&sb, " ORDER BY created_at %s, %s %s", dir, o.tie, dir)
	if keyset {
		// One row more than asked tells whether another page exists.
		fmt.Fprintf(&sb, " LIMIT %s", q.arg(limit+1))
	} else {
		fmt.Fprintf(&sb, " LIMIT %s OFFSET %s", q.arg(limit), q.arg(offset))
	}

	rows, err := db.QueryContext(ctx, sb.String(), q.args...)
	if err != nil {
		return nil, "", keyway.Internal(fmt.Errorf("list %s: %w", what, err))
	}
	defer rows.Close()
	items := make([]T, 0, min(limit, 64))
	var last position
	more := false
	for rows.Next() {
		if len(items) == limit {
			more = true
			break
		}
		item, pos, err := scan(rows)
		if err != nil {
			return nil, "", keyway.Internal(fmt.Errorf("list %s: %w", what, err))
		}
		items = append(items, item)
		last = pos
	}
	if err := rows.Err(); err != nil {
		return nil, "", keyway.Internal(fmt.Errorf("list %s: %w", what, err))
	}
	next := ""
	if keyset && more {
		next = last.cursor()
	}
	return items, next, nil
}
