package service

import (
	"context"
	"errors"

	"github.com/keywayhq/keyway"
)

// ListProjects lists the active projects of an account the caller reaches;
// a caller narrowed to projects sees only those.
func (s *Service) ListProjects(ctx context.Context, c *keyway.Caller, accountID string, page keyway.Page) ([]*keyway.Project, string, error) {
	accountID, err := namedAccount(c, accountID)
	if err != nil {
		return nil, "", err
	}
	if !c.AccountWide(accountID) {
		// A handful of granted projects: no paging to speak of.
		ps := []*keyway.Project{}
		for _, id := range c.Projects(accountID) {
			p, err := s.pathProject(ctx, c, id)
			if errors.Is(err, keyway.ErrProjectNotFound) {
				continue
			}
			if err != nil {
				return nil, "", err
			}
			ps = append(ps, p)
		}
		return ps, "", nil
	}
	return s.store.Projects(ctx, accountID, page)
}

func (s *Service) CreateProject(ctx context.Context, c *keyway.Caller, in *keyway.ProjectCreate) (*keyway.Project, error) {
	if _, err := s.open(ctx, c, prelude{guard: keyway.RoleAdmin, validate: in.Validate,
		scope: func() resolver { return s.inAccount(in.AccountID) }, need: keyway.RoleAdmin}); err != nil {
		return nil, err
	}
	now := s.now()
	actor, actorType := c.Actor()
	p := &keyway.Project{
		ID:        newID(),
		Name:      in.Name,
		AccountID: in.AccountID,
		Env:       in.Env,
		IsActive:  true,
		Audit: keyway.Audit{
			CreatedBy: actor, CreatedByType: actorType, CreatedIn: s.Region,
			LastChangedBy: actor, LastChangedByType: actorType,
		},
		CreatedAt: now,
		UpdatedAt: now,
	}
	if err := s.store.CreateProject(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Service) GetProject(ctx context.Context, c *keyway.Caller, id string) (*keyway.Project, error) {
	return s.pathProject(ctx, c, id)
}

func (s *Service) RenameProject(ctx context.Context, c *keyway.Caller, id string, in *keyway.Rename) (*keyway.Project, error) {
	return retryStale(func() (*keyway.Project, error) { return s.renameProject(ctx, c, id, in) })
}

func (s *Service) renameProject(ctx context.Context, c *keyway.Caller, id string, in *keyway.Rename) (*keyway.Project, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	p, err := s.pathProject(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := need(c, keyway.RoleAdmin, p.AccountID, p.ID); err != nil {
		return nil, err
	}
	p.Name = in.Name
	s.touchProject(c, p)
	if err := s.store.UpdateProject(ctx, p, s.projectEvent(keyway.TopicProjectUpdated, p)); err != nil {
		return nil, err
	}
	return p, nil
}

// DeleteProject soft-deletes a project; its keys stop verifying at once.
func (s *Service) DeleteProject(ctx context.Context, c *keyway.Caller, id string) (*keyway.Project, error) {
	return retryStale(func() (*keyway.Project, error) { return s.deleteProject(ctx, c, id) })
}

func (s *Service) deleteProject(ctx context.Context, c *keyway.Caller, id string) (*keyway.Project, error) {
	p, err := s.pathProject(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := need(c, keyway.RoleAdmin, p.AccountID, p.ID); err != nil {
		return nil, err
	}
	p.IsActive = false
	s.touchProject(c, p)
	if err := s.store.UpdateProject(ctx, p, s.projectEvent(keyway.TopicProjectUpdated, p)); err != nil {
		return nil, err
	}
	s.invalidate.ProjectChanged(p.ID)
	return p, nil
}

func (s *Service) touchProject(c *keyway.Caller, p *keyway.Project) {
	p.LastChangedBy, p.LastChangedByType = c.Actor()
	p.UpdatedAt = s.now()
}
