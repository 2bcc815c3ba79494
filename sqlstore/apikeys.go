package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/keywayhq/keyway"
)

// name_lower is computed here rather than with SQL lower(), which in SQLite
// only folds ASCII.
const apiKeyCols = `id, key_hash, key_sealed, account_id, project_id, env, name, custom_meta_data,
	custom_account_id, custom_user_id, is_active, expires_at, rate_limit, rate_limit_ttl,
	allowed_domains, creation_context, created_at, updated_at`

// Reads also take the version, which inserts leave at its default, and the
// last use, which only the usage flush writes.
const apiKeySelect = apiKeyCols + `, version, last_used_at`

// apiKeyRow is the column values for apiKeyCols followed by name_lower.
func (s *Store) apiKeyRow(k *keyway.APIKey) ([]any, error) {
	// The verifier refuses, unread, every string that is not a valid key
	// string (verify.plausibleKey): no path may store another.
	if !keyway.ValidKeyString(k.Key.Reveal()) {
		return nil, errors.New("not a valid key string")
	}
	hash, sealed := s.hashAndSeal(k.Key.Reveal())
	var limit, ttl any
	if k.RateLimit != nil {
		limit, ttl = k.RateLimit.RateLimit, k.RateLimit.RateLimitTTL
	}
	domains := k.AllowedDomains
	if domains == nil {
		domains = []string{}
	}
	domainsJSON, err := json.Marshal(domains)
	if err != nil {
		return nil, err
	}
	return []any{
		k.ID, hash, sealed, k.AccountID, k.ProjectID, string(k.Env), k.Name, jsonObject(k.CustomMetaData),
		k.CustomAccountID, k.CustomUserID, k.IsActive, millisOrNil(k.ExpiresAt), limit, ttl,
		string(domainsJSON), jsonObject(k.CreationContext), k.CreatedAt.Millis(), k.UpdatedAt.Millis(),
		strings.ToLower(k.Name),
	}, nil
}

// CreateAPIKey fails with CodeConflict if the key string exists and with
// ErrProjectNotFound if k.ProjectID names no project.
func (s *Store) CreateAPIKey(ctx context.Context, k *keyway.APIKey, events ...keyway.Event) error {
	args, err := s.apiKeyRow(k)
	if err != nil {
		return keyway.Internal(fmt.Errorf("create api key %s: %w", k.ID, err))
	}
	return s.write(ctx, events, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyCols+`, name_lower)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`, args...)
		if err != nil {
			return apiKeyWriteError("create", k, err)
		}
		return nil
	})
}

// UpdateAPIKey stores every field of k over the row with k.ID. The key
// string may have changed (rotation), so the hash and sealed copy are
// recomputed.
func (s *Store) UpdateAPIKey(ctx context.Context, k *keyway.APIKey, events ...keyway.Event) error {
	args, err := s.apiKeyRow(k)
	if err != nil {
		return keyway.Internal(fmt.Errorf("update api key %s: %w", k.ID, err))
	}
	return s.write(ctx, events, func(tx *sql.Tx) error {
		return versioned{what: "api key", query: `UPDATE api_keys SET
			key_hash = $2, key_sealed = $3, account_id = $4, project_id = $5, env = $6, name = $7,
			custom_meta_data = $8, custom_account_id = $9, custom_user_id = $10, is_active = $11,
			expires_at = $12, rate_limit = $13, rate_limit_ttl = $14, allowed_domains = $15,
			creation_context = $16, created_at = $17, updated_at = $18, name_lower = $19,
			version = version + 1
			WHERE id = $1 AND version = $20`, args: append(args, k.Version),
			exists: `SELECT 1 FROM api_keys WHERE id = $1`, key: k.ID, notFound: keyway.ErrAPIKeyNotFound, version: &k.Version,
			mapErr: func(err error) error { return apiKeyWriteError("update", k, err) },
		}.run(ctx, tx)
	})
}

func apiKeyWriteError(op string, k *keyway.APIKey, err error) error {
	switch constraintViolation(err) {
	case uniqueViolation:
		return keyway.Errorf(keyway.CodeConflict, "API key already exists")
	case foreignKeyViolation:
		return keyway.ErrProjectNotFound
	}
	return keyway.Internal(fmt.Errorf("%s api key %s: %w", op, k.ID, err))
}

// APIKey finds a key by its string within one account: key strings are
// unique per account (migration 00012), not across accounts.
func (s *Store) APIKey(ctx context.Context, accountID, key string) (*keyway.APIKey, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+apiKeySelect+` FROM api_keys WHERE key_hash = $1 AND account_id = $2`, lookupHash(key), accountID)
	k, _, err := s.scanAPIKey(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrAPIKeyNotFound
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get api key: %w", err))
	}
	return k, nil
}

func (s *Store) APIKeysByID(ctx context.Context, ids []string) ([]*keyway.APIKey, error) {
	return apiKeysByID(ctx, s, s.r, ids)
}

var keysByID = rowSetStatement{cols: []string{"vid"}, types: []colType{textCol},
	build: func(*query) string {
		return `SELECT ` + apiKeySelect + ` FROM api_keys WHERE id IN (SELECT vid FROM v)`
	}}

// apiKeysByID reads keys by id through db, a pool or a transaction, in
// one statement per rowSetRows ids.
func apiKeysByID(ctx context.Context, s *Store, db querier, ids []string) ([]*keyway.APIKey, error) {
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{id}
	}
	var out []*keyway.APIKey
	err := keysByID.query(ctx, s.d, db, rows, func(r *sql.Rows) error {
		k, _, err := s.scanAPIKey(r)
		if err == nil {
			out = append(out, k)
		}
		return err
	})
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get api keys: %w", err))
	}
	return out, nil
}

// qualifiedAPIKeyCols are apiKeyCols prefixed with the table alias k, for
// queries that join other tables with columns of the same names.
var qualifiedAPIKeyCols = func() string {
	cols := strings.Split(apiKeySelect, ",")
	for i, c := range cols {
		cols[i] = "k." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// withExtra scans a row's leading columns as usual and the rest into extra.
type withExtra struct {
	row   scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// APIKeysForVerification reads keys, each in its account, and whether
// their project and account are both active, in one query per row set:
// the verifier's cache-miss path, which batches concurrent misses so that
// a cold node pays one round trip for many keys rather than one each.
// Only the (digest, account) pairs asked for are read: another account's
// key of the same string never leaves the database.
func (s *Store) APIKeysForVerification(ctx context.Context, keys []keyway.AccountKey) ([]keyway.VerificationKey, error) {
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{lookupHash(k.Key.Reveal()), k.AccountID}
	}
	out := make([]keyway.VerificationKey, 0, len(keys))
	err := keysForVerification.query(ctx, s.d, s.r, rows, func(r *sql.Rows) error {
		var projectActive, accountActive, used bool
		k, _, err := s.scanAPIKey(withExtra{r, []any{&projectActive, &accountActive, &used}})
		if err == nil {
			out = append(out, keyway.VerificationKey{Key: k, OwnersActive: projectActive && accountActive, Used: used})
		}
		return err
	})
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get api keys for verification: %w", err))
	}
	return out, nil
}

var keysForVerification = rowSetStatement{cols: []string{"vhash", "vaccount"}, types: []colType{byteaCol, textCol},
	build: func(*query) string {
		return `SELECT ` + qualifiedAPIKeyCols + `, p.is_active, a.is_active, k.first_used_at IS NOT NULL
			FROM v
			JOIN api_keys k ON k.key_hash = v.vhash AND k.account_id = v.vaccount
			JOIN projects p ON p.id = k.project_id
			JOIN accounts a ON a.id = k.account_id`
	}}

// APIKeyDigests reads a page of key digests in digest order, by the
// unique index on key_hash: each page is one short read, so building a
// filter over a million keys holds no long transaction.
func (s *Store) APIKeyDigests(ctx context.Context, after []byte, limit int) ([][32]byte, error) {
	var q query
	text := `SELECT key_hash FROM api_keys`
	if after != nil {
		text += ` WHERE key_hash > ` + q.arg(after)
	}
	text += ` ORDER BY key_hash LIMIT ` + q.arg(limit)
	rows, err := s.r.QueryContext(ctx, text, q.args...)
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get api key digests: %w", err))
	}
	defer rows.Close()
	out := make([][32]byte, 0, limit)
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, keyway.Internal(fmt.Errorf("get api key digests: %w", err))
		}
		if len(b) != 32 {
			return nil, keyway.Internal(fmt.Errorf("get api key digests: a digest of %d bytes", len(b)))
		}
		out = append(out, [32]byte(b))
	}
	if err := rows.Err(); err != nil {
		return nil, keyway.Internal(fmt.Errorf("get api key digests: %w", err))
	}
	return out, nil
}

// APIKeys lists the keys of f.ProjectID matching f, newest first.
func (s *Store) APIKeys(ctx context.Context, f keyway.APIKeyFilter) ([]*keyway.APIKey, string, error) {
	var q query
	q.where("project_id = " + q.arg(f.ProjectID))
	q.where("is_active = " + q.arg(f.IsActive))
	if f.Name != nil {
		q.where("name_lower = " + q.arg(strings.ToLower(*f.Name)))
	}
	switch {
	case f.NullCustomAccountID:
		q.where("custom_account_id IS NULL")
	case f.CustomAccountID != nil:
		q.where("custom_account_id = " + q.arg(*f.CustomAccountID))
	}
	switch {
	case f.NullCustomUserID:
		q.where("custom_user_id IS NULL")
	case f.CustomUserID != nil:
		q.where("custom_user_id = " + q.arg(*f.CustomUserID))
	}
	return list(ctx, s.r, "api keys", `SELECT `+apiKeySelect+` FROM api_keys`, &q,
		listOrder{desc: true, tie: "id"}, f.Page, s.scanAPIKey)
}

func (s *Store) scanAPIKey(row scanner) (*keyway.APIKey, position, error) {
	var (
		k                         keyway.APIKey
		hash, sealed              []byte
		env, meta, domains, cctx  string
		expires, limit, ttl, last sql.NullInt64
		created, updated          int64
	)
	err := row.Scan(&k.ID, &hash, &sealed, &k.AccountID, &k.ProjectID, &env, &k.Name, &meta,
		&k.CustomAccountID, &k.CustomUserID, &k.IsActive, &expires, &limit, &ttl,
		&domains, &cctx, &created, &updated, &k.Version, &last)
	if err != nil {
		return nil, position{}, err
	}
	key, err := s.unseal(hash, sealed)
	if err != nil {
		return nil, position{}, fmt.Errorf("api key %s: %w", k.ID, err)
	}
	k.Key = keyway.APIKeySecret(key)
	if err := json.Unmarshal([]byte(domains), &k.AllowedDomains); err != nil {
		return nil, position{}, fmt.Errorf("api key %s: allowed domains: %w", k.ID, err)
	}
	if k.AllowedDomains == nil {
		k.AllowedDomains = []string{}
	}
	k.Env = keyway.Env(env)
	k.CustomMetaData, k.CreationContext = readJSONObject(meta), readJSONObject(cctx)
	k.ExpiresAt, k.LastUsedAt = timeOrNil(expires), timeOrNil(last)
	if limit.Valid && ttl.Valid {
		k.RateLimit = &keyway.RateLimit{RateLimit: int(limit.Int64), RateLimitTTL: int(ttl.Int64)}
	}
	k.CreatedAt, k.UpdatedAt = keyway.TimeFromMillis(created), keyway.TimeFromMillis(updated)
	return &k, position{createdAt: created, tie: k.ID}, nil
}
