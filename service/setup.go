package service

import (
	"context"
	"errors"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// The first-run setup link: the first start prints, once, a link whose
// token lets one person create their user as admin of the bootstrapped
// account. The token is stored as a digest only and spent by that one
// completion; without it setup is impossible.

// setupDigest is the stored digest of a presented setup token; a string
// that cannot be one answers as an unknown link, without a lookup.
func setupDigest(token string) ([32]byte, error) {
	d, err := keycrypt.SetupDigest(token)
	if err != nil {
		return d, keyway.ErrSetupNotFound
	}
	return d, nil
}

// SetupInfo is the account an unused setup link is for, to show on the
// setup page; ErrSetupNotFound for an unknown or used one. It spends the
// client address's sign-in budget, as every anonymous sign-in step does.
func (s *Service) SetupInfo(ctx context.Context, token string) (*keyway.Account, error) {
	p := s.people
	if err := s.throttle(ctx, p, "setup", ""); err != nil {
		return nil, err
	}
	digest, err := setupDigest(token)
	if err != nil {
		return nil, err
	}
	accountID, err := p.Store.SetupAccount(ctx, digest)
	if err != nil {
		return nil, err
	}
	a, err := s.store.Account(ctx, accountID)
	if errors.Is(err, keyway.ErrAccountNotFound) {
		return nil, keyway.ErrSetupNotFound
	}
	return a, err
}

// CompleteSetup creates the person of the setup link as admin of its
// account, spends the link, and signs them in. The input is validated as a
// signup is and throttled as one; the token is checked before the
// password is hashed, so a request without a valid link costs no hashing.
// Of two completions racing with one link, exactly one wins; the other is
// ErrSetupNotFound.
func (s *Service) CompleteSetup(ctx context.Context, in *keyway.Setup) (keyway.SessionToken, *keyway.Session, error) {
	p := s.people
	if err := in.Validate(); err != nil {
		return "", nil, err
	}
	if err := s.throttle(ctx, p, "setup", in.Email); err != nil {
		return "", nil, err
	}
	digest, err := setupDigest(in.Token.Reveal())
	if err != nil {
		return "", nil, err
	}
	if _, err := p.Store.SetupAccount(ctx, digest); err != nil {
		return "", nil, err
	}
	hash, err := p.Passwords.Hash(ctx, in.Password.Reveal())
	if err != nil {
		return "", nil, hashFailed(err)
	}
	now := s.now()
	u := &keyway.User{ID: newID(), Email: in.Email, Name: in.Name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if _, err := p.Store.CompleteSetup(ctx, digest, u, s.clock.Now()); err != nil {
		return "", nil, err
	}
	return s.startSession(ctx, p, u.ID)
}
