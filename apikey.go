package keyway

import (
	"context"
	"encoding/json"
)

// APIKey is a key issued to a customer of the operator's API. The key string
// is its identity in every path.
type APIKey struct {
	// ID is internal: a stable row identity that survives rotation and
	// custom-key renames, used for ordering and cursors.
	ID        string `json:"-"`
	AccountID string `json:"-"`
	// Version counts stored changes; an update applies only to the
	// version it read (see ErrStale).
	Version         int64           `json:"-"`
	Key             APIKeySecret    `json:"key"`
	Name            string          `json:"name"`
	ProjectID       string          `json:"projectId"`
	Env             Env             `json:"env"`
	CustomMetaData  json.RawMessage `json:"customMetaData"`
	CustomAccountID *string         `json:"customAccountId"`
	CustomUserID    *string         `json:"customUserId"`
	IsActive        bool            `json:"isActive"`
	ExpiresAt       *Time           `json:"expiresAt"`
	RateLimit       *RateLimit      `json:"rateLimitConfigs"`
	AllowedDomains  []string        `json:"allowedDomains"`
	CreationContext json.RawMessage `json:"creationContext"`
	CreatedAt       Time            `json:"createdAt"`
	UpdatedAt       Time            `json:"updatedAt"`
	// LastUsedAt (a Keyway extension) is the last successful verification
	// as of the latest usage flush; absent until the key is first used.
	LastUsedAt *Time `json:"lastUsedAt,omitempty"`
}

// Expired reports whether the key's expiry has passed at now.
func (k *APIKey) Expired(now Time) bool {
	return k.ExpiresAt != nil && !now.Before(k.ExpiresAt.Time)
}

// ValidKeyString reports whether s may be a caller-chosen key: it appears in
// URL paths, so only unreserved URL characters are allowed.
func ValidKeyString(s string) bool {
	if len(s) < MinCustomKeyLen || len(s) > MaxCustomKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

func (p *problems) customKey(v string) {
	if !ValidKeyString(v) {
		p.add("key must be %d to %d characters of A-Z, a-z, 0-9, '-', '_', '.' or '~'", MinCustomKeyLen, MaxCustomKeyLen)
	}
}

// APIKeyCreate is the body of POST /api-keys.
type APIKeyCreate struct {
	Name      string `json:"name"`
	ProjectID string `json:"projectId,omitempty"`
	// Key is the caller's own key string; absent or null generates one.
	Key              *APIKeySecret   `json:"key,omitempty"`
	CustomMetaData   json.RawMessage `json:"customMetaData,omitempty"`
	CustomAccountID  *string         `json:"customAccountId,omitempty"`
	CustomUserID     *string         `json:"customUserId,omitempty"`
	Expiry           *Time           `json:"expiry,omitempty"`
	RateLimitConfigs *RateLimit      `json:"rateLimitConfigs,omitempty"`
	AllowedDomains   []string        `json:"allowedDomains,omitempty"`
}

// Validate checks the input and normalizes allowed domains in place.
func (in *APIKeyCreate) Validate() error {
	var p problems
	p.name("name", in.Name)
	p.id("projectId", in.ProjectID)
	if in.Key != nil {
		p.customKey(in.Key.Reveal())
	}
	p.metaData(in.CustomMetaData)
	p.customID("customAccountId", in.CustomAccountID)
	p.customID("customUserId", in.CustomUserID)
	p.rateLimit(in.RateLimitConfigs)
	in.AllowedDomains = p.domains(in.AllowedDomains)
	return p.err()
}

// APIKeyUpdate is the body of PATCH /api-keys/{key}: every field optional,
// null clears the ones that can be cleared.
type APIKeyUpdate struct {
	Name             Optional[string]          `json:"name,omitzero"`
	Key              Optional[APIKeySecret]    `json:"key,omitzero"`
	CustomMetaData   Optional[json.RawMessage] `json:"customMetaData,omitzero"`
	CustomAccountID  Optional[string]          `json:"customAccountId,omitzero"`
	CustomUserID     Optional[string]          `json:"customUserId,omitzero"`
	Expiry           Optional[Time]            `json:"expiry,omitzero"`
	RateLimitConfigs Optional[RateLimit]       `json:"rateLimitConfigs,omitzero"`
	AllowedDomains   Optional[[]string]        `json:"allowedDomains,omitzero"`
}

func (in *APIKeyUpdate) Validate() error {
	var p problems
	if in.Name.Set {
		p.name("name", in.Name.Value)
	}
	if in.Key.Set {
		if in.Key.Null {
			p.add("key should not be empty")
		} else {
			p.customKey(in.Key.Value.Reveal())
		}
	}
	if in.CustomMetaData.Set && !in.CustomMetaData.Null {
		p.metaData(in.CustomMetaData.Value)
	}
	if in.CustomAccountID.Set && !in.CustomAccountID.Null {
		p.customID("customAccountId", &in.CustomAccountID.Value)
	}
	if in.CustomUserID.Set && !in.CustomUserID.Null {
		p.customID("customUserId", &in.CustomUserID.Value)
	}
	if in.RateLimitConfigs.Set && !in.RateLimitConfigs.Null {
		p.rateLimit(&in.RateLimitConfigs.Value)
	}
	if in.AllowedDomains.Set && !in.AllowedDomains.Null {
		in.AllowedDomains.Value = p.domains(in.AllowedDomains.Value)
	}
	return p.err()
}

// APIKeyReactivate is the optional body of PATCH /api-keys/{key}/reactivate.
type APIKeyReactivate struct {
	Expiry *Time `json:"expiry,omitempty"`
}

func (in *APIKeyReactivate) Validate() error { return nil }

// APIKeyFilter selects keys for GET /api-keys. Nil pointers do not filter;
// NullX asks for a null value (the query literal "null").
type APIKeyFilter struct {
	ProjectID           string
	Name                *string
	CustomAccountID     *string
	NullCustomAccountID bool
	CustomUserID        *string
	NullCustomUserID    bool
	IsActive            bool
	Page
}

// AccountKey names an API key: its string within its account.
type AccountKey struct {
	AccountID string
	Key       APIKeySecret
}

// VerificationKey is a key read for verification.
type VerificationKey struct {
	Key *APIKey
	// OwnersActive is whether the key's project and account are active.
	OwnersActive bool
	// Used is whether the key's first use is recorded.
	Used bool
}

// APIKeyStore persists API keys and reads them for verification; part of
// Store.
type APIKeyStore interface {
	// CreateAPIKey fails with CodeConflict if the key string exists in
	// k's account. Key strings are unique per account only: whether a
	// string is taken in another account must not be observable.
	CreateAPIKey(ctx context.Context, k *APIKey, events ...Event) error
	// APIKey finds a key by its string within one account.
	APIKey(ctx context.Context, accountID, key string) (*APIKey, error)
	// APIKeysByID reads keys by id, revoked ones included; unknown ids are
	// left out.
	APIKeysByID(ctx context.Context, ids []string) ([]*APIKey, error)
	// APIKeysForVerification reads the keys with the given strings in the
	// given accounts, each with whether its project and account are both
	// active, in one round trip: the verifier batches its cache misses.
	// Keys that do not exist are left out.
	APIKeysForVerification(ctx context.Context, keys []AccountKey) ([]VerificationKey, error)
	// APIKeyDigests reads the lookup digests of every API key, revoked
	// ones included, in digest order: up to limit of them after after
	// (nil: from the first). The verifier builds its membership filter
	// from them.
	APIKeyDigests(ctx context.Context, after []byte, limit int) ([][32]byte, error)
	// APIKeys lists keys newest first and returns the next cursor when the
	// filter asked for cursor pagination and more remain.
	APIKeys(ctx context.Context, f APIKeyFilter) ([]*APIKey, string, error)
	// UpdateAPIKey stores k over the row with k.ID; k.Key may differ from the
	// stored key (rotation, custom rename) and then fails with CodeConflict
	// if the new key string is taken in k's account.
	UpdateAPIKey(ctx context.Context, k *APIKey, events ...Event) error
}
