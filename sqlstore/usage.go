package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

var _ keyway.UsageStore = (*Store)(nil)

// usageLevels are the bucket tables; a batch is added to every level.
var usageLevels = []struct {
	level keyway.UsageLevel
	table string
}{
	{keyway.UsageByMinute, "usage_minute"},
	{keyway.UsageByHour, "usage_hour"},
	{keyway.UsageByDay, "usage_day"},
}

func usageTable(level keyway.UsageLevel) (string, error) {
	for _, l := range usageLevels {
		if l.level == level {
			return l.table, nil
		}
	}
	return "", fmt.Errorf("sqlstore: no usage level %q", level)
}

// shortKeyTotals is the longest range KeyTotals reads by time.
const shortKeyTotals = 48 * time.Hour

// keyTotalsByKey adds up each key's rows in key order, from the primary
// key. Its condition on key_id is "> ”", not "<> ”": that one names the
// partial (project_id, at) index, which SQLite then takes (and sorts
// every row it reads to group them).
func keyTotalsByKey(table string) string {
	return `SELECT key_id, SUM(successful), SUM(failed), SUM(rate_limited) FROM ` + table + `
		WHERE project_id = $1 AND key_id > '' AND at >= $2 AND at < $3 GROUP BY key_id ORDER BY key_id`
}

// keyTotalsByTime reads the key rows of a short range through the
// partial (project_id, at) index, whose condition it names.
func keyTotalsByTime(table string) string {
	return `SELECT key_id, successful, failed, rate_limited FROM ` + table + `
		WHERE project_id = $1 AND key_id <> '' AND at >= $2 AND at < $3`
}

// usageBucketStatements upsert bucket rows, one statement per level table.
var usageBucketStatements = func() map[string]rowSetStatement {
	out := map[string]rowSetStatement{}
	for _, l := range usageLevels {
		t := l.table
		out[t] = rowSetStatement{
			cols:  []string{"project_id", "key_id", "account_id", "at", "successful", "failed", "rate_limited"},
			types: []colType{textCol, textCol, textCol, bigintCol, bigintCol, bigintCol, bigintCol},
			build: func(*query) string {
				return `INSERT INTO ` + t + ` (project_id, key_id, account_id, at, successful, failed, rate_limited)
					SELECT project_id, key_id, account_id, at, successful, failed, rate_limited FROM v WHERE true
					ON CONFLICT (project_id, key_id, account_id, at) DO UPDATE SET
						successful = ` + t + `.successful + excluded.successful,
						failed = ` + t + `.failed + excluded.failed,
						rate_limited = ` + t + `.rate_limited + excluded.rate_limited`
			},
		}
	}
	return out
}()

// lastUseStep is how far a key's last use must move on before its row is
// written again: a key in constant use costs its api_keys row one write a
// minute, not one every flush (on PostgreSQL a new row version, and its
// index entries when the page is full). lastUsedAt is exact to that. The
// verifier already leaves out most such successes (verify's lastUseStep);
// this covers several nodes reporting the same key.
const lastUseStep = time.Minute

// The api_keys statements of a chunk. The columns of v are named apart
// from api_keys' own, so that the statements can name those unqualified.
var (
	// usedKeys reads which of the chunk's keys' rows setUses will write,
	// in key order, and whether each is a first use; on PostgreSQL it also
	// locks them in that order, since flushes of different nodes share
	// keys and an UPDATE … FROM visits rows in whatever order its plan
	// takes.
	usedKeys = rowSetStatement{cols: []string{"vid", "vfirst", "vlast"}, types: []colType{textCol, bigintCol, bigintCol},
		build: func(q *query) string {
			return `SELECT api_keys.id, api_keys.first_used_at IS NULL FROM api_keys JOIN v ON api_keys.id = v.vid
				WHERE ` + usesToWrite(q) + ` ORDER BY api_keys.id`
		}}
	// setUses sets first uses where unset and last uses that moved on by
	// lastUseStep (or were unset), in one write per key.
	setUses = rowSetStatement{cols: []string{"vid", "vfirst", "vlast"}, types: []colType{textCol, bigintCol, bigintCol},
		build: func(q *query) string {
			return `UPDATE api_keys SET first_used_at = COALESCE(api_keys.first_used_at, v.vfirst),
					last_used_at = CASE WHEN api_keys.last_used_at IS NULL OR api_keys.last_used_at < v.vlast THEN v.vlast ELSE api_keys.last_used_at END
				FROM v WHERE api_keys.id = v.vid AND ` + usesToWrite(q)
		}}
)

// usesToWrite is the condition under which a key's row is written: only
// those rows are locked, and then updated.
func usesToWrite(q *query) string {
	return `(api_keys.first_used_at IS NULL OR api_keys.last_used_at IS NULL OR api_keys.last_used_at <= v.vlast - ` + q.arg(lastUseStep.Milliseconds()) + `)`
}

// RecordUsage adds a chunk to the minute, hour and day buckets in one
// transaction, so a chunk counts once or not at all; nodes flushing the
// same key add to the same rows. The chunk's id goes in first: it is what
// SettleUsageChunk looks for, and inserting it first makes a settle that
// runs meanwhile wait for this transaction's end.
//
// A key's first successful use is recorded here too, with its
// api-key.firstUsed event in the same transaction: the verification path
// itself never writes, and the event is emitted exactly once because only
// the write that sets first_used_at emits it.
//
// Every statement is set-based (a multi-row VALUES list on SQLite, arrays
// unnested on PostgreSQL), so a chunk costs a few statements per level
// whatever its size.
func (s *Store) RecordUsage(ctx context.Context, c keyway.UsageChunk) error {
	buckets := usageBuckets(c.Rows)
	uses := keyUses(c.Rows)
	var firstUsed []keyway.Event
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_chunks (id, at) VALUES ($1, $2)`, c.ID, c.At.Millis()); err != nil {
			return keyway.Internal(fmt.Errorf("record usage chunk: %w", err))
		}
		for _, l := range usageLevels {
			rows := buckets[l.table]
			if len(rows) == 0 {
				continue
			}
			if err := usageBucketStatements[l.table].exec(ctx, s.d, tx, rows); err != nil {
				return keyway.Internal(fmt.Errorf("record usage: %w", err))
			}
		}
		if len(uses) == 0 {
			return nil
		}
		times := make([][]any, len(uses))
		byID := make(map[string]keyUse, len(uses))
		for i, u := range uses {
			byID[u.keyID] = u
			times[i] = []any{u.keyID, u.first.Millis(), u.last.Millis()}
		}
		lock := usedKeys
		if s.d.lockRow != "" {
			lock.build = func(q *query) string { return usedKeys.build(q) + s.d.lockRow + " OF api_keys" }
		}
		var fresh []string
		err := lock.query(ctx, s.d, tx, times, func(r *sql.Rows) error {
			var id string
			var unused bool
			if err := r.Scan(&id, &unused); err != nil {
				return err
			}
			if unused {
				fresh = append(fresh, id)
			}
			return nil
		})
		if err != nil {
			return keyway.Internal(fmt.Errorf("read key uses: %w", err))
		}
		if err := setUses.exec(ctx, s.d, tx, times); err != nil {
			return keyway.Internal(fmt.Errorf("record key use: %w", err))
		}
		// A first use is an event only where a webhook hears it: the full
		// rows (and their keys, unsealed) are read for those keys alone.
		scopes := map[eventScope]bool{}
		for _, id := range fresh {
			u := byID[id]
			scopes[eventScope{keyway.TopicAPIKeyFirstUsed, u.accountID, u.projectID}] = false
		}
		if len(scopes) == 0 {
			return nil
		}
		if err := s.heard(ctx, tx, scopes); err != nil {
			return keyway.Internal(fmt.Errorf("find webhooks for first uses: %w", err))
		}
		heard := fresh[:0]
		for _, id := range fresh {
			if u := byID[id]; scopes[eventScope{keyway.TopicAPIKeyFirstUsed, u.accountID, u.projectID}] {
				heard = append(heard, id)
			}
		}
		if len(heard) == 0 {
			return nil
		}
		keys, err := apiKeysByID(ctx, s, tx, heard)
		if err != nil {
			return keyway.Internal(fmt.Errorf("record first use: %w", err))
		}
		for _, k := range keys {
			ev, err := keyway.APIKeyFirstUsedEvent(keycrypt.NewEventID(), k, byID[k.ID].first)
			if err != nil {
				return keyway.Internal(err)
			}
			firstUsed = append(firstUsed, ev)
		}
		return s.emitMany(ctx, tx, firstUsed)
	})
	if err == nil && len(firstUsed) > 0 {
		s.notifyEvents()
	}
	return err
}

// SettleUsageChunk inserts the chunk's id itself: a conflict means the
// chunk was recorded; success means it was not, and now cannot be. On
// PostgreSQL the insert waits for a transaction still holding that id.
func (s *Store) SettleUsageChunk(ctx context.Context, id string, at keyway.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO usage_chunks (id, at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, at.Millis())
	if err != nil {
		return false, keyway.Internal(fmt.Errorf("settle usage chunk: %w", err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, keyway.Internal(fmt.Errorf("settle usage chunk: %w", err))
	}
	return n == 0, nil
}

// PruneUsageChunks forgets the ids of chunks cut before before; a flusher
// settles a chunk within minutes, so a day is plenty.
func (s *Store) PruneUsageChunks(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM usage_chunks WHERE at < $1`, before.UnixMilli())
	if err != nil {
		return 0, keyway.Internal(fmt.Errorf("prune usage chunks: %w", err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// keyUse is when a key of a batch succeeded: the last success of its
// earliest minute with one (its first use, if it has none yet) and its
// latest success.
type keyUse struct {
	keyID, accountID, projectID string
	first, last                 keyway.Time
}

// keyUses gathers a batch's successes per key, sorted by key so that
// concurrent flushes update api_keys rows in one order.
func keyUses(batch []keyway.Usage) []keyUse {
	uses := map[string]*keyUse{}
	firstMinute := map[string]int64{}
	for _, u := range batch {
		// Rows whose successes the verifier does not report (lastUsedAt
		// moved on by less than a minute) leave api_keys alone.
		if u.Successful == 0 || u.KeyID == "" || u.LastSuccess.IsZero() {
			continue
		}
		k := uses[u.KeyID]
		if k == nil {
			k = &keyUse{keyID: u.KeyID, accountID: u.AccountID, projectID: u.ProjectID, first: u.LastSuccess, last: u.LastSuccess}
			uses[u.KeyID], firstMinute[u.KeyID] = k, u.At.Millis()
			continue
		}
		if m := u.At.Millis(); m < firstMinute[u.KeyID] {
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

// usageBuckets spreads a chunk over the levels each row reaches, for its
// project's total row and (by hour and day) for each key, adding up what lands in the same
// row, and returns each table's rows (project_id, key_id, account_id, at,
// successful, failed, rate_limited). They come sorted by key: every node's
// flush then locks rows in one order, where the chunk's own order (a
// map's) would let two flushes that share a project's total row deadlock
// on PostgreSQL.
func usageBuckets(rows []keyway.Usage) map[string][][]any {
	type rowKey struct {
		level                       int
		projectID, keyID, accountID string
		at                          int64
	}
	type sum struct{ successful, failed, rateLimited int64 }
	sums := map[rowKey]*sum{}
	for _, u := range rows {
		for i, l := range usageLevels {
			if !reaches(u.Level, l.level) {
				continue
			}
			at := u.At.Truncate(l.level.Width()).UnixMilli()
			// Every level has the project's (or the account's) total row;
			// keys have hour and day rows only. Nothing reads a key by the
			// minute, and at 100,000 busy keys those rows would be 288
			// million in the minute table's 48 hours, and a third of every
			// flush's writes.
			owners := []string{""}
			if u.KeyID != "" && l.level != keyway.UsageByMinute {
				owners = append(owners, u.KeyID)
			}
			for _, key := range owners {
				k := rowKey{i, u.ProjectID, key, u.AccountID, at}
				b := sums[k]
				if b == nil {
					b = &sum{}
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
	out := map[string][][]any{}
	for _, k := range keys {
		b, t := sums[k], usageLevels[k.level].table
		out[t] = append(out[t], []any{k.projectID, k.keyID, k.accountID, k.at, b.successful, b.failed, b.rateLimited})
	}
	return out
}

// reaches reports whether counts exact at resolution have a bucket at
// level: minute counts reach every level, rolled-up ones only the coarser.
func reaches(resolution, level keyway.UsageLevel) bool {
	rank := map[keyway.UsageLevel]int{"": 0, keyway.UsageByMinute: 0, keyway.UsageByHour: 1, keyway.UsageByDay: 2}
	return rank[level] >= rank[resolution]
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

// KeyTotals adds up each key's buckets of a project in [from, to), in key
// order. A range of two days at most (the day or the hours the ranking
// re-reads on every view) is read through the (project_id, at) index and
// added up here: SQLite answers a GROUP BY key_id from the primary key
// instead, which reads the project's whole history. A longer range by the
// day is read from the days' summaries (usage_summary.go); by the hour, in
// key order from the primary key, where GROUP BY costs nothing more.
func (s *Store) KeyTotals(ctx context.Context, level keyway.UsageLevel, projectID string, from, to time.Time) ([]keyway.KeyUsageTotal, error) {
	table, err := usageTable(level)
	if err != nil {
		return nil, keyway.Internal(err)
	}
	if level == keyway.UsageByDay && to.Sub(from) > shortKeyTotals {
		return s.dayKeyTotals(ctx, projectID, from, to)
	}
	return s.keyTotals(ctx, table, projectID, from, to)
}

// keyTotals adds up each key's rows of table in [from, to), in key order:
// by time through the (project_id, at) index for two days at most, by key
// from the primary key for longer.
func (s *Store) keyTotals(ctx context.Context, table, projectID string, from, to time.Time) ([]keyway.KeyUsageTotal, error) {
	short := to.Sub(from) <= shortKeyTotals
	q := keyTotalsByKey(table)
	if short {
		q = keyTotalsByTime(table)
	}
	rows, err := s.r.QueryContext(ctx, q, projectID, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("key totals: %w", err))
	}
	defer rows.Close()
	var out []keyway.KeyUsageTotal
	for rows.Next() {
		var k keyway.KeyUsageTotal
		var su, f, rl int64
		if err := rows.Scan(&k.KeyID, &su, &f, &rl); err != nil {
			return nil, keyway.Internal(fmt.Errorf("key totals: %w", err))
		}
		k.Add(su, f, rl)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, keyway.Internal(fmt.Errorf("key totals: %w", err))
	}
	if short {
		out = sumByKey(out)
	}
	return out, nil
}

// sumByKey sorts ts by key and adds up the totals of each key into one,
// in place.
func sumByKey(ts []keyway.KeyUsageTotal) []keyway.KeyUsageTotal {
	slices.SortFunc(ts, func(a, b keyway.KeyUsageTotal) int { return strings.Compare(a.KeyID, b.KeyID) })
	out := ts[:0]
	for _, t := range ts {
		if n := len(out); n > 0 && out[n-1].KeyID == t.KeyID {
			out[n-1].Add(t.Successful, t.Failed, t.RateLimited)
			continue
		}
		out = append(out, t)
	}
	return out
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
	if level == keyway.UsageByDay {
		// A summary left behind would be used for nothing (its day has
		// no project row to match), but would be kept forever.
		if _, err := s.w.ExecContext(ctx, `DELETE FROM usage_day_keys WHERE at < $1`, before.UnixMilli()); err != nil {
			return n, keyway.Internal(fmt.Errorf("prune usage summaries: %w", err))
		}
	}
	return n, nil
}
