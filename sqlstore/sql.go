package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// execOne runs a write aimed at one row and reports whether a row matched.
func execOne(ctx context.Context, ex execer, query string, args ...any) (bool, error) {
	res, err := ex.ExecContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// hashAndSeal returns what a row stores in place of a key string.
func (s *Store) hashAndSeal(key string) (hash, sealed []byte) {
	h := keycrypt.HashKey(key)
	return h[:], s.sealer.Seal(key, h)
}

// lookupHash is what a row is found by.
func lookupHash(key string) []byte {
	h := keycrypt.HashKey(key)
	return h[:]
}

// unseal recovers a key string from its row. A failure means the sealing
// secret changed or the row was tampered with; the error never holds a key.
func (s *Store) unseal(hash, sealed []byte) (string, error) {
	var h keycrypt.Hash
	if len(hash) != len(h) {
		return "", fmt.Errorf("stored key hash has %d bytes, want %d", len(hash), len(h))
	}
	copy(h[:], hash)
	key, err := s.sealer.Open(sealed, h)
	if err != nil {
		return "", fmt.Errorf("unseal stored key: %w", err)
	}
	return key, nil
}

// jsonObject is what a JSON-object column stores: the caller's text as
// given, or {} when there is none.
func jsonObject(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return "{}"
	}
	return string(v)
}

// readJSONObject turns a stored JSON-object column back into a value that
// is never empty.
func readJSONObject(s string) json.RawMessage {
	if s == "" || s == "null" {
		return json.RawMessage("{}")
	}
	return json.RawMessage(s)
}

// millisOrNil stores an optional time as NULL or epoch milliseconds.
func millisOrNil(t *keyway.Time) any {
	if t == nil {
		return nil
	}
	return t.Millis()
}
