package keyway

import "slices"

// ActorType says who made a change.
type ActorType string

const (
	ActorUser      ActorType = "USER"
	ActorAccessKey ActorType = "ACCESS_KEY"
)

// Audit records who created and last changed an object.
type Audit struct {
	CreatedBy         string    `json:"createdBy"`
	CreatedByType     ActorType `json:"createdByType"`
	CreatedIn         string    `json:"createdIn"`
	LastChangedBy     string    `json:"lastChangedBy"`
	LastChangedByType ActorType `json:"lastChangedByType"`
}

// Caller is the authenticated principal of a management call: an access
// key, or a signed-in user (User set, AccessKey nil). Grants are everything
// it may reach: one for an access key, the user's roles for a user.
type Caller struct {
	AccessKey *AccessKey
	User      *User
	// MCPServer is set for an MCP server's token, which may run only the
	// tools its configuration allows (checked where operations run).
	MCPServer *MCPServer
	Grants    []Grant
}

// Grant is a role in an account, narrowed to one project when ProjectID is
// set.
type Grant struct {
	AccountID string
	ProjectID string
	Role      Role
}

// AccessKeyCaller is the caller an access key acts as (CONTRACT.md
// "Management authentication"): an account-level key is an admin of its
// account, a project-level one a user of its project.
func AccessKeyCaller(k *AccessKey) *Caller {
	g := Grant{AccountID: k.AccountID, Role: RoleAdmin}
	if k.ProjectID != nil {
		g.ProjectID, g.Role = *k.ProjectID, RoleUser
	}
	return &Caller{AccessKey: k, Grants: []Grant{g}}
}

// MCPServerCaller is the caller an MCP server's token acts as: an admin of
// its account, or of its project, narrowed further by the tools it allows.
func MCPServerCaller(m *MCPServer) *Caller {
	g := Grant{AccountID: m.AccountID, Role: RoleAdmin}
	if m.ProjectID != nil {
		g.ProjectID = *m.ProjectID
	}
	return &Caller{MCPServer: m, Grants: []Grant{g}}
}

// UserCaller is the caller a signed-in user acts as.
func UserCaller(u *User, roles []UserRole) *Caller {
	c := &Caller{User: u, Grants: make([]Grant, 0, len(roles))}
	for _, r := range roles {
		g := Grant{AccountID: r.AccountID, Role: r.Role}
		if r.ProjectID != nil {
			g.ProjectID = *r.ProjectID
		}
		c.Grants = append(c.Grants, g)
	}
	return c
}

// Actor names the caller in audit fields. Access keys are secrets, so the
// audit trail records a non-secret fingerprint rather than the key.
func (c *Caller) Actor() (string, ActorType) {
	switch {
	case c.User != nil:
		return c.User.ID, ActorUser
	case c.MCPServer != nil:
		// The contract knows two kinds of actor; an MCP server's token is a
		// kind of access key.
		return "mcp-server:" + c.MCPServer.ID, ActorAccessKey
	}
	return "access-key:" + Fingerprint(c.AccessKey.Key.Reveal()), ActorAccessKey
}

// Fingerprint is a short, non-secret identifier for a secret string: its
// last four characters, enough to tell keys apart in an audit trail.
func Fingerprint(key string) string {
	if len(key) <= 8 {
		return "****"
	}
	return "…" + key[len(key)-4:]
}

// Role is the strongest role the caller holds over a project of an account
// (an account-wide grant covers every project), or over the account as a
// whole when projectID is "" (then only account-wide grants count). ""
// means the caller cannot reach it at all.
func (c *Caller) Role(accountID, projectID string) Role {
	var best Role
	for _, g := range c.Grants {
		if g.AccountID == accountID && (g.ProjectID == "" || g.ProjectID == projectID) && g.Role.rank() > best.rank() {
			best = g.Role
		}
	}
	return best
}

// Can reports whether the caller holds at least role need over the project
// (or, with projectID "", over the whole account).
func (c *Caller) Can(need Role, accountID, projectID string) bool {
	return c.Role(accountID, projectID).AtLeast(need)
}

// InAccount reports whether the caller holds any role in an account.
func (c *Caller) InAccount(accountID string) bool {
	for _, g := range c.Grants {
		if g.AccountID == accountID {
			return true
		}
	}
	return false
}

// AccountWide reports whether the caller reaches every project of an
// account.
func (c *Caller) AccountWide(accountID string) bool { return c.Role(accountID, "") != "" }

// Projects lists the projects of an account the caller's narrowed grants
// reach; it says nothing of account-wide grants.
func (c *Caller) Projects(accountID string) []string {
	var ids []string
	for _, g := range c.Grants {
		if g.AccountID == accountID && g.ProjectID != "" && !slices.Contains(ids, g.ProjectID) {
			ids = append(ids, g.ProjectID)
		}
	}
	return ids
}

// Accounts lists the accounts the caller holds a role in, in grant order.
func (c *Caller) Accounts() []string {
	var ids []string
	for _, g := range c.Grants {
		if !slices.Contains(ids, g.AccountID) {
			ids = append(ids, g.AccountID)
		}
	}
	return ids
}

// DefaultAccount is the account an operation means when it names none: the
// caller's only one. "" when it has several or none, and the operation must
// be told.
func (c *Caller) DefaultAccount() string {
	if ids := c.Accounts(); len(ids) == 1 {
		return ids[0]
	}
	return ""
}

// DefaultProject is the project an operation means when it names none: the
// only project of the account the caller reaches, when it does not reach the
// whole account. "" otherwise.
func (c *Caller) DefaultProject(accountID string) string {
	if c.AccountWide(accountID) {
		return ""
	}
	if ids := c.Projects(accountID); len(ids) == 1 {
		return ids[0]
	}
	return ""
}

// CanAnywhere reports whether the caller holds at least role need in any
// scope: the guard that runs before an operation's input is validated.
func (c *Caller) CanAnywhere(need Role) bool {
	for _, g := range c.Grants {
		if g.Role.AtLeast(need) {
			return true
		}
	}
	return false
}
