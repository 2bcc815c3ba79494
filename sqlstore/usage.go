package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
)

var _ keyway.UsageStore = (*Store)(nil)

// usageLevels are the bucket tables and their widths; a batch is added to
// every level.
var usageLevels = []struct {
	level keyway.UsageLevel
	table string
	width time.Duration
}{
	{keyway.UsageByMinute, "usage_minute", time.Minute},
	{keyway.UsageByHour, "usage_hour", time.Hour},
	{keyway.UsageByDay, "usage_day", 24 * time.Hour},
}

func usageTable(level keyway.UsageLevel) (string, error) {
	for _, l := range usageLevels {
		if l.level == level {
			return l.table, nil
		}
	}
	return "", fmt.Errorf("sqlstore: no usage level %q", level)
}

// RecordUsage adds a batch to the minute, hour and day buckets in one
// transaction, so a batch counts once or not at all; nodes flushing the
// same key add to the same rows. A key's first successful use is recorded
// here too, with its api-key.firstUsed event in the same transaction: the
// verification path itself never writes, and the event is emitted exactly
// once because only the write that sets first_used_at emits it.
func (s *Store) RecordUsage(ctx context.Context, batch []keyway.Usage) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		for _, u := range batch {
			if err := addUsage(ctx, tx, u); err != nil {
				return err
			}
			if u.Successful == 0 || u.KeyID == "" {
				continue
			}
			last := u.LastSuccess.Millis()
			first, err := execOne(ctx, tx, `UPDATE api_keys SET first_used_at = $2 WHERE id = $1 AND first_used_at IS NULL`, u.KeyID, last)
			if err != nil {
				return keyway.Internal(fmt.Errorf("record first use: %w", err))
			}
			if first {
				if err := s.emitFirstUsed(ctx, tx, u.KeyID, u.LastSuccess); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `
				UPDATE api_keys SET last_used_at = $2
				WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, u.KeyID, last); err != nil {
				return keyway.Internal(fmt.Errorf("record key use: %w", err))
			}
		}
		return nil
	})
}

// addUsage adds one key-minute to every level, for the key and for its
// project's total row.
func addUsage(ctx context.Context, tx *sql.Tx, u keyway.Usage) error {
	owners := []string{u.KeyID}
	if u.KeyID != "" {
		owners = append(owners, "")
	}
	for _, l := range usageLevels {
		at := u.Minute.Truncate(l.width).UnixMilli()
		for _, key := range owners {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO `+l.table+` (project_id, key_id, account_id, at, successful, failed, rate_limited)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (project_id, key_id, account_id, at) DO UPDATE SET
					successful = `+l.table+`.successful + excluded.successful,
					failed = `+l.table+`.failed + excluded.failed,
					rate_limited = `+l.table+`.rate_limited + excluded.rate_limited`,
				u.ProjectID, key, u.AccountID, at, u.Successful, u.Failed, u.RateLimited); err != nil {
				return keyway.Internal(fmt.Errorf("record usage: %w", err))
			}
		}
	}
	return nil
}

func scanUsageRows(rows *sql.Rows, err error) ([]keyway.UsageRow, error) {
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("read usage: %w", err))
	}
	defer rows.Close()
	var out []keyway.UsageRow
	for rows.Next() {
		var r keyway.UsageRow
		var at int64
		if err := rows.Scan(&r.KeyID, &at, &r.Successful, &r.Failed, &r.RateLimited); err != nil {
			return nil, keyway.Internal(fmt.Errorf("read usage: %w", err))
		}
		r.At = time.UnixMilli(at).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, keyway.Internal(fmt.Errorf("read usage: %w", err))
	}
	return out, nil
}

func (s *Store) ProjectUsage(ctx context.Context, level keyway.UsageLevel, projectID string, from, to time.Time) ([]keyway.UsageRow, error) {
	table, err := usageTable(level)
	if err != nil {
		return nil, keyway.Internal(err)
	}
	return scanUsageRows(s.r.QueryContext(ctx, `SELECT key_id, at, successful, failed, rate_limited FROM `+table+`
		WHERE project_id = $1 AND key_id = '' AND at >= $2 AND at < $3 ORDER BY at`,
		projectID, from.UnixMilli(), to.UnixMilli()))
}

func (s *Store) KeysUsage(ctx context.Context, level keyway.UsageLevel, projectID string, keyIDs []string, from, to time.Time) ([]keyway.UsageRow, error) {
	table, err := usageTable(level)
	if err != nil {
		return nil, keyway.Internal(err)
	}
	if len(keyIDs) == 0 {
		return nil, nil
	}
	var q query
	q.where("project_id = " + q.arg(projectID))
	ins := make([]string, len(keyIDs))
	for i, id := range keyIDs {
		ins[i] = q.arg(id)
	}
	q.where("key_id IN (" + strings.Join(ins, ", ") + ")")
	q.where("at >= " + q.arg(from.UnixMilli()))
	q.where("at < " + q.arg(to.UnixMilli()))
	return scanUsageRows(s.r.QueryContext(ctx, `SELECT key_id, at, successful, failed, rate_limited FROM `+table+`
		WHERE `+strings.Join(q.conds, " AND ")+` ORDER BY key_id, at`, q.args...))
}

// KeyUsageTotals pages through a project's keys by total, most used first;
// the cursor is the offset of the next page.
func (s *Store) KeyUsageTotals(ctx context.Context, level keyway.UsageLevel, projectID string, from, to time.Time, page keyway.Page) ([]keyway.KeyUsageTotal, string, error) {
	table, err := usageTable(level)
	if err != nil {
		return nil, "", keyway.Internal(err)
	}
	limit := page.Limit
	if limit <= 0 {
		limit = keyway.DefaultPageLimit
	}
	limit = min(limit, keyway.MaxPageLimit)
	offset := page.Offset
	if page.Cursor != nil && *page.Cursor != "" {
		n, err := strconv.Atoi(*page.Cursor)
		if err != nil || n < 0 {
			return nil, "", keyway.Invalid("cursor is not valid")
		}
		offset = n
	}
	rows, err := s.r.QueryContext(ctx, `SELECT key_id, SUM(successful), SUM(failed), SUM(rate_limited) FROM `+table+`
		WHERE project_id = $1 AND key_id <> '' AND at >= $2 AND at < $3
		GROUP BY key_id
		ORDER BY SUM(successful) + SUM(failed) + SUM(rate_limited) DESC, key_id
		LIMIT $4 OFFSET $5`, projectID, from.UnixMilli(), to.UnixMilli(), limit+1, offset)
	if err != nil {
		return nil, "", keyway.Internal(fmt.Errorf("rank keys: %w", err))
	}
	defer rows.Close()
	var out []keyway.KeyUsageTotal
	for rows.Next() {
		var k keyway.KeyUsageTotal
		var su, f, rl int64
		if err := rows.Scan(&k.KeyID, &su, &f, &rl); err != nil {
			return nil, "", keyway.Internal(fmt.Errorf("rank keys: %w", err))
		}
		k.Add(su, f, rl)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, "", keyway.Internal(fmt.Errorf("rank keys: %w", err))
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		if page.Cursor != nil {
			next = strconv.Itoa(offset + limit)
		}
	}
	return out, next, nil
}

func (s *Store) PruneUsage(ctx context.Context, level keyway.UsageLevel, before time.Time) (int64, error) {
	table, err := usageTable(level)
	if err != nil {
		return 0, keyway.Internal(err)
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM `+table+` WHERE at < $1`, before.UnixMilli())
	if err != nil {
		return 0, keyway.Internal(fmt.Errorf("prune usage: %w", err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func (s *Store) emitFirstUsed(ctx context.Context, tx *sql.Tx, keyID string, at keyway.Time) error {
	k, _, err := s.scanAPIKey(tx.QueryRowContext(ctx, `SELECT `+apiKeySelect+` FROM api_keys WHERE id = $1`, keyID))
	if err != nil {
		return keyway.Internal(fmt.Errorf("load key for first use: %w", err))
	}
	data, err := json.Marshal(k)
	if err != nil {
		return keyway.Internal(fmt.Errorf("encode key for first use: %w", err))
	}
	return s.emit(ctx, tx, keyway.Event{ID: keyway.NewEventID(), Topic: keyway.TopicAPIKeyFirstUsed,
		AccountID: k.AccountID, ProjectID: k.ProjectID, Data: data, CreatedAt: at})
}
