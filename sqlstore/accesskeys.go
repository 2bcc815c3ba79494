package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/keywayhq/keyway"
)

const accessKeyCols = `key_hash, key_sealed, name, account_id, project_id, is_active,
	rate_limit, rate_limit_ttl, created_at, updated_at`

const accessKeySelect = accessKeyCols + `, version`

// CreateAccessKey fails with CodeConflict if the key string exists, and
// with ErrAccountNotFound or ErrProjectNotFound if k refers to a missing one.
func (s *Store) CreateAccessKey(ctx context.Context, k *keyway.AccessKey, events ...keyway.Event) error {
	return s.write(ctx, events, func(tx *sql.Tx) error { return s.createAccessKey(ctx, tx, k) })
}

func (s *Store) createAccessKey(ctx context.Context, ex execer, k *keyway.AccessKey) error {
	hash, sealed := s.hashAndSeal(k.Key.Reveal())
	_, err := ex.ExecContext(ctx, `INSERT INTO access_keys (`+accessKeyCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		hash, sealed, k.Name, k.AccountID, k.ProjectID, k.IsActive,
		k.RateLimit, k.RateLimitTTL, k.CreatedAt.Millis(), k.UpdatedAt.Millis())
	if err != nil {
		switch constraintViolation(err) {
		case uniqueViolation:
			return keyway.Errorf(keyway.CodeConflict, "Access key already exists")
		case foreignKeyViolation:
			// Neither engine says which reference failed.
			if _, err := s.Account(ctx, k.AccountID); err != nil {
				return err
			}
			return keyway.ErrProjectNotFound
		}
		return keyway.Internal(fmt.Errorf("create access key: %w", err))
	}
	return nil
}

// AccessKey finds an access key by its string.
func (s *Store) AccessKey(ctx context.Context, key string) (*keyway.AccessKey, error) {
	return s.AccessKeyByHash(ctx, lookupHash(key))
}

// AccessKeyByHash finds an access key by the digest its row is stored
// under (keycrypt.HashKey of its string).
func (s *Store) AccessKeyByHash(ctx context.Context, hash []byte) (*keyway.AccessKey, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+accessKeySelect+` FROM access_keys WHERE key_hash = $1`, hash)
	k, _, err := s.scanAccessKey(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrAccessKeyNotFound
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get access key: %w", err))
	}
	return k, nil
}

// AccessKeys lists an account's access keys, newest first: all of them when
// projectID is "", else only that project's.
func (s *Store) AccessKeys(ctx context.Context, accountID, projectID string, isActive *bool, page keyway.Page) ([]*keyway.AccessKey, string, error) {
	var q query
	q.where("account_id = " + q.arg(accountID))
	if projectID != "" {
		q.where("project_id = " + q.arg(projectID))
	}
	if isActive != nil {
		q.where("is_active = " + q.arg(*isActive))
	}
	// Access keys have no other identity than their hash, so it breaks
	// created_at ties; the cursor carries it hex-encoded.
	order := listOrder{desc: true, tie: "key_hash", tieArg: func(s string) (any, error) { return hex.DecodeString(s) }}
	return list(ctx, s.r, "access keys", `SELECT `+accessKeySelect+` FROM access_keys`, &q, order, page, s.scanAccessKey)
}

func (s *Store) scanAccessKey(row scanner) (*keyway.AccessKey, position, error) {
	var (
		k                keyway.AccessKey
		hash, sealed     []byte
		created, updated int64
	)
	err := row.Scan(&hash, &sealed, &k.Name, &k.AccountID, &k.ProjectID, &k.IsActive,
		&k.RateLimit, &k.RateLimitTTL, &created, &updated, &k.Version)
	if err != nil {
		return nil, position{}, err
	}
	key, err := s.unseal(hash, sealed)
	if err != nil {
		return nil, position{}, fmt.Errorf("access key: %w", err)
	}
	k.Key = keyway.AccessKeySecret(key)
	k.CreatedAt, k.UpdatedAt = keyway.TimeFromMillis(created), keyway.TimeFromMillis(updated)
	return &k, position{createdAt: created, tie: hex.EncodeToString(hash)}, nil
}

// UpdateAccessKey stores the mutable fields of k (name and active state),
// found by its key string.
func (s *Store) UpdateAccessKey(ctx context.Context, k *keyway.AccessKey, events ...keyway.Event) error {
	return s.write(ctx, events, func(tx *sql.Tx) error {
		return versioned{what: "access key", query: `UPDATE access_keys SET name = $2, is_active = $3, updated_at = $4,
				version = version + 1
			WHERE key_hash = $1 AND version = $5`,
			args:   []any{lookupHash(k.Key.Reveal()), k.Name, k.IsActive, k.UpdatedAt.Millis(), k.Version},
			exists: `SELECT 1 FROM access_keys WHERE key_hash = $1`, key: lookupHash(k.Key.Reveal()), notFound: keyway.ErrAccessKeyNotFound, version: &k.Version,
		}.run(ctx, tx)
	})
}
