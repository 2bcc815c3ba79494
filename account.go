package keyway

import "context"

// Account is the outermost scope: it owns projects, access keys, webhooks
// and the roles people hold in it, and nothing of one account is visible
// from another.
type Account struct {
	Version  int64  `json:"-"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	IsActive bool   `json:"isActive"`
	Audit
	CreatedAt Time `json:"createdAt"`
	UpdatedAt Time `json:"updatedAt"`
}

// AccountStore persists accounts; part of Store.
type AccountStore interface {
	CreateAccount(ctx context.Context, a *Account) error
	Account(ctx context.Context, id string) (*Account, error)
	UpdateAccount(ctx context.Context, a *Account) error
	// Bootstrap creates the first account and its access key together, in
	// one transaction, if the store was never bootstrapped and holds no
	// account; several nodes starting at once bootstrap once. It reports
	// whether it created them.
	Bootstrap(ctx context.Context, a *Account, k *AccessKey) (bool, error)
}
