package service

import (
	"context"

	"github.com/keywayhq/keyway"
)

// prelude is the opening a management call shares with the others that act
// in an account or project its input names. The steps run in the order the
// answers depend on: a role held nowhere is 403 before the input is looked
// at (as a NestJS guard runs first); then the input's own problems are 400;
// then the account and projects are resolved (403 when out of reach); a
// deleted project is 400; and last the caller needs its role over what was
// resolved. Every step but scope may be left zero, and is then skipped.
type prelude struct {
	// guard is the role the caller must hold somewhere.
	guard keyway.Role
	// validate checks the input.
	validate func() error
	// scope resolves what the input names (inAccount, queryTarget,
	// keyTarget). It is built after validate, which may normalise the
	// input it reads (sorting and deduplicating projectIds).
	scope func() resolver
	// deleted is the input field a deleted project is refused by
	// ("projectId refers to a deleted project"); "" accepts one.
	deleted string
	// need is the role required over the account when no project was
	// resolved, else over each project.
	need keyway.Role
}

// resolver finds the account and projects a call's input names, checking
// the caller reaches them.
type resolver func(ctx context.Context, c *keyway.Caller) (target, error)

// target is what a call acts in: an account, narrowed to projects when
// any are named.
type target struct {
	accountID string
	projects  []*keyway.Project
}

// project is the one project of a call that names at most one, nil for
// the whole account.
func (t target) project() *keyway.Project {
	if len(t.projects) == 0 {
		return nil
	}
	return t.projects[0]
}

// open runs a call's prelude.
func (s *Service) open(ctx context.Context, c *keyway.Caller, p prelude) (target, error) {
	if p.guard != "" {
		if err := guard(c, p.guard); err != nil {
			return target{}, err
		}
	}
	if p.validate != nil {
		if err := p.validate(); err != nil {
			return target{}, err
		}
	}
	t, err := p.scope()(ctx, c)
	if err != nil {
		return target{}, err
	}
	if p.deleted != "" {
		for _, pr := range t.projects {
			if !pr.IsActive {
				return target{}, keyway.Invalid(p.deleted + " refers to a deleted project")
			}
		}
	}
	if p.need != "" {
		if len(t.projects) == 0 {
			return t, need(c, p.need, t.accountID, "")
		}
		for _, pr := range t.projects {
			if err := need(c, p.need, t.accountID, pr.ID); err != nil {
				return target{}, err
			}
		}
	}
	return t, nil
}

// inAccount resolves an account named in a query or body (the caller's
// only one when empty) and projects of it, each loaded and in the caller's
// reach; no project means the whole account.
func (s *Service) inAccount(accountID string, projectIDs ...string) resolver {
	return func(ctx context.Context, c *keyway.Caller) (target, error) {
		accountID, err := namedAccount(c, accountID)
		if err != nil {
			return target{}, err
		}
		t := target{accountID: accountID}
		for _, id := range projectIDs {
			p, err := s.projectIn(ctx, c, accountID, id)
			if err != nil {
				return target{}, err
			}
			t.projects = append(t.projects, p)
		}
		return t, nil
	}
}

// queryTarget resolves an account and project as queryScope does: a
// caller narrowed to one project of the account means that one.
func (s *Service) queryTarget(accountID, projectID string) resolver {
	return func(ctx context.Context, c *keyway.Caller) (target, error) {
		accountID, p, err := s.queryScope(ctx, c, accountID, projectID)
		if err != nil {
			return target{}, err
		}
		t := target{accountID: accountID}
		if p != nil {
			t.projects = []*keyway.Project{p}
		}
		return t, nil
	}
}

// keyTarget resolves the project an operation on API keys names (the
// caller's only one when empty): keys always live in a project, whose
// account is theirs.
func (s *Service) keyTarget(projectID string) resolver {
	return func(ctx context.Context, c *keyway.Caller) (target, error) {
		projectID, err := defaultProject(c, projectID)
		if err != nil {
			return target{}, err
		}
		p, err := s.namedProject(ctx, c, projectID)
		if err != nil {
			return target{}, err
		}
		return target{accountID: p.AccountID, projects: []*keyway.Project{p}}, nil
	}
}

// optional is an optional id as the list inAccount takes: none when
// absent.
func optional(id *string) []string {
	if id == nil {
		return nil
	}
	return []string{*id}
}
