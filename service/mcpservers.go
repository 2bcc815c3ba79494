package service

import (
	"context"
	"errors"
	"strings"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// MCPServers wires the MCP server resource.
type MCPServers struct {
	Store keyway.MCPServerStore
	// IsTool reports whether a string names a tool.
	IsTool func(name string) bool
	// PublicURL is where agents reach Keyway; a server's url is its /mcp.
	PublicURL string
}

func (m *MCPServers) url() string { return strings.TrimRight(m.PublicURL, "/") + "/mcp" }

// CreateMCPServer mints an MCP server's token, an admin's job over the
// account or the project it acts in. The token is in this answer only.
func (s *Service) CreateMCPServer(ctx context.Context, c *keyway.Caller, in *keyway.MCPServerCreate) (*keyway.MCPServer, error) {
	m := s.mcpServers
	t, err := s.open(ctx, c, prelude{guard: keyway.RoleAdmin, validate: func() error { return in.Validate(m.IsTool) },
		scope: func() resolver { return s.inAccount(in.AccountID, optional(in.ProjectID)...) }, deleted: "projectId", need: keyway.RoleAdmin})
	if err != nil {
		return nil, err
	}
	accountID := t.accountID
	var projectID *string
	if p := t.project(); p != nil {
		projectID = &p.ID
	}
	now := s.now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now.Time) {
		return nil, keyway.Invalid("expiresAt must be in the future")
	}
	token := keyway.MCPTokenPrefix + keycrypt.RandomString(48)
	hash := keycrypt.HashKey(token)
	actor, actorType := c.Actor()
	srv := &keyway.MCPServer{
		ID: newID(), Name: in.Name, AccountID: accountID, ProjectID: projectID, Config: normalConfig(in.Config),
		ExpiresAt: in.ExpiresAt, IsActive: true, URL: m.url(), Token: keyway.Token(token), TokenHash: hash[:],
		CreatedBy: actor, CreatedByType: actorType, CreatedAt: now, UpdatedAt: now,
	}
	if err := m.Store.CreateMCPServer(ctx, srv); err != nil {
		return nil, err
	}
	return srv, nil
}

func normalConfig(c keyway.MCPConfig) keyway.MCPConfig {
	if c.Tags == nil {
		c.Tags = []string{}
	}
	return c
}

// ListMCPServers lists an account's MCP servers (without tokens) for its
// admins; a project admin sees the project's.
func (s *Service) ListMCPServers(ctx context.Context, c *keyway.Caller, accountID string, page keyway.Page) ([]*keyway.MCPServer, string, error) {
	m := s.mcpServers
	accountID, err := namedAccount(c, accountID)
	if err != nil {
		return nil, "", err
	}
	if !c.CanAnywhere(keyway.RoleAdmin) {
		return nil, "", keyway.ErrForbidden
	}
	all, next, err := m.Store.MCPServers(ctx, accountID, page)
	if err != nil {
		return nil, "", err
	}
	out := []*keyway.MCPServer{}
	for _, srv := range all {
		if c.Can(keyway.RoleAdmin, srv.AccountID, projectOf(srv.ProjectID)) {
			srv.URL = m.url()
			out = append(out, srv)
		}
	}
	return out, next, nil
}

// pathMCPServer loads an MCP server named in the path for its admins.
func (s *Service) pathMCPServer(ctx context.Context, c *keyway.Caller, id string) (*MCPServers, *keyway.MCPServer, error) {
	m := s.mcpServers
	srv, err := m.Store.MCPServer(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if c.Role(srv.AccountID, projectOf(srv.ProjectID)) == "" {
		return nil, nil, keyway.ErrMCPServerNotFound
	}
	if err := need(c, keyway.RoleAdmin, srv.AccountID, projectOf(srv.ProjectID)); err != nil {
		return nil, nil, err
	}
	srv.URL = m.url()
	return m, srv, nil
}

func (s *Service) GetMCPServer(ctx context.Context, c *keyway.Caller, id string) (*keyway.MCPServer, error) {
	_, srv, err := s.pathMCPServer(ctx, c, id)
	return srv, err
}

// UpdateMCPServer renames an MCP server, changes its tools or its expiry.
func (s *Service) UpdateMCPServer(ctx context.Context, c *keyway.Caller, id string, in *keyway.MCPServerUpdate) (*keyway.MCPServer, error) {
	m := s.mcpServers
	if err := in.Validate(m.IsTool); err != nil {
		return nil, err
	}
	return retryStale(func() (*keyway.MCPServer, error) {
		return s.changeMCPServer(ctx, c, id, func(srv *keyway.MCPServer) error {
			if in.Name.Set {
				srv.Name = in.Name.Value
			}
			if in.Config.Set {
				srv.Config = normalConfig(in.Config.Value)
			}
			if in.ExpiresAt.Set {
				srv.ExpiresAt = valueOrNil(in.ExpiresAt)
				if srv.ExpiresAt != nil && !srv.ExpiresAt.After(s.clock.Now()) {
					return keyway.Invalid("expiresAt must be in the future")
				}
			}
			return nil
		})
	})
}

// RevokeMCPServer stops an MCP server's token at once, for good.
func (s *Service) RevokeMCPServer(ctx context.Context, c *keyway.Caller, id string) (*keyway.MCPServer, error) {
	return retryStale(func() (*keyway.MCPServer, error) {
		return s.changeMCPServer(ctx, c, id, func(srv *keyway.MCPServer) error {
			if !srv.IsActive {
				return keyway.ErrMCPServerNotFound
			}
			srv.IsActive = false
			return nil
		})
	})
}

func (s *Service) changeMCPServer(ctx context.Context, c *keyway.Caller, id string, change func(*keyway.MCPServer) error) (*keyway.MCPServer, error) {
	m, srv, err := s.pathMCPServer(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := change(srv); err != nil {
		return nil, err
	}
	srv.UpdatedAt = s.now()
	if err := m.Store.UpdateMCPServer(ctx, srv); err != nil {
		return nil, err
	}
	return srv, nil
}

// MCPServerCaller resolves an MCP server's token: active, unexpired, and
// its account (and project) still there, or 401.
func (s *Service) MCPServerCaller(ctx context.Context, token string) (*keyway.Caller, error) {
	m := s.mcpServers
	hash := keycrypt.HashKey(token)
	srv, err := m.Store.MCPServerByToken(ctx, hash[:])
	if errors.Is(err, keyway.ErrMCPServerNotFound) {
		return nil, keyway.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if !srv.Usable(s.now()) {
		return nil, keyway.ErrUnauthorized
	}
	a, err := s.store.Account(ctx, srv.AccountID)
	if err != nil {
		return nil, err
	}
	if !a.IsActive {
		return nil, keyway.ErrUnauthorized
	}
	if srv.ProjectID != nil {
		p, err := s.store.Project(ctx, *srv.ProjectID)
		if err != nil {
			return nil, err
		}
		if !p.IsActive {
			return nil, keyway.ErrUnauthorized
		}
	}
	return keyway.MCPServerCaller(srv), nil
}
