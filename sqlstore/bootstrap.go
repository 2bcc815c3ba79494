package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keywayhq/keyway"
)

// Bootstrap creates the first account and its access key in one
// transaction. The marker row in keyway_meta makes it happen once even when
// several nodes start on an empty database together: on PostgreSQL the
// second insert of the marker waits for the first transaction and then
// does nothing; on SQLite the writer lock serializes them.
func (s *Store) Bootstrap(ctx context.Context, a *keyway.Account, k *keyway.AccessKey) (bool, error) {
	return s.bootstrap(ctx, a, k, nil)
}

// bootstrap is Bootstrap, running also, when not nil, with the new
// account in the same transaction (BootstrapWithSetup's setup token).
func (s *Store) bootstrap(ctx context.Context, a *keyway.Account, k *keyway.AccessKey, also func(tx *sql.Tx) error) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, keyway.Internal(fmt.Errorf("bootstrap: %w", err))
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO keyway_meta (name, value) VALUES ('bootstrapped', $1)
		ON CONFLICT (name) DO NOTHING`, a.CreatedAt.Millis())
	if err != nil {
		return false, keyway.Internal(fmt.Errorf("bootstrap: %w", err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	var accounts int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&accounts); err != nil {
		return false, keyway.Internal(fmt.Errorf("bootstrap: %w", err))
	}
	// A store that already holds accounts is only marked, never given
	// another account.
	if accounts == 0 {
		if err := s.createAccount(ctx, tx, a); err != nil {
			return false, err
		}
		if err := s.createAccessKey(ctx, tx, k); err != nil {
			return false, err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return false, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return false, keyway.Internal(fmt.Errorf("bootstrap: %w", err))
	}
	return accounts == 0, nil
}
