package sqlstore

import (
	"context"
	"fmt"

	"github.com/keywayhq/keyway"
)

var _ keyway.UsageStore = (*Store)(nil)

// RecordUsage adds a batch of usage to the hourly totals in one
// transaction, so a batch counts once or not at all.
func (s *Store) RecordUsage(ctx context.Context, batch []keyway.Usage) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	defer tx.Rollback()
	for _, u := range batch {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO usage_hourly (key_id, hour, project_id, account_id, successful, failed, rate_limited)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (key_id, hour) DO UPDATE SET
				successful = usage_hourly.successful + excluded.successful,
				failed = usage_hourly.failed + excluded.failed,
				rate_limited = usage_hourly.rate_limited + excluded.rate_limited`,
			u.KeyID, u.Hour.Millis(), u.ProjectID, u.AccountID, u.Successful, u.Failed, u.RateLimited); err != nil {
			return fmt.Errorf("record usage: %w", err)
		}
		if u.Successful == 0 {
			continue
		}
		last := u.LastSuccess.Millis()
		if _, err := tx.ExecContext(ctx, `
			UPDATE api_keys SET
				first_used_at = COALESCE(first_used_at, $2),
				last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < $2 THEN $2 ELSE last_used_at END
			WHERE id = $1`, u.KeyID, last); err != nil {
			return fmt.Errorf("record key use: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	return nil
}
