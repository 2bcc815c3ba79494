package keyway

import "context"

// AccessKey is a management credential, account-level when ProjectID is nil.
type AccessKey struct {
	Version      int64           `json:"-"`
	Key          AccessKeySecret `json:"key"`
	Name         string          `json:"name"`
	AccountID    string          `json:"accountId"`
	ProjectID    *string         `json:"projectId"`
	IsActive     bool            `json:"isActive"`
	RateLimit    *int            `json:"rateLimit"`
	RateLimitTTL *int            `json:"rateLimitTtl"`
	CreatedAt    Time            `json:"createdAt"`
	UpdatedAt    Time            `json:"updatedAt"`
}

// Limit returns the access key's own rate limit, nil when it has none.
func (a *AccessKey) Limit() *RateLimit {
	if a.RateLimit == nil || a.RateLimitTTL == nil || *a.RateLimit <= 0 || *a.RateLimitTTL <= 0 {
		return nil
	}
	return &RateLimit{RateLimit: *a.RateLimit, RateLimitTTL: *a.RateLimitTTL}
}

// AccessKeyCreate is the body of POST /access-keys; with a ProjectID the
// key is project-level.
type AccessKeyCreate struct {
	Name         string  `json:"name"`
	AccountID    string  `json:"accountId,omitempty"`
	ProjectID    *string `json:"projectId,omitempty"`
	RateLimit    *int    `json:"rateLimit,omitempty"`
	RateLimitTTL *int    `json:"rateLimitTtl,omitempty"`
}

func (in *AccessKeyCreate) Validate() error {
	var p problems
	p.name("name", in.Name)
	p.id("accountId", in.AccountID)
	p.narrowingID("projectId", in.ProjectID)
	if in.RateLimit != nil && *in.RateLimit < 1 {
		p.add("rateLimit must be a positive integer")
	}
	if in.RateLimitTTL != nil && (*in.RateLimitTTL < 1 || *in.RateLimitTTL > MaxRateLimitTTL) {
		p.add("rateLimitTtl must be a whole number of seconds between 1 and %d", MaxRateLimitTTL)
	}
	if (in.RateLimit == nil) != (in.RateLimitTTL == nil) {
		p.add("rateLimit and rateLimitTtl must be given together")
	}
	return p.err()
}

// AccessKeyStore persists access keys; part of Store.
type AccessKeyStore interface {
	// CreateAccessKey fails with CodeConflict if the key string exists.
	CreateAccessKey(ctx context.Context, k *AccessKey, events ...Event) error
	AccessKey(ctx context.Context, key string) (*AccessKey, error)
	// AccessKeyByHash finds an access key by the SHA-256 digest of its
	// string, which names it where the string itself may not go.
	AccessKeyByHash(ctx context.Context, hash []byte) (*AccessKey, error)
	// AccessKeys lists an account's access keys, optionally narrowed to one
	// project ("" for all) and an active state (nil for all), newest first.
	AccessKeys(ctx context.Context, accountID, projectID string, isActive *bool, page Page) ([]*AccessKey, string, error)
	UpdateAccessKey(ctx context.Context, k *AccessKey, events ...Event) error
}
