package service

import (
	"context"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// AccessKeyPrefix returns the prefix of access keys in an environment.
func AccessKeyPrefix(env keyway.Env) string { return string(env) + "_access_" }

// ListAccessKeys lists an account's access keys. Access keys are
// credentials, so seeing them takes the role they carry: admin for the
// whole account, user for a project's (a project-level key acts as a user
// of its project). A caller narrowed to one project lists that project's.
func (s *Service) ListAccessKeys(ctx context.Context, c *keyway.Caller, accountID, projectID string, isActive *bool, page keyway.Page) ([]*keyway.AccessKey, string, error) {
	accountID, p, err := s.queryScope(ctx, c, accountID, projectID)
	if err != nil {
		return nil, "", err
	}
	if p == nil {
		if err := need(c, keyway.RoleAdmin, accountID, ""); err != nil {
			return nil, "", err
		}
		return s.store.AccessKeys(ctx, accountID, "", isActive, page)
	}
	if err := need(c, keyway.RoleUser, accountID, p.ID); err != nil {
		return nil, "", err
	}
	return s.store.AccessKeys(ctx, accountID, p.ID, isActive, page)
}

// CreateAccessKey mints a management credential, which is an admin's job
// and never gives more reach than the caller's own: an account-level key
// takes an admin of the account, a project-level one an admin of the
// project.
func (s *Service) CreateAccessKey(ctx context.Context, c *keyway.Caller, in *keyway.AccessKeyCreate) (*keyway.AccessKey, error) {
	t, err := s.open(ctx, c, prelude{guard: keyway.RoleAdmin, validate: in.Validate,
		scope: func() resolver { return s.inAccount(in.AccountID, optional(in.ProjectID)...) }, deleted: "projectId", need: keyway.RoleAdmin})
	if err != nil {
		return nil, err
	}
	accountID, env := t.accountID, keyway.EnvLive
	var projectID *string
	if p := t.project(); p != nil {
		env = p.Env
		projectID = &p.ID
	}
	now := s.now()
	k := &keyway.AccessKey{
		Key:          keyway.AccessKeySecret(keycrypt.NewKey(AccessKeyPrefix(env))),
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
	s.invalidate.AccessKeyChanged()
	return k, nil
}

// pathAccessKey loads an access key named in the path. Managing access keys
// is an admin's job, so a project-level access key is refused even for its
// own.
func (s *Service) pathAccessKey(ctx context.Context, c *keyway.Caller, key string) (*keyway.AccessKey, error) {
	k, err := s.store.AccessKey(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := mayManageAccessKey(c, k); err != nil {
		return nil, err
	}
	return k, nil
}

// mayManageAccessKey is the check of pathAccessKey: a key the caller
// cannot reach is not found; one it reaches without being its admin is
// forbidden.
func mayManageAccessKey(c *keyway.Caller, k *keyway.AccessKey) error {
	if c.Role(k.AccountID, projectOf(k.ProjectID)) == "" {
		return keyway.ErrAccessKeyNotFound
	}
	return need(c, keyway.RoleAdmin, k.AccountID, projectOf(k.ProjectID))
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
	s.invalidate.AccessKeyChanged()
	return nil
}
