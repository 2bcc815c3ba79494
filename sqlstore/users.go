package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/keywayhq/keyway"
)

var _ keyway.UserStore = (*Store)(nil)

const userCols = `id, email, name, password_hash, created_at, updated_at`

func (s *Store) CreateUserWithAccount(ctx context.Context, u *keyway.User, a *keyway.Account) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		if err := s.createAccount(ctx, tx, a); err != nil {
			return err
		}
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		return putRole(ctx, tx, u.ID, keyway.Grant{AccountID: a.ID, Role: keyway.RoleAdmin})
	})
}

func insertUser(ctx context.Context, tx *sql.Tx, u *keyway.User) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.CreatedAt.Millis(), u.UpdatedAt.Millis()); err != nil {
		if constraintViolation(err) == uniqueViolation {
			return keyway.Errorf(keyway.CodeConflict, "Email already registered")
		}
		return keyway.Internal(fmt.Errorf("create user: %w", err))
	}
	return nil
}

func (s *Store) user(ctx context.Context, where string, arg any) (*keyway.User, error) {
	var u keyway.User
	var created, updated int64
	err := s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE `+where+` = $1`, arg).
		Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrUserNotFound
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get user: %w", err))
	}
	u.CreatedAt, u.UpdatedAt = keyway.TimeFromMillis(created), keyway.TimeFromMillis(updated)
	return &u, nil
}

func (s *Store) UserByEmail(ctx context.Context, email string) (*keyway.User, error) {
	return s.user(ctx, "email", email)
}

func (s *Store) User(ctx context.Context, id string) (*keyway.User, error) {
	return s.user(ctx, "id", id)
}

func (s *Store) UserRoles(ctx context.Context, userID string) ([]keyway.UserRole, error) {
	// A deleted account's roles reach nothing and are not shown.
	rows, err := s.r.QueryContext(ctx, `SELECT r.account_id, r.project_id, r.role FROM user_roles r
		JOIN accounts a ON a.id = r.account_id
		WHERE r.user_id = $1 AND a.is_active = $2 ORDER BY r.account_id, r.project_id`, userID, true)
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("user roles: %w", err))
	}
	defer rows.Close()
	var out []keyway.UserRole
	for rows.Next() {
		r := keyway.UserRole{UserID: userID}
		var project, role string
		if err := rows.Scan(&r.AccountID, &project, &role); err != nil {
			return nil, keyway.Internal(fmt.Errorf("user roles: %w", err))
		}
		if project != "" {
			r.ProjectID = &project
		}
		r.Role = keyway.Role(role)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, keyway.Internal(fmt.Errorf("user roles: %w", err))
	}
	return out, nil
}

func (s *Store) CreateRefreshToken(ctx context.Context, digest [32]byte, userID, family string, created, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO refresh_tokens (digest, user_id, family, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5)`, digest[:], userID, family, expires.UnixMilli(), created.UnixMilli())
	if err != nil {
		return keyway.Internal(fmt.Errorf("create refresh token: %w", err))
	}
	return nil
}

func (s *Store) UseRefreshToken(ctx context.Context, digest [32]byte, now time.Time) (string, string, error) {
	var userID, family string
	var reused bool
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		var expires int64
		var used, revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT user_id, family, expires_at, used_at, revoked_at FROM refresh_tokens WHERE digest = $1`,
			digest[:]).Scan(&userID, &family, &expires, &used, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return keyway.ErrUnauthorized
		}
		if err != nil {
			return keyway.Internal(fmt.Errorf("use refresh token: %w", err))
		}
		if used.Valid || revoked.Valid {
			// Spent or revoked already: someone is replaying the chain.
			reused = true
			if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL`,
				family, now.UnixMilli()); err != nil {
				return keyway.Internal(fmt.Errorf("revoke refresh family: %w", err))
			}
			return nil
		}
		if now.UnixMilli() >= expires {
			return keyway.ErrUnauthorized
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE digest = $1`, digest[:], now.UnixMilli()); err != nil {
			return keyway.Internal(fmt.Errorf("use refresh token: %w", err))
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	if reused {
		// The revocation committed; the answer is still a refusal.
		return "", "", keyway.ErrUnauthorized
	}
	return userID, family, nil
}

func (s *Store) RenameUser(ctx context.Context, id, name string, at keyway.Time) (*keyway.User, error) {
	found, err := execOne(ctx, s.w, `UPDATE users SET name = $2, updated_at = $3 WHERE id = $1`, id, name, at.Millis())
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("rename user: %w", err))
	}
	if !found {
		return nil, keyway.ErrUserNotFound
	}
	return s.User(ctx, id)
}
