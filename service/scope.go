package service

import (
	"context"
	"errors"

	"github.com/keywayhq/keyway"
)

// The checks below are the one place where a caller's reach and role meet
// the objects it names (docs/api.md "Management authentication"). Objects
// named in a path that the caller cannot see answer 404, as if they did not
// exist; accounts and projects named in a query or body answer 403; and an
// object the caller sees but may not change answers 403.

// guard refuses, before any input is validated (as a NestJS guard runs
// first), a caller holding role need nowhere.
func guard(c *keyway.Caller, need keyway.Role) error {
	if !c.CanAnywhere(need) {
		return keyway.ErrForbidden
	}
	return nil
}

// need refuses a caller without role need over a scope it can already see.
func need(c *keyway.Caller, role keyway.Role, accountID, projectID string) error {
	if !c.Can(role, accountID, projectID) {
		return keyway.ErrForbidden
	}
	return nil
}

// namedAccount resolves the account a query or body names, defaulting to
// the caller's only account; another account is 403.
func namedAccount(c *keyway.Caller, accountID string) (string, error) {
	if accountID == "" {
		accountID = c.DefaultAccount()
		if accountID == "" {
			return "", keyway.Invalid("accountId should not be empty")
		}
	}
	if !c.InAccount(accountID) {
		return "", keyway.ErrForbidden
	}
	return accountID, nil
}

// namedProject loads a project named in a query or body and checks the
// caller reaches it; unknown and out-of-scope projects are both 403 so the
// answer does not reveal which projects exist.
func (s *Service) namedProject(ctx context.Context, c *keyway.Caller, id string) (*keyway.Project, error) {
	p, err := s.store.Project(ctx, id)
	if errors.Is(err, keyway.ErrProjectNotFound) {
		return nil, keyway.ErrForbidden
	}
	if err != nil {
		return nil, err
	}
	if c.Role(p.AccountID, p.ID) == "" {
		return nil, keyway.ErrForbidden
	}
	return p, nil
}

// projectIn loads a project named in a query or body beside an account: it
// must be one the caller reaches, of that account (403 otherwise).
func (s *Service) projectIn(ctx context.Context, c *keyway.Caller, accountID, projectID string) (*keyway.Project, error) {
	p, err := s.namedProject(ctx, c, projectID)
	if err != nil {
		return nil, err
	}
	if p.AccountID != accountID {
		return nil, keyway.ErrForbidden
	}
	return p, nil
}

// queryScope resolves the account and project a query or body names: the
// account defaults to the caller's only one, the project to the only one a
// caller narrowed to a single project reaches; each must be in reach (403
// otherwise). The project is nil for the whole account.
func (s *Service) queryScope(ctx context.Context, c *keyway.Caller, accountID, projectID string) (string, *keyway.Project, error) {
	accountID, err := namedAccount(c, accountID)
	if err != nil {
		return "", nil, err
	}
	if projectID, err = projectOrOnly(c, accountID, projectID); err != nil || projectID == "" {
		return accountID, nil, err
	}
	p, err := s.projectIn(ctx, c, accountID, projectID)
	if err != nil {
		return "", nil, err
	}
	return accountID, p, nil
}

// projectOrOnly is the project a query about an account means: the one it
// names, or for a caller narrowed to a single project of the account that
// one. A narrowed caller with several must name one; an account-wide caller
// naming none means the whole account ("").
func projectOrOnly(c *keyway.Caller, accountID, projectID string) (string, error) {
	if projectID != "" || c.AccountWide(accountID) {
		return projectID, nil
	}
	if projectID = c.DefaultProject(accountID); projectID == "" {
		return "", keyway.Invalid("projectId should not be empty")
	}
	return projectID, nil
}

// pathProject loads a project named in the path: anything the caller cannot
// see, including a deleted project, is 404.
func (s *Service) pathProject(ctx context.Context, c *keyway.Caller, id string) (*keyway.Project, error) {
	p, err := s.store.Project(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Role(p.AccountID, p.ID) == "" || !p.IsActive {
		return nil, keyway.ErrProjectNotFound
	}
	return p, nil
}

// defaultProject is the project an operation on keys means when none is
// named: a caller narrowed to one project means that one; anyone else must
// say.
func defaultProject(c *keyway.Caller, projectID string) (string, error) {
	if projectID == "" {
		if a := c.DefaultAccount(); a != "" {
			projectID = c.DefaultProject(a)
		}
	}
	if projectID == "" {
		return "", keyway.Invalid("projectId should not be empty")
	}
	return projectID, nil
}

// scopeOf is the scope of a project: its id, "" for the whole account.
func scopeOf(p *keyway.Project) string {
	if p == nil {
		return ""
	}
	return p.ID
}

// projectOf turns a nullable project id into a scope.
func projectOf(id *string) string {
	if id == nil {
		return ""
	}
	return *id
}

// A credential narrowed to a project (a project-level access key, an MCP
// server's token of one project) reaches only that project (docs/api.md
// "Management authentication"). What belongs to the
// account as a whole rather than to any project stays out of its reach:
// the account's people, whose names and emails GET /teammates and the
// account-wide notifications (a teammate joined, with their email; an
// account-wide webhook failing) show. A person narrowed to projects is
// still a member of the account and keeps seeing its team.

// seesAccountPrivate reports whether the caller may see what belongs to
// the account as a whole: anyone reaching the whole account, and the
// account's people however narrowed.
func seesAccountPrivate(c *keyway.Caller, accountID string) bool {
	return c.AccountWide(accountID) || c.User != nil && c.InAccount(accountID)
}

// peopleOf refuses a caller the people of an account (GET /teammates)
// unless it sees the account's private data. The account is named in the
// query, so the refusal is 403, like any other account out of reach.
func peopleOf(c *keyway.Caller, accountID string) error {
	if !seesAccountPrivate(c, accountID) {
		return keyway.ErrForbidden
	}
	return nil
}

// notificationScopes are the parts of the notifications the caller sees:
// a whole account's for an account-wide grant; for a project grant that
// project's, with the account-wide ones only for the account's people.
func notificationScopes(c *keyway.Caller) []keyway.NotificationScope {
	scopes := make([]keyway.NotificationScope, 0, len(c.Grants))
	for _, g := range c.Grants {
		scopes = append(scopes, keyway.NotificationScope{AccountID: g.AccountID, ProjectID: g.ProjectID, AccountWide: seesAccountPrivate(c, g.AccountID)})
	}
	return scopes
}

// seesNotification reports whether one notification is among those
// notificationScopes covers.
func seesNotification(c *keyway.Caller, n *keyway.Notification) bool {
	if n.ProjectID == nil {
		return seesAccountPrivate(c, n.AccountID)
	}
	return c.Role(n.AccountID, *n.ProjectID) != ""
}
