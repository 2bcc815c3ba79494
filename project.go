package keyway

import "context"

// Env is a project's environment; it prefixes every key issued in it.
type Env string

const (
	EnvLive Env = "live"
	EnvTest Env = "test"
)

func (e Env) Valid() bool { return e == EnvLive || e == EnvTest }

// Project groups API keys under one environment within an account; the
// narrowest scope an access key, a role or a webhook can have.
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

// ProjectCreate is the body of POST /projects.
type ProjectCreate struct {
	Name      string `json:"name"`
	AccountID string `json:"accountId"`
	Env       Env    `json:"env"`
}

func (in *ProjectCreate) Validate() error {
	var p problems
	p.name("name", in.Name)
	if in.AccountID == "" {
		p.add("accountId should not be empty")
	} else {
		p.id("accountId", in.AccountID)
	}
	if !in.Env.Valid() {
		p.add("env must be one of the following values: live, test")
	}
	return p.err()
}

// ProjectStore persists projects; part of Store.
type ProjectStore interface {
	CreateProject(ctx context.Context, p *Project) error
	Project(ctx context.Context, id string) (*Project, error)
	// Projects lists an account's active projects, oldest first.
	Projects(ctx context.Context, accountID string, page Page) ([]*Project, string, error)
	UpdateProject(ctx context.Context, p *Project, events ...Event) error
}
