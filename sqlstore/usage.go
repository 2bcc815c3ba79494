package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/keywayhq/keyway"
)

var _ keyway.UsageStore = (*Store)(nil)

// RecordUsage adds a batch of usage to the hourly totals in one
// transaction, so a batch counts once or not at all. A key's first
// successful use is recorded here too, with its api-key.firstUsed event in
// the same transaction: the verification path itself never writes, and
// the event is emitted exactly once because only the write that sets
// first_used_at emits it.
func (s *Store) RecordUsage(ctx context.Context, batch []keyway.Usage) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		for _, u := range batch {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO usage_hourly (key_id, hour, project_id, account_id, successful, failed, rate_limited)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (key_id, hour) DO UPDATE SET
					successful = usage_hourly.successful + excluded.successful,
					failed = usage_hourly.failed + excluded.failed,
					rate_limited = usage_hourly.rate_limited + excluded.rate_limited`,
				u.KeyID, u.Hour.Millis(), u.ProjectID, u.AccountID, u.Successful, u.Failed, u.RateLimited); err != nil {
				return keyway.Internal(fmt.Errorf("record usage: %w", err))
			}
			if u.Successful == 0 {
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
