package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/keywayhq/keyway"
)

const accountCols = `id, name, is_active, created_by, created_by_type, created_in,
	last_changed_by, last_changed_by_type, created_at, updated_at`

// Reads also take the version, which inserts leave at its default.
const accountSelect = accountCols + `, version`

// execer is a pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) CreateAccount(ctx context.Context, a *keyway.Account) error {
	return s.createAccount(ctx, s.w, a)
}

func (s *Store) createAccount(ctx context.Context, ex execer, a *keyway.Account) error {
	_, err := ex.ExecContext(ctx, `INSERT INTO accounts (`+accountCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		a.ID, a.Name, a.IsActive, a.CreatedBy, string(a.CreatedByType), a.CreatedIn,
		a.LastChangedBy, string(a.LastChangedByType), a.CreatedAt.Millis(), a.UpdatedAt.Millis())
	if err != nil {
		if constraintViolation(err) == uniqueViolation {
			return keyway.Errorf(keyway.CodeConflict, "Account already exists")
		}
		return keyway.Internal(fmt.Errorf("create account %s: %w", a.ID, err))
	}
	return nil
}

func (s *Store) Account(ctx context.Context, id string) (*keyway.Account, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+accountSelect+` FROM accounts WHERE id = $1`, id)
	a, err := scanAccount(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrAccountNotFound
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get account %s: %w", id, err))
	}
	return a, nil
}

func scanAccount(row scanner) (*keyway.Account, error) {
	var (
		a                  keyway.Account
		byType, changeType string
		created, updated   int64
	)
	err := row.Scan(&a.ID, &a.Name, &a.IsActive, &a.CreatedBy, &byType, &a.CreatedIn,
		&a.LastChangedBy, &changeType, &created, &updated, &a.Version)
	if err != nil {
		return nil, err
	}
	a.CreatedByType, a.LastChangedByType = keyway.ActorType(byType), keyway.ActorType(changeType)
	a.CreatedAt, a.UpdatedAt = keyway.TimeFromMillis(created), keyway.TimeFromMillis(updated)
	return &a, nil
}

// UpdateAccount stores the mutable fields of a: name, active state and the
// last-change audit.
func (s *Store) UpdateAccount(ctx context.Context, a *keyway.Account) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		return versioned{what: "account " + a.ID, query: `UPDATE accounts
			SET name = $2, is_active = $3, last_changed_by = $4, last_changed_by_type = $5, updated_at = $6,
				version = version + 1
			WHERE id = $1 AND version = $7`,
			args:   []any{a.ID, a.Name, a.IsActive, a.LastChangedBy, string(a.LastChangedByType), a.UpdatedAt.Millis(), a.Version},
			exists: `SELECT 1 FROM accounts WHERE id = $1`, key: a.ID, notFound: keyway.ErrAccountNotFound, version: &a.Version,
		}.run(ctx, tx)
	})
}
