package service

import (
	"context"
	"errors"

	"github.com/keywayhq/keyway"
)

// The checks below are the one place where a caller's reach and role meet
// the objects it names (CONTRACT.md "Management authentication"). Objects
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
