package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/keywayhq/keyway"
)

var (
	_ keyway.SessionStore = (*Store)(nil)
	_ keyway.SetupStore   = (*Store)(nil)
)

func (s *Store) CreateSession(ctx context.Context, digest [32]byte, se *keyway.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (id, digest, user_id, family, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, se.ID, digest[:], se.UserID, se.Family,
		se.CreatedAt.UnixMilli(), se.LastSeenAt.UnixMilli(), se.ExpiresAt.UnixMilli())
	if err != nil {
		return keyway.Internal(fmt.Errorf("create session: %w", err))
	}
	return nil
}

func (s *Store) Session(ctx context.Context, digest [32]byte, now, idleSince time.Time) (*keyway.Session, error) {
	var se keyway.Session
	var created, seen, expires int64
	// The family check reads refresh_tokens by its family index: a
	// replayed refresh token of the family, or a password change, revoked
	// it, and the session ends with it on every node.
	err := s.r.QueryRowContext(ctx, `SELECT s.id, s.user_id, s.family, s.created_at, s.last_seen_at, s.expires_at
		FROM sessions s WHERE s.digest = $1 AND s.expires_at > $2 AND s.last_seen_at >= $3
			AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family = s.family AND r.revoked_at IS NOT NULL)`,
		digest[:], now.UnixMilli(), idleSince.UnixMilli()).
		Scan(&se.ID, &se.UserID, &se.Family, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrUnauthorized
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get session: %w", err))
	}
	se.CreatedAt, se.LastSeenAt, se.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(seen).UTC(), time.UnixMilli(expires).UTC()
	return &se, nil
}

func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2`,
		id, at.UnixMilli()); err != nil {
		return keyway.Internal(fmt.Errorf("touch session: %w", err))
	}
	return nil
}

func (s *Store) EndSession(ctx context.Context, digest [32]byte, now time.Time) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		var family string
		err := tx.QueryRowContext(ctx, `DELETE FROM sessions WHERE digest = $1 RETURNING family`, digest[:]).Scan(&family)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return keyway.Internal(fmt.Errorf("end session: %w", err))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL`,
			family, now.UnixMilli()); err != nil {
			return keyway.Internal(fmt.Errorf("end session: revoke family: %w", err))
		}
		return nil
	})
}

func (s *Store) SetPassword(ctx context.Context, userID, hash string, now time.Time) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		found, err := execOne(ctx, tx, `UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1`, userID, hash, now.UnixMilli())
		if err != nil {
			return keyway.Internal(fmt.Errorf("set password: %w", err))
		}
		if !found {
			return keyway.ErrUserNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return keyway.Internal(fmt.Errorf("set password: end sessions: %w", err))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
			userID, now.UnixMilli()); err != nil {
			return keyway.Internal(fmt.Errorf("set password: revoke refresh tokens: %w", err))
		}
		return nil
	})
}

func (s *Store) PruneSessions(ctx context.Context, now, idleSince time.Time, limit int) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE id IN (
		SELECT id FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2 LIMIT $3)`,
		now.UnixMilli(), idleSince.UnixMilli(), limit)
	if err != nil {
		return 0, keyway.Internal(fmt.Errorf("prune sessions: %w", err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, keyway.Internal(fmt.Errorf("prune sessions: %w", err))
	}
	return int(n), nil
}

func (s *Store) BootstrapWithSetup(ctx context.Context, a *keyway.Account, k *keyway.AccessKey, setup [32]byte) (bool, error) {
	return s.bootstrap(ctx, a, k, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO setup_tokens (digest, account_id, created_at) VALUES ($1, $2, $3)`,
			setup[:], a.ID, a.CreatedAt.Millis()); err != nil {
			return keyway.Internal(fmt.Errorf("bootstrap: setup token: %w", err))
		}
		return nil
	})
}

func (s *Store) SetupAccount(ctx context.Context, digest [32]byte) (string, error) {
	return setupAccount(ctx, s.r, digest)
}

// rowQuerier is a pool or a transaction, for a read of one row.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// setupAccount reads the active account an unused setup token is for.
func setupAccount(ctx context.Context, q rowQuerier, digest [32]byte) (string, error) {
	var accountID string
	err := q.QueryRowContext(ctx, `SELECT t.account_id FROM setup_tokens t JOIN accounts a ON a.id = t.account_id
		WHERE t.digest = $1 AND t.used_at IS NULL AND a.is_active = $2`, digest[:], true).Scan(&accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", keyway.ErrSetupNotFound
	}
	if err != nil {
		return "", keyway.Internal(fmt.Errorf("setup token: %w", err))
	}
	return accountID, nil
}

func (s *Store) CompleteSetup(ctx context.Context, digest [32]byte, u *keyway.User, now time.Time) (string, error) {
	var accountID string
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		var err error
		if accountID, err = setupAccount(ctx, tx, digest); err != nil {
			return err
		}
		// The condition makes two racing completions spend it once: on
		// PostgreSQL the second waits on the row and then matches nothing.
		used, err := execOne(ctx, tx, `UPDATE setup_tokens SET used_at = $2 WHERE digest = $1 AND used_at IS NULL`, digest[:], now.UnixMilli())
		if err != nil {
			return keyway.Internal(fmt.Errorf("use setup token: %w", err))
		}
		if !used {
			return keyway.ErrSetupNotFound
		}
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		return putRole(ctx, tx, u.ID, keyway.Grant{AccountID: accountID, Role: keyway.RoleAdmin})
	})
	if err != nil {
		return "", err
	}
	return accountID, nil
}
