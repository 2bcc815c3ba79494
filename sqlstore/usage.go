package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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
		for _, b := range usageBuckets(batch) {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO `+b.table+` (project_id, key_id, account_id, at, successful, failed, rate_limited)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (project_id, key_id, account_id, at) DO UPDATE SET
					successful = `+b.table+`.successful + excluded.successful,
					failed = `+b.table+`.failed + excluded.failed,
					rate_limited = `+b.table+`.rate_limited + excluded.rate_limited`,
				b.projectID, b.keyID, b.accountID, b.at, b.successful, b.failed, b.rateLimited); err != nil {
				return keyway.Internal(fmt.Errorf("record usage: %w", err))
			}
		}
		for _, u := range keyUses(batch) {
			first, err := execOne(ctx, tx, `UPDATE api_keys SET first_used_at = $2 WHERE id = $1 AND first_used_at IS NULL`, u.keyID, u.first.Millis())
			if err != nil {
				return keyway.Internal(fmt.Errorf("record first use: %w", err))
			}
			if first {
				if err := s.emitFirstUsed(ctx, tx, u.keyID, u.first); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `
				UPDATE api_keys SET last_used_at = $2
				WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, u.keyID, u.last.Millis()); err != nil {
				return keyway.Internal(fmt.Errorf("record key use: %w", err))
			}
		}
		return nil
	})
}

// keyUse is when a key of a batch succeeded: the last success of its
// earliest minute with one (its first use, if it has none yet) and its
// latest success.
type keyUse struct {
	keyID       string
	first, last keyway.Time
}

// keyUses gathers a batch's successes per key, sorted by key so that
// concurrent flushes update api_keys rows in one order.
func keyUses(batch []keyway.Usage) []keyUse {
	uses := map[string]*keyUse{}
	firstMinute := map[string]int64{}
	for _, u := range batch {
		if u.Successful == 0 || u.KeyID == "" {
			continue
		}
		k := uses[u.KeyID]
		if k == nil {
			k = &keyUse{keyID: u.KeyID, first: u.LastSuccess, last: u.LastSuccess}
			uses[u.KeyID], firstMinute[u.KeyID] = k, u.Minute.Millis()
			continue
		}
		if m := u.Minute.Millis(); m < firstMinute[u.KeyID] {
			k.first, firstMinute[u.KeyID] = u.LastSuccess, m
		}
		if u.LastSuccess.After(k.last.Time) {
			k.last = u.LastSuccess
		}
	}
	out := make([]keyUse, 0, len(uses))
	for _, id := range slices.Sorted(maps.Keys(uses)) {
		out = append(out, *uses[id])
	}
	return out
}

// usageBucket is one row's worth of a batch at one level.
type usageBucket struct {
	table                           string
	projectID, keyID, accountID     string
	at                              int64
	successful, failed, rateLimited int64
}

// usageBuckets spreads a batch over every level, for each key and for its
// project's total row, adding up what lands in the same row. The buckets
// come sorted by table and key: every node's flush then locks rows in one
// order, where the batch's own order (a map's) would let two flushes that
// share a project's total row deadlock on PostgreSQL.
func usageBuckets(batch []keyway.Usage) []usageBucket {
	type rowKey struct {
		level                       int
		projectID, keyID, accountID string
		at                          int64
	}
	sums := map[rowKey]*usageBucket{}
	for _, u := range batch {
		owners := []string{u.KeyID}
		if u.KeyID != "" {
			owners = append(owners, "")
		}
		for i, l := range usageLevels {
			at := u.Minute.Truncate(l.width).UnixMilli()
			for _, key := range owners {
				k := rowKey{i, u.ProjectID, key, u.AccountID, at}
				b := sums[k]
				if b == nil {
					b = &usageBucket{table: l.table, projectID: u.ProjectID, keyID: key, accountID: u.AccountID, at: at}
					sums[k] = b
				}
				b.successful += u.Successful
				b.failed += u.Failed
				b.rateLimited += u.RateLimited
			}
		}
	}
	keys := slices.SortedFunc(maps.Keys(sums), func(a, b rowKey) int {
		return cmp.Or(cmp.Compare(a.level, b.level), cmp.Compare(a.projectID, b.projectID), cmp.Compare(a.keyID, b.keyID),
			cmp.Compare(a.accountID, b.accountID), cmp.Compare(a.at, b.at))
	})
	out := make([]usageBucket, len(keys))
	for i, k := range keys {
		out[i] = *sums[k]
	}
	return out
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

func (s *Store) RankedKeys(ctx context.Context, level keyway.UsageLevel, projectID string, from, to time.Time) ([]string, error) {
	table, err := usageTable(level)
	if err != nil {
		return nil, keyway.Internal(err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT key_id FROM `+table+`
		WHERE project_id = $1 AND key_id <> '' AND at >= $2 AND at < $3
		GROUP BY key_id
		ORDER BY SUM(successful) + SUM(failed) + SUM(rate_limited) DESC, key_id`, projectID, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("rank keys: %w", err))
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, keyway.Internal(fmt.Errorf("rank keys: %w", err))
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, keyway.Internal(fmt.Errorf("rank keys: %w", err))
	}
	return ids, nil
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
