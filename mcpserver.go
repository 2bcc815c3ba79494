package keyway

import (
	"context"
	"slices"
)

// MCPServer is a credential for an AI agent: a token that reaches /mcp
// (and nothing but the tools it allows) within an account, or one project
// of it, until it expires or is revoked.
type MCPServer struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	AccountID string    `json:"accountId"`
	ProjectID *string   `json:"projectId"`
	Config    MCPConfig `json:"config"`
	ExpiresAt *Time     `json:"expiresAt"`
	IsActive  bool      `json:"isActive"`
	// URL is where an agent connects.
	URL string `json:"url"`
	// Token is shown once, in the answer that creates the server; only its
	// digest is stored.
	Token         Token     `json:"token,omitempty"`
	TokenHash     []byte    `json:"-"`
	CreatedBy     string    `json:"createdBy"`
	CreatedByType ActorType `json:"createdByType"`
	CreatedAt     Time      `json:"createdAt"`
	UpdatedAt     Time      `json:"updatedAt"`
	Version       int64     `json:"-"`
}

// MCPConfig says which tools an MCP server offers: Methods holds "read"
// (every GET), "write" (every other method) and tool names, "custom"
// marking a list of names only; Tags, when not empty, keeps the tools of
// those areas.
type MCPConfig struct {
	Methods []string `json:"methods"`
	Tags    []string `json:"tags"`
}

// MCPTags are the areas tools belong to.
var MCPTags = []string{"api-keys", "access-keys", "projects", "webhooks", "analytics", "team", "accounts", "auth", "notifications", "misc"}

// MCPTokenPrefix starts every MCP server token, so a credential can be told
// apart from access keys and user tokens at a glance.
const MCPTokenPrefix = "kwmcp_"

// Usable reports whether the server's token may still be used at now.
func (m *MCPServer) Usable(now Time) bool {
	return m.IsActive && (m.ExpiresAt == nil || now.Before(m.ExpiresAt.Time))
}

// MCPServerCreate is the body of POST /mcp-servers.
type MCPServerCreate struct {
	Name      string    `json:"name"`
	AccountID string    `json:"accountId,omitempty"`
	ProjectID *string   `json:"projectId,omitempty"`
	Config    MCPConfig `json:"config"`
	ExpiresAt *Time     `json:"expiresAt,omitempty"`
}

// ValidMCPConfig checks a configuration; known reports whether a string is
// a tool name.
func (p *problems) mcpConfig(c MCPConfig, known func(string) bool) {
	if len(c.Methods) == 0 {
		p.add("config.methods should not be empty")
	}
	for _, m := range c.Methods {
		if m != "read" && m != "write" && m != "custom" && !known(m) {
			p.add("config.methods must hold read, write, custom or tool names; %q is none of them", m)
		}
	}
	for _, t := range c.Tags {
		if !slices.Contains(MCPTags, t) {
			p.add("config.tags must be among %v; %q is not", MCPTags, t)
		}
	}
}

func (in *MCPServerCreate) Validate(known func(string) bool) error {
	var p problems
	p.name("name", in.Name)
	p.id("accountId", in.AccountID)
	p.narrowingID("projectId", in.ProjectID)
	p.mcpConfig(in.Config, known)
	return p.err()
}

// MCPServerUpdate is the body of PATCH /mcp-servers/{id}.
type MCPServerUpdate struct {
	Name      Optional[string]    `json:"name,omitzero"`
	Config    Optional[MCPConfig] `json:"config,omitzero"`
	ExpiresAt Optional[Time]      `json:"expiresAt,omitzero"`
}

func (in *MCPServerUpdate) Validate(known func(string) bool) error {
	var p problems
	if in.Name.Set {
		p.name("name", in.Name.Value)
	}
	if in.Config.Set {
		if in.Config.Null {
			p.add("config should not be null")
		} else {
			p.mcpConfig(in.Config.Value, known)
		}
	}
	return p.err()
}

// MCPServerStore persists MCP servers.
type MCPServerStore interface {
	CreateMCPServer(ctx context.Context, m *MCPServer) error
	MCPServer(ctx context.Context, id string) (*MCPServer, error)
	// MCPServerByToken finds a server by its token's digest.
	MCPServerByToken(ctx context.Context, hash []byte) (*MCPServer, error)
	MCPServers(ctx context.Context, accountID string, page Page) ([]*MCPServer, string, error)
	// UpdateMCPServer stores m over the version it read (ErrStale).
	UpdateMCPServer(ctx context.Context, m *MCPServer) error
}

var ErrMCPServerNotFound = Errorf(CodeNotFound, "MCP server not found")
