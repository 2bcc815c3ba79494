package service

import (
	"context"

	"github.com/keywayhq/keyway"
)

// ListAccounts lists the accounts the caller belongs to: one, for an
// access key.
func (s *Service) ListAccounts(ctx context.Context, c *keyway.Caller) ([]*keyway.Account, error) {
	a, err := s.store.Account(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	return []*keyway.Account{a}, nil
}

// CreateAccount is for signed-in users; an access key already belongs to an
// account and cannot found another. Like a NestJS guard, the refusal comes
// before the body is validated.
func (s *Service) CreateAccount(ctx context.Context, c *keyway.Caller, in *keyway.Rename) (*keyway.Account, error) {
	if c.AccessKey != nil {
		return nil, keyway.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return nil, keyway.ErrForbidden
}

func (s *Service) pathAccount(ctx context.Context, c *keyway.Caller, id string) (*keyway.Account, error) {
	if id != c.AccountID {
		return nil, keyway.ErrAccountNotFound
	}
	return s.store.Account(ctx, id)
}

func (s *Service) GetAccount(ctx context.Context, c *keyway.Caller, id string) (*keyway.Account, error) {
	return s.pathAccount(ctx, c, id)
}

func (s *Service) RenameAccount(ctx context.Context, c *keyway.Caller, id string, in *keyway.Rename) (*keyway.Account, error) {
	return retryStale(func() (*keyway.Account, error) { return s.renameAccount(ctx, c, id, in) })
}

func (s *Service) renameAccount(ctx context.Context, c *keyway.Caller, id string, in *keyway.Rename) (*keyway.Account, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	a, err := s.pathAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := requireAccountLevel(c); err != nil {
		return nil, err
	}
	a.Name = in.Name
	s.touchAccount(c, a)
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// DeleteAccount soft-deletes the account: every key and access key under it
// stops working, including the one that made this call.
func (s *Service) DeleteAccount(ctx context.Context, c *keyway.Caller, id string) (*keyway.Account, error) {
	return retryStale(func() (*keyway.Account, error) { return s.deleteAccount(ctx, c, id) })
}

func (s *Service) deleteAccount(ctx context.Context, c *keyway.Caller, id string) (*keyway.Account, error) {
	a, err := s.pathAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := requireAccountLevel(c); err != nil {
		return nil, err
	}
	a.IsActive = false
	s.touchAccount(c, a)
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		return nil, err
	}
	s.invalidate.ScopeChanged()
	return a, nil
}

func (s *Service) touchAccount(c *keyway.Caller, a *keyway.Account) {
	a.LastChangedBy, a.LastChangedByType = c.Actor()
	a.UpdatedAt = s.now()
}
