package service

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// ListAPIKeysQuery is GET /api-keys.
type ListAPIKeysQuery struct {
	ProjectID       string
	Name            *string
	CustomAccountID keyway.Optional[string]
	CustomUserID    keyway.Optional[string]
	// IsActive defaults to true: revoked keys are listed only on request.
	IsActive *bool
	keyway.Page
}

func (s *Service) ListAPIKeys(ctx context.Context, c *keyway.Caller, q ListAPIKeysQuery) ([]*keyway.APIKey, string, error) {
	t, err := s.open(ctx, c, prelude{scope: func() resolver { return s.keyTarget(q.ProjectID) }})
	if err != nil {
		return nil, "", err
	}
	f := keyway.APIKeyFilter{ProjectID: t.project().ID, Name: q.Name, IsActive: true, Page: q.Page}
	if q.IsActive != nil {
		f.IsActive = *q.IsActive
	}
	if q.CustomAccountID.Set {
		f.NullCustomAccountID = q.CustomAccountID.Null
		f.CustomAccountID = &q.CustomAccountID.Value
	}
	if q.CustomUserID.Set {
		f.NullCustomUserID = q.CustomUserID.Null
		f.CustomUserID = &q.CustomUserID.Value
	}
	if f.NullCustomAccountID {
		f.CustomAccountID = nil
	}
	if f.NullCustomUserID {
		f.CustomUserID = nil
	}
	return s.store.APIKeys(ctx, f)
}

func (s *Service) CreateAPIKey(ctx context.Context, c *keyway.Caller, in *keyway.APIKeyCreate) (*keyway.APIKey, error) {
	t, err := s.open(ctx, c, prelude{guard: keyway.RoleUser, validate: in.Validate,
		scope: func() resolver { return s.keyTarget(in.ProjectID) }, deleted: "projectId", need: keyway.RoleUser})
	if err != nil {
		return nil, err
	}
	p := t.project()
	now := s.now()
	k := &keyway.APIKey{
		ID:              newID(),
		AccountID:       p.AccountID,
		Key:             keyway.Deref(in.Key),
		Name:            in.Name,
		ProjectID:       p.ID,
		Env:             p.Env,
		CustomMetaData:  objectOrEmpty(in.CustomMetaData),
		CustomAccountID: in.CustomAccountID,
		CustomUserID:    in.CustomUserID,
		IsActive:        true,
		ExpiresAt:       in.Expiry,
		RateLimit:       in.RateLimitConfigs,
		AllowedDomains:  orEmpty(in.AllowedDomains),
		CreationContext: json.RawMessage(`{}`),
		CreatedAt:       now,
		UpdatedAt:       now,
	}
	if k.Key == "" {
		k.Key = keyway.APIKeySecret(keycrypt.NewKey(string(p.Env) + "_"))
	}
	if err := s.store.CreateAPIKey(ctx, k, s.keyEvent(keyway.TopicAPIKeyCreated, k)); err != nil {
		return nil, err
	}
	// A negative cache entry may remember this key string as unknown.
	s.invalidate.APIKeyChanged(k.AccountID, k.Key.Reveal())
	return k, nil
}

// pathAPIKey loads a key named in the path (an active one when wantActive)
// for a caller that needs role over it: a key the caller cannot see is 404,
// one it sees but may not change 403.
//
// Key strings are unique per account, so the key is looked up only in the
// caller's own accounts: another account's key of the same string is
// never read. A person in several accounts that each hold the string acts
// on the first copy (in the order of their grants) they hold role over, or
// else on the first they can see.
func (s *Service) pathAPIKey(ctx context.Context, c *keyway.Caller, key string, wantActive bool, role keyway.Role) (*keyway.APIKey, error) {
	var seen *keyway.APIKey
	for _, accountID := range c.Accounts() {
		k, err := s.store.APIKey(ctx, accountID, key)
		if errors.Is(err, keyway.ErrAPIKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if c.Role(k.AccountID, k.ProjectID) == "" || (wantActive && !k.IsActive) {
			continue
		}
		if need(c, role, k.AccountID, k.ProjectID) == nil {
			return k, nil
		}
		if seen == nil {
			seen = k
		}
	}
	if seen == nil {
		return nil, keyway.ErrAPIKeyNotFound
	}
	return nil, need(c, role, seen.AccountID, seen.ProjectID)
}

func (s *Service) GetAPIKey(ctx context.Context, c *keyway.Caller, key string) (*keyway.APIKey, error) {
	return s.pathAPIKey(ctx, c, key, true, keyway.RoleViewer)
}

func (s *Service) UpdateAPIKey(ctx context.Context, c *keyway.Caller, key string, in *keyway.APIKeyUpdate) (*keyway.APIKey, error) {
	return retryStale(func() (*keyway.APIKey, error) { return s.updateAPIKey(ctx, c, key, in) })
}

func (s *Service) updateAPIKey(ctx context.Context, c *keyway.Caller, key string, in *keyway.APIKeyUpdate) (*keyway.APIKey, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	k, err := s.pathAPIKey(ctx, c, key, true, keyway.RoleUser)
	if err != nil {
		return nil, err
	}
	oldKey := k.Key
	if in.Name.Set {
		k.Name = in.Name.Value
	}
	if in.Key.Set {
		k.Key = in.Key.Value
	}
	if in.CustomMetaData.Set {
		k.CustomMetaData = objectOrEmpty(in.CustomMetaData.Value)
	}
	if in.CustomAccountID.Set {
		k.CustomAccountID = valueOrNil(in.CustomAccountID)
	}
	if in.CustomUserID.Set {
		k.CustomUserID = valueOrNil(in.CustomUserID)
	}
	if in.Expiry.Set {
		k.ExpiresAt = valueOrNil(in.Expiry)
	}
	if in.RateLimitConfigs.Set {
		k.RateLimit = valueOrNil(in.RateLimitConfigs)
	}
	if in.AllowedDomains.Set {
		k.AllowedDomains = orEmpty(in.AllowedDomains.Value)
	}
	k.UpdatedAt = s.now()
	if err := s.store.UpdateAPIKey(ctx, k, s.keyEvent(keyway.TopicAPIKeyUpdated, k)); err != nil {
		return nil, err
	}
	s.invalidate.APIKeyChanged(k.AccountID, oldKey.Reveal(), k.Key.Reveal())
	return k, nil
}

// DeleteAPIKey revokes a key; it stays listed with isActive=false.
func (s *Service) DeleteAPIKey(ctx context.Context, c *keyway.Caller, key string) (bool, error) {
	return retryStale(func() (bool, error) { return s.deleteAPIKey(ctx, c, key) })
}

func (s *Service) deleteAPIKey(ctx context.Context, c *keyway.Caller, key string) (bool, error) {
	k, err := s.pathAPIKey(ctx, c, key, true, keyway.RoleUser)
	if err != nil {
		return false, err
	}
	k.IsActive = false
	k.UpdatedAt = s.now()
	if err := s.store.UpdateAPIKey(ctx, k, s.keyEvent(keyway.TopicAPIKeyDeleted, k)); err != nil {
		return false, err
	}
	s.invalidate.APIKeyChanged(k.AccountID, k.Key.Reveal())
	return true, nil
}

// ReactivateAPIKey brings back a revoked or expired key. An expired key
// loses its expiry unless the body sets a new one.
func (s *Service) ReactivateAPIKey(ctx context.Context, c *keyway.Caller, key string, in *keyway.APIKeyReactivate) (*keyway.APIKey, error) {
	return retryStale(func() (*keyway.APIKey, error) { return s.reactivateAPIKey(ctx, c, key, in) })
}

func (s *Service) reactivateAPIKey(ctx context.Context, c *keyway.Caller, key string, in *keyway.APIKeyReactivate) (*keyway.APIKey, error) {
	k, err := s.pathAPIKey(ctx, c, key, false, keyway.RoleUser)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if k.IsActive && !k.Expired(now) {
		return nil, keyway.Errorf(keyway.CodeConflict, "API key is already active")
	}
	k.IsActive = true
	if k.Expired(now) {
		k.ExpiresAt = nil
	}
	if in != nil && in.Expiry != nil {
		k.ExpiresAt = in.Expiry
	}
	k.UpdatedAt = now
	if err := s.store.UpdateAPIKey(ctx, k, s.keyEvent(keyway.TopicAPIKeyReactivated, k)); err != nil {
		return nil, err
	}
	s.invalidate.APIKeyChanged(k.AccountID, k.Key.Reveal())
	return k, nil
}

// RotateAPIKey replaces the key string with a new generated one, keeping
// every setting; the old string stops verifying at once.
func (s *Service) RotateAPIKey(ctx context.Context, c *keyway.Caller, key string) (*keyway.APIKey, error) {
	return retryStale(func() (*keyway.APIKey, error) { return s.rotateAPIKey(ctx, c, key) })
}

func (s *Service) rotateAPIKey(ctx context.Context, c *keyway.Caller, key string) (*keyway.APIKey, error) {
	k, err := s.pathAPIKey(ctx, c, key, true, keyway.RoleUser)
	if err != nil {
		return nil, err
	}
	oldKey := k.Key
	k.Key = keyway.APIKeySecret(keycrypt.NewKey(string(k.Env) + "_"))
	k.UpdatedAt = s.now()
	if err := s.store.UpdateAPIKey(ctx, k, s.keyEvent(keyway.TopicAPIKeyRotated, k)); err != nil {
		return nil, err
	}
	s.invalidate.APIKeyChanged(k.AccountID, oldKey.Reveal(), k.Key.Reveal())
	return k, nil
}

func objectOrEmpty(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return json.RawMessage(`{}`)
	}
	return b
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func valueOrNil[T any](o keyway.Optional[T]) *T {
	if o.Null {
		return nil
	}
	v := o.Value
	return &v
}
