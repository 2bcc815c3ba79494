package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

var _ keyway.PeopleStore = (*Store)(nil)

func (s *Store) CreateAccountForUser(ctx context.Context, a *keyway.Account, userID string) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		if err := s.createAccount(ctx, tx, a); err != nil {
			return err
		}
		return putRole(ctx, tx, userID, keyway.Grant{AccountID: a.ID, Role: keyway.RoleAdmin})
	})
}

// putRole sets a user's role over one scope, replacing the one there.
func putRole(ctx context.Context, tx *sql.Tx, userID string, g keyway.Grant) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, account_id, project_id, role) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, account_id, project_id) DO UPDATE SET role = excluded.role`,
		userID, g.AccountID, g.ProjectID, string(g.Role))
	if err != nil {
		return keyway.Internal(fmt.Errorf("put user role: %w", err))
	}
	return nil
}

// lockAccount serializes the transactions that change an account's roles,
// so two admins demoting each other at once cannot both pass the
// last-admin check.
func (s *Store) lockAccount(ctx context.Context, tx *sql.Tx, accountID string) error {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE id = $1`+s.d.lockRow, accountID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return keyway.ErrAccountNotFound
	}
	if err != nil {
		return keyway.Internal(fmt.Errorf("lock account: %w", err))
	}
	return nil
}

// admins counts the people who administer a whole account.
func admins(ctx context.Context, tx *sql.Tx, accountID string) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_roles WHERE account_id = $1 AND project_id = '' AND role = $2`,
		accountID, string(keyway.RoleAdmin)).Scan(&n); err != nil {
		return 0, keyway.Internal(fmt.Errorf("count admins: %w", err))
	}
	return n, nil
}

// keepingAdmin runs a change of an account's roles and fails it when it
// leaves an account that had an account-wide admin without one. An account
// run by access keys alone (the bootstrap one) has none to keep.
func (s *Store) keepingAdmin(ctx context.Context, tx *sql.Tx, accountID string, change func() error) error {
	if err := s.lockAccount(ctx, tx, accountID); err != nil {
		return err
	}
	before, err := admins(ctx, tx, accountID)
	if err != nil {
		return err
	}
	if err := change(); err != nil {
		return err
	}
	after, err := admins(ctx, tx, accountID)
	if err != nil {
		return err
	}
	if before > 0 && after == 0 {
		return keyway.ErrLastAdmin
	}
	return nil
}

func (s *Store) Teammates(ctx context.Context, accountID string) ([]keyway.Teammate, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT u.id, u.name, u.email, r.role, r.project_id
		FROM user_roles r JOIN users u ON u.id = r.user_id
		WHERE r.account_id = $1 ORDER BY u.email, r.project_id`, accountID)
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("teammates: %w", err))
	}
	defer rows.Close()
	out := []keyway.Teammate{}
	for rows.Next() {
		var t keyway.Teammate
		var role, project string
		if err := rows.Scan(&t.UserID, &t.Name, &t.Email, &role, &project); err != nil {
			return nil, keyway.Internal(fmt.Errorf("teammates: %w", err))
		}
		t.Role = keyway.Role(role)
		if project != "" {
			t.ProjectID = &project
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, keyway.Internal(fmt.Errorf("teammates: %w", err))
	}
	return out, nil
}

func (s *Store) SetUserRole(ctx context.Context, userID string, g keyway.Grant) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		return s.keepingAdmin(ctx, tx, g.AccountID, func() error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_roles WHERE user_id = $1 AND account_id = $2`,
				userID, g.AccountID).Scan(&n); err != nil {
				return keyway.Internal(fmt.Errorf("set user role: %w", err))
			}
			if n == 0 {
				return keyway.ErrUserNotFound
			}
			return putRole(ctx, tx, userID, g)
		})
	})
}

func (s *Store) RemoveUserRoles(ctx context.Context, userID, accountID, projectID string) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		return s.keepingAdmin(ctx, tx, accountID, func() error {
			q := `DELETE FROM user_roles WHERE user_id = $1 AND account_id = $2`
			args := []any{userID, accountID}
			if projectID != "" {
				q += ` AND project_id = $3`
				args = append(args, projectID)
			}
			found, err := execOne(ctx, tx, q, args...)
			if err != nil {
				return keyway.Internal(fmt.Errorf("remove user roles: %w", err))
			}
			if !found {
				return keyway.ErrUserNotFound
			}
			return nil
		})
	})
}

const invitationCols = `id, account_id, email, project_ids, role, status, invited_by, invited_by_type, inviter_name,
	accepted_by, expires_at, created_at, updated_at`

func scanInvitation(row scanner) (*keyway.Invitation, position, error) {
	var i keyway.Invitation
	var projects, role, status, byType string
	var expires, created, updated int64
	if err := row.Scan(&i.ID, &i.AccountID, &i.Email, &projects, &role, &status, &i.InvitedBy, &byType, &i.InviterName,
		&i.AcceptedBy, &expires, &created, &updated); err != nil {
		return nil, position{}, err
	}
	if err := json.Unmarshal([]byte(projects), &i.ProjectIDs); err != nil {
		return nil, position{}, fmt.Errorf("invitation %s projects: %w", i.ID, err)
	}
	if i.ProjectIDs == nil {
		i.ProjectIDs = []string{}
	}
	i.Role, i.Status, i.InvitedByType = keyway.Role(role), keyway.InvitationStatus(status), keyway.ActorType(byType)
	i.ExpiresAt, i.CreatedAt, i.UpdatedAt = keyway.TimeFromMillis(expires), keyway.TimeFromMillis(created), keyway.TimeFromMillis(updated)
	return &i, position{createdAt: created, tie: i.ID}, nil
}

func projectIDsJSON(ids []string) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids) // strings always marshal
	return string(b)
}

func (s *Store) CreateInvitations(ctx context.Context, invs []*keyway.Invitation, now time.Time) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		for _, i := range invs {
			// A pending invitation whose time ran out gives way to the new one.
			if _, err := tx.ExecContext(ctx, `UPDATE invitations SET status = 'expired', updated_at = $3
				WHERE account_id = $1 AND email = $2 AND status = 'pending' AND expires_at <= $3`,
				i.AccountID, i.Email, now.UnixMilli()); err != nil {
				return keyway.Internal(fmt.Errorf("expire invitations: %w", err))
			}
			var members int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_roles r JOIN users u ON u.id = r.user_id
				WHERE r.account_id = $1 AND u.email = $2`, i.AccountID, i.Email).Scan(&members); err != nil {
				return keyway.Internal(fmt.Errorf("check membership: %w", err))
			}
			if members > 0 {
				return keyway.Errorf(keyway.CodeConflict, "%s is already a member of this account", i.Email)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO invitations (`+invitationCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
				i.ID, i.AccountID, i.Email, projectIDsJSON(i.ProjectIDs), string(i.Role), string(i.Status), i.InvitedBy,
				string(i.InvitedByType), i.InviterName, i.AcceptedBy, i.ExpiresAt.Millis(), i.CreatedAt.Millis(), i.UpdatedAt.Millis())
			if constraintViolation(err) == uniqueViolation {
				return keyway.Errorf(keyway.CodeConflict, "An invitation for %s is already pending", i.Email)
			}
			if err != nil {
				return keyway.Internal(fmt.Errorf("create invitation: %w", err))
			}
		}
		return nil
	})
}

func (s *Store) Invitation(ctx context.Context, id string) (*keyway.Invitation, error) {
	i, _, err := scanInvitation(s.r.QueryRowContext(ctx, `SELECT `+invitationCols+` FROM invitations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrInvitationNotFound
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get invitation: %w", err))
	}
	return i, nil
}

func (s *Store) Invitations(ctx context.Context, f keyway.InvitationFilter) ([]*keyway.Invitation, string, error) {
	var q query
	q.where("account_id = " + q.arg(f.AccountID))
	if f.ProjectID != "" {
		// Project ids are UUIDs, free of LIKE's wildcards and of quotes.
		q.where("project_ids LIKE " + q.arg(`%"`+f.ProjectID+`"%`))
	}
	now := f.Now.UnixMilli()
	switch f.Status {
	case "":
	case keyway.InvitationPending:
		q.where("status = 'pending' AND expires_at > " + q.arg(now))
	case keyway.InvitationExpired:
		q.where("(status = 'expired' OR (status = 'pending' AND expires_at <= " + q.arg(now) + "))")
	default:
		q.where("status = " + q.arg(string(f.Status)))
	}
	return list(ctx, s.r, "invitations", `SELECT `+invitationCols+` FROM invitations`, &q,
		listOrder{desc: true, tie: "id"}, f.Page, scanInvitation)
}

func (s *Store) UpdatePendingInvitation(ctx context.Context, i *keyway.Invitation, now time.Time) error {
	found, err := execOne(ctx, s.w, `UPDATE invitations SET role = $2, status = $3, updated_at = $4
		WHERE id = $1 AND status = 'pending' AND expires_at > $5`,
		i.ID, string(i.Role), string(i.Status), i.UpdatedAt.Millis(), now.UnixMilli())
	if err != nil {
		return keyway.Internal(fmt.Errorf("update invitation: %w", err))
	}
	if !found {
		return keyway.ErrInvitationNotPending
	}
	return nil
}

func (s *Store) AcceptInvitation(ctx context.Context, id string, u *keyway.User, newUser bool, n *keyway.Notification, now time.Time) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		i, _, err := scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationCols+` FROM invitations WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return keyway.ErrInvitationNotFound
		}
		if err != nil {
			return keyway.Internal(fmt.Errorf("accept invitation: %w", err))
		}
		return s.keepingAdmin(ctx, tx, i.AccountID, func() error { return s.accept(ctx, tx, i, u, newUser, n, now) })
	})
}

func (s *Store) accept(ctx context.Context, tx *sql.Tx, i *keyway.Invitation, u *keyway.User, newUser bool, n *keyway.Notification, now time.Time) error {
	accepted, err := execOne(ctx, tx, `UPDATE invitations SET status = 'accepted', accepted_by = $2, updated_at = $3
		WHERE id = $1 AND status = 'pending' AND expires_at > $3 AND email = $4`, i.ID, u.ID, now.UnixMilli(), u.Email)
	if err != nil {
		return keyway.Internal(fmt.Errorf("accept invitation: %w", err))
	}
	if !accepted {
		return keyway.ErrInvitationNotPending
	}
	if newUser {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
	}
	for _, g := range i.Grants() {
		if err := putRole(ctx, tx, u.ID, g); err != nil {
			return err
		}
	}
	return insertNotification(ctx, tx, n)
}

func insertNotification(ctx context.Context, ex execer, n *keyway.Notification) error {
	if n == nil {
		return nil
	}
	if n.ID == "" {
		n.ID = "ntf_" + keycrypt.RandomString(24)
	}
	_, err := ex.ExecContext(ctx, `INSERT INTO notifications (id, type, title, message, account_id, project_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, n.ID, n.Type, n.Title, n.Message, n.AccountID, n.ProjectID, n.CreatedAt.Millis())
	if err != nil {
		return keyway.Internal(fmt.Errorf("write notification: %w", err))
	}
	return nil
}

func (s *Store) CreateLoginCode(ctx context.Context, digest []byte, userID string, created, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO login_codes (digest, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)`,
		digest, userID, expires.UnixMilli(), created.UnixMilli())
	if err != nil {
		return keyway.Internal(fmt.Errorf("create login code: %w", err))
	}
	return nil
}

func (s *Store) UseLoginCode(ctx context.Context, digest []byte, now time.Time) (string, error) {
	var userID string
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM login_codes WHERE digest = $1 AND used_at IS NULL AND expires_at > $2`,
			digest, now.UnixMilli()).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return keyway.ErrUnauthorized
		}
		if err != nil {
			return keyway.Internal(fmt.Errorf("use login code: %w", err))
		}
		// The condition makes two racing uses spend it once.
		used, err := execOne(ctx, tx, `UPDATE login_codes SET used_at = $2 WHERE digest = $1 AND used_at IS NULL`, digest, now.UnixMilli())
		if err != nil {
			return keyway.Internal(fmt.Errorf("use login code: %w", err))
		}
		if !used {
			return keyway.ErrUnauthorized
		}
		return nil
	})
	return userID, err
}

func (s *Store) NotifyExpiringKeys(ctx context.Context, now, until time.Time, notify func(k *keyway.APIKey) *keyway.Notification) (int, error) {
	// Keys of a deleted project or account no longer verify: no notice.
	rows, err := s.r.QueryContext(ctx, `SELECT k.id, k.account_id, k.project_id, k.name, k.expires_at FROM api_keys k
		JOIN projects p ON p.id = k.project_id JOIN accounts a ON a.id = k.account_id
		WHERE k.expires_at IS NOT NULL AND k.is_active = $1 AND k.expires_at > $2 AND k.expires_at <= $3
			AND (k.expiry_noticed IS NULL OR k.expiry_noticed <> k.expires_at) AND p.is_active = $1 AND a.is_active = $1
		ORDER BY k.expires_at LIMIT 1000`, true, now.UnixMilli(), until.UnixMilli())
	if err != nil {
		return 0, keyway.Internal(fmt.Errorf("expiring keys: %w", err))
	}
	var keys []*keyway.APIKey
	for rows.Next() {
		var k keyway.APIKey
		var expires int64
		if err := rows.Scan(&k.ID, &k.AccountID, &k.ProjectID, &k.Name, &expires); err != nil {
			rows.Close()
			return 0, keyway.Internal(fmt.Errorf("expiring keys: %w", err))
		}
		t := keyway.TimeFromMillis(expires)
		k.ExpiresAt = &t
		keys = append(keys, &k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, keyway.Internal(fmt.Errorf("expiring keys: %w", err))
	}
	written := 0
	for _, k := range keys {
		err := s.write(ctx, nil, func(tx *sql.Tx) error {
			// The condition makes one node's notice win when several race.
			marked, err := execOne(ctx, tx, `UPDATE api_keys SET expiry_noticed = expires_at
				WHERE id = $1 AND expires_at = $2 AND (expiry_noticed IS NULL OR expiry_noticed <> expires_at)`,
				k.ID, k.ExpiresAt.Millis())
			if err != nil {
				return keyway.Internal(fmt.Errorf("mark expiry noticed: %w", err))
			}
			if !marked {
				return nil
			}
			written++
			return insertNotification(ctx, tx, notify(k))
		})
		if err != nil {
			return written, err
		}
	}
	return written, nil
}
