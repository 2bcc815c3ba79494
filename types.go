// Package keyway is the domain of the Keyway API-key service: its objects,
// their validation, the errors every layer speaks, and the interfaces that
// the implementations (sqlstore, httpapi, …) provide or consume. It imports
// no database and no HTTP.
package keyway

import (
	"encoding/json"
)

// Env is a project's environment; it prefixes every key issued in it.
type Env string

const (
	EnvLive Env = "live"
	EnvTest Env = "test"
)

func (e Env) Valid() bool { return e == EnvLive || e == EnvTest }

// ActorType says who made a change.
type ActorType string

const (
	ActorUser      ActorType = "USER"
	ActorAccessKey ActorType = "ACCESS_KEY"
)

// RateLimit is a fixed-window limit: at most Limit successful calls per TTL
// seconds, the window starting at its first hit.
type RateLimit struct {
	RateLimit    int `json:"rateLimit"`
	RateLimitTTL int `json:"rateLimitTtl"`
}

// APIKey is a key issued to a customer of the operator's API. The key string
// is its identity in every path.
type APIKey struct {
	// ID is internal: a stable row identity that survives rotation and
	// custom-key renames, used for ordering and cursors.
	ID        string `json:"-"`
	AccountID string `json:"-"`
	// Version counts stored changes; an update applies only to the
	// version it read (see ErrStale).
	Version         int64           `json:"-"`
	Key             string          `json:"key"`
	Name            string          `json:"name"`
	ProjectID       string          `json:"projectId"`
	Env             Env             `json:"env"`
	CustomMetaData  json.RawMessage `json:"customMetaData"`
	CustomAccountID *string         `json:"customAccountId"`
	CustomUserID    *string         `json:"customUserId"`
	IsActive        bool            `json:"isActive"`
	ExpiresAt       *Time           `json:"expiresAt"`
	RateLimit       *RateLimit      `json:"rateLimitConfigs"`
	AllowedDomains  []string        `json:"allowedDomains"`
	CreationContext json.RawMessage `json:"creationContext"`
	CreatedAt       Time            `json:"createdAt"`
	UpdatedAt       Time            `json:"updatedAt"`
}

// Expired reports whether the key's expiry has passed at now.
func (k *APIKey) Expired(now Time) bool {
	return k.ExpiresAt != nil && !now.Before(k.ExpiresAt.Time)
}

// Audit records who created and last changed an object.
type Audit struct {
	CreatedBy         string    `json:"createdBy"`
	CreatedByType     ActorType `json:"createdByType"`
	CreatedIn         string    `json:"createdIn"`
	LastChangedBy     string    `json:"lastChangedBy"`
	LastChangedByType ActorType `json:"lastChangedByType"`
}

type Project struct {
	Version   int64  `json:"-"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	AccountID string `json:"accountId"`
	Env       Env    `json:"env"`
	IsActive  bool   `json:"isActive"`
	Audit
	CreatedAt Time `json:"createdAt"`
	UpdatedAt Time `json:"updatedAt"`
}

type Account struct {
	Version  int64  `json:"-"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	IsActive bool   `json:"isActive"`
	Audit
	CreatedAt Time `json:"createdAt"`
	UpdatedAt Time `json:"updatedAt"`
}

// AccessKey is a management credential, account-level when ProjectID is nil.
type AccessKey struct {
	Version      int64   `json:"-"`
	Key          string  `json:"key"`
	Name         string  `json:"name"`
	AccountID    string  `json:"accountId"`
	ProjectID    *string `json:"projectId"`
	IsActive     bool    `json:"isActive"`
	RateLimit    *int    `json:"rateLimit"`
	RateLimitTTL *int    `json:"rateLimitTtl"`
	CreatedAt    Time    `json:"createdAt"`
	UpdatedAt    Time    `json:"updatedAt"`
}

// Limit returns the access key's own rate limit, nil when it has none.
func (a *AccessKey) Limit() *RateLimit {
	if a.RateLimit == nil || a.RateLimitTTL == nil || *a.RateLimit <= 0 || *a.RateLimitTTL <= 0 {
		return nil
	}
	return &RateLimit{RateLimit: *a.RateLimit, RateLimitTTL: *a.RateLimitTTL}
}

// Caller is the authenticated principal of a management call: an access
// key, or a signed-in user (User set, AccessKey nil).
type Caller struct {
	AccessKey *AccessKey
	User      *User
	AccountID string
	// ProjectID is empty for an account-level caller.
	ProjectID string
}

// Actor names the caller in audit fields. Access keys are secrets, so the
// audit trail records a non-secret fingerprint rather than the key.
func (c *Caller) Actor() (string, ActorType) {
	if c.User != nil {
		return c.User.ID, ActorUser
	}
	return "access-key:" + Fingerprint(c.AccessKey.Key), ActorAccessKey
}

// Fingerprint is a short, non-secret identifier for a secret string: its
// last four characters, enough to tell keys apart in an audit trail.
func Fingerprint(key string) string {
	if len(key) <= 8 {
		return "****"
	}
	return "…" + key[len(key)-4:]
}

// CanReachProject reports whether the caller's scope covers a project.
func (c *Caller) CanReachProject(p *Project) bool {
	if p.AccountID != c.AccountID {
		return false
	}
	return c.ProjectID == "" || c.ProjectID == p.ID
}

// AccountLevel reports whether the caller reaches its whole account.
func (c *Caller) AccountLevel() bool { return c.ProjectID == "" }
