package service

import (
	"context"
	"fmt"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// Bootstrap creates the first account and an account-level access key when
// the store is empty, once in the store's life. accessKey is the key to create, "" to generate one.
// It returns the new key, or nil when the store already had accounts. The
// account's setup link is made but not returned: FirstStart is for the
// start that shows it.
func (s *Service) Bootstrap(ctx context.Context, accessKey string) (*keyway.AccessKey, error) {
	k, _, err := s.FirstStart(ctx, accessKey)
	return k, err
}

// FirstStart is Bootstrap that also returns the token of the account's
// one-time setup link (see CompleteSetup), "" when the store already had
// accounts. Only its digest is stored, in the bootstrap's transaction, so
// this is the one chance to show it.
func (s *Service) FirstStart(ctx context.Context, accessKey string) (*keyway.AccessKey, keyway.SetupToken, error) {
	if accessKey != "" && !keyway.ValidKeyString(accessKey) {
		return nil, "", fmt.Errorf("bootstrap access key must be %d to %d characters of A-Z, a-z, 0-9, '-', '_', '.' or '~'", keyway.MinCustomKeyLen, keyway.MaxCustomKeyLen)
	}
	now := s.now()
	audit := keyway.Audit{CreatedBy: "bootstrap", CreatedByType: keyway.ActorAccessKey, CreatedIn: s.Region, LastChangedBy: "bootstrap", LastChangedByType: keyway.ActorAccessKey}
	a := &keyway.Account{ID: newID(), Name: "Default account", IsActive: true, Audit: audit, CreatedAt: now, UpdatedAt: now}
	if accessKey == "" {
		accessKey = keycrypt.NewKey(AccessKeyPrefix(keyway.EnvLive))
	}
	k := &keyway.AccessKey{Key: keyway.AccessKeySecret(accessKey), Name: "Bootstrap access key", AccountID: a.ID, IsActive: true, CreatedAt: now, UpdatedAt: now}
	setup, digest := keycrypt.NewSetupToken()
	created, err := s.people.Store.BootstrapWithSetup(ctx, a, k, digest)
	if err != nil {
		return nil, "", fmt.Errorf("bootstrap: %w", err)
	}
	if !created {
		return nil, "", nil
	}
	return k, keyway.SetupToken(setup), nil
}
