package keyway

import "context"

// Store persists Keyway's objects. Implementations seal key strings at rest
// and look them up by hash; callers only ever see plaintext keys. Lookups of
// a missing object return the matching ErrXNotFound. Writes take the events
// they emit and commit them in the same transaction (the outbox).
type Store interface {
	AccountStore
	ProjectStore
	AccessKeyStore
	APIKeyStore

	// Ping checks the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// Invalidator drops cached verification state after a change. Each call
// covers everything that depends on what changed.
type Invalidator interface {
	// APIKeyChanged is called with every key string of one account whose
	// answer changed.
	APIKeyChanged(accountID string, keys ...string)
	// AccessKeyChanged is called when an access key was created or
	// changed: only management credentials depend on access keys.
	AccessKeyChanged()
	// ProjectChanged is called when a project was deleted, which changes
	// the answer for every key of it and every access key in it.
	ProjectChanged(id string)
	// ScopeChanged is called when an account changed, which can change the
	// answer for any number of keys.
	ScopeChanged()
}
