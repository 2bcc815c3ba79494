package keyway

import "context"

// Store persists Keyway's objects. Implementations seal key strings at rest
// and look them up by hash; callers only ever see plaintext keys. Lookups of
// a missing object return the matching ErrXNotFound. Writes take the events
// they emit and commit them in the same transaction (the outbox).
type Store interface {
	CreateAccount(ctx context.Context, a *Account) error
	Account(ctx context.Context, id string) (*Account, error)
	UpdateAccount(ctx context.Context, a *Account) error
	// Bootstrap creates the first account and its access key together, in
	// one transaction, if the store was never bootstrapped and holds no
	// account; several nodes starting at once bootstrap once. It reports
	// whether it created them.
	Bootstrap(ctx context.Context, a *Account, k *AccessKey) (bool, error)

	CreateProject(ctx context.Context, p *Project) error
	Project(ctx context.Context, id string) (*Project, error)
	// Projects lists an account's active projects, oldest first.
	Projects(ctx context.Context, accountID string, page Page) ([]*Project, string, error)
	UpdateProject(ctx context.Context, p *Project, events ...Event) error

	// CreateAccessKey fails with CodeConflict if the key string exists.
	CreateAccessKey(ctx context.Context, k *AccessKey, events ...Event) error
	AccessKey(ctx context.Context, key string) (*AccessKey, error)
	// AccessKeys lists an account's access keys, optionally narrowed to one
	// project ("" for all) and an active state (nil for all), newest first.
	AccessKeys(ctx context.Context, accountID, projectID string, isActive *bool, page Page) ([]*AccessKey, string, error)
	UpdateAccessKey(ctx context.Context, k *AccessKey, events ...Event) error

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

	// Ping checks the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// AccountKey names an API key: its string within its account.
type AccountKey struct {
	AccountID, Key string
}

// VerificationKey is a key read for verification.
type VerificationKey struct {
	Key *APIKey
	// OwnersActive is whether the key's project and account are active.
	OwnersActive bool
	// Used is whether the key's first use is recorded.
	Used bool
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
