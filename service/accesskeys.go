package service

import (
	"context"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// AccessKeyPrefix returns the prefix of access keys in an environment.
func AccessKeyPrefix(env keyway.Env) string { return string(env) + "_access_" }

// ListAccessKeys lists an account's access keys; a project-level caller
// sees only those of its project.
func (s *Service) ListAccessKeys(ctx context.Context, c *keyway.Caller, accountID, projectID string, isActive *bool, page keyway.Page) ([]*keyway.AccessKey, string, error) {
	if accountID == "" {
		return nil, "", keyway.Invalid("accountId should not be empty")
	}
	if err := namedAccount(c, accountID); err != nil {
		return nil, "", err
	}
	if projectID != "" {
		if _, err := s.namedProject(ctx, c, projectID); err != nil {
			return nil, "", err
		}
	} else if !c.AccountLevel() {
		projectID = c.ProjectID
	}
	return s.store.AccessKeys(ctx, accountID, projectID, isActive, page)
}

// CreateAccessKey mints a management credential. Only an account-level
// caller may, and never with more reach than its own.
func (s *Service) CreateAccessKey(ctx context.Context, c *keyway.Caller, in *keyway.AccessKeyCreate) (*keyway.AccessKey, error) {
	// The role check comes first, as a NestJS guard runs before validation.
	if err := requireAccountLevel(c); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	accountID := in.AccountID
	if accountID == "" {
		accountID = c.AccountID
	}
	if err := namedAccount(c, accountID); err != nil {
		return nil, err
	}
	env := keyway.EnvLive
	var projectID *string
	if in.ProjectID != "" {
		p, err := s.namedProject(ctx, c, in.ProjectID)
		if err != nil {
			return nil, err
		}
		if !p.IsActive {
			return nil, keyway.Invalid("projectId refers to a deleted project")
		}
		env = p.Env
		projectID = &p.ID
	}
	now := s.now()
	k := &keyway.AccessKey{
		Key:          keycrypt.NewKey(AccessKeyPrefix(env)),
		Name:         in.Name,
		AccountID:    accountID,
		ProjectID:    projectID,
		IsActive:     true,
		RateLimit:    in.RateLimit,
		RateLimitTTL: in.RateLimitTTL,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if err := s.store.CreateAccessKey(ctx, k, s.accessKeyEvent(keyway.TopicAccessKeyCreated, k)); err != nil {
		return nil, err
	}
	s.invalidate.ScopeChanged()
	return k, nil
}

// pathAccessKey loads an access key named in the path. Managing access keys
// is an admin's job, so a project-level caller is refused even for its own.
func (s *Service) pathAccessKey(ctx context.Context, c *keyway.Caller, key string) (*keyway.AccessKey, error) {
	k, err := s.store.AccessKey(ctx, key)
	if err != nil {
		return nil, err
	}
	if k.AccountID != c.AccountID || (!c.AccountLevel() && (k.ProjectID == nil || *k.ProjectID != c.ProjectID)) {
		return nil, keyway.ErrAccessKeyNotFound
	}
	if err := requireAccountLevel(c); err != nil {
		return nil, err
	}
	return k, nil
}

func (s *Service) RenameAccessKey(ctx context.Context, c *keyway.Caller, key string, in *keyway.Rename) (*keyway.AccessKey, error) {
	return retryStale(func() (*keyway.AccessKey, error) { return s.renameAccessKey(ctx, c, key, in) })
}

func (s *Service) renameAccessKey(ctx context.Context, c *keyway.Caller, key string, in *keyway.Rename) (*keyway.AccessKey, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	k, err := s.pathAccessKey(ctx, c, key)
	if err != nil {
		return nil, err
	}
	k.Name = in.Name
	k.UpdatedAt = s.now()
	if err := s.store.UpdateAccessKey(ctx, k, s.accessKeyEvent(keyway.TopicAccessKeyUpdated, k)); err != nil {
		return nil, err
	}
	return k, nil
}

// DeactivateAccessKey soft-deletes an access key; it stops authenticating
// at once.
func (s *Service) DeactivateAccessKey(ctx context.Context, c *keyway.Caller, key string) error {
	_, err := retryStale(func() (struct{}, error) { return struct{}{}, s.deactivateAccessKey(ctx, c, key) })
	return err
}

func (s *Service) deactivateAccessKey(ctx context.Context, c *keyway.Caller, key string) error {
	k, err := s.pathAccessKey(ctx, c, key)
	if err != nil {
		return err
	}
	if !k.IsActive {
		return keyway.ErrAccessKeyNotFound
	}
	return s.setAccessKeyActive(ctx, k, false)
}

func (s *Service) ReactivateAccessKey(ctx context.Context, c *keyway.Caller, key string) (*keyway.AccessKey, error) {
	return retryStale(func() (*keyway.AccessKey, error) { return s.reactivateAccessKey(ctx, c, key) })
}

func (s *Service) reactivateAccessKey(ctx context.Context, c *keyway.Caller, key string) (*keyway.AccessKey, error) {
	k, err := s.pathAccessKey(ctx, c, key)
	if err != nil {
		return nil, err
	}
	if k.IsActive {
		return nil, keyway.Errorf(keyway.CodeConflict, "Access key is already active")
	}
	if err := s.setAccessKeyActive(ctx, k, true); err != nil {
		return nil, err
	}
	return k, nil
}

func (s *Service) setAccessKeyActive(ctx context.Context, k *keyway.AccessKey, active bool) error {
	k.IsActive = active
	k.UpdatedAt = s.now()
	// Deactivation is the contract's access-key.deleted; reactivation is
	// an update of the key.
	topic := keyway.TopicAccessKeyUpdated
	if !active {
		topic = keyway.TopicAccessKeyDeleted
	}
	if err := s.store.UpdateAccessKey(ctx, k, s.accessKeyEvent(topic, k)); err != nil {
		return err
	}
	s.invalidate.ScopeChanged()
	return nil
}
