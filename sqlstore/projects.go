package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/keywayhq/keyway"
)

const projectCols = `id, account_id, name, env, is_active, created_by, created_by_type, created_in,
	last_changed_by, last_changed_by_type, created_at, updated_at`

const projectSelect = projectCols + `, version`

// CreateProject fails with ErrAccountNotFound if p.AccountID names no account.
func (s *Store) CreateProject(ctx context.Context, p *keyway.Project) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO projects (`+projectCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		p.ID, p.AccountID, p.Name, string(p.Env), p.IsActive, p.CreatedBy, string(p.CreatedByType), p.CreatedIn,
		p.LastChangedBy, string(p.LastChangedByType), p.CreatedAt.Millis(), p.UpdatedAt.Millis())
	if err != nil {
		switch constraintViolation(err) {
		case uniqueViolation:
			return keyway.Errorf(keyway.CodeConflict, "Project already exists")
		case foreignKeyViolation:
			return keyway.ErrAccountNotFound
		}
		return keyway.Internal(fmt.Errorf("create project %s: %w", p.ID, err))
	}
	return nil
}

func (s *Store) Project(ctx context.Context, id string) (*keyway.Project, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+projectSelect+` FROM projects WHERE id = $1`, id)
	p, _, err := scanProject(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrProjectNotFound
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get project %s: %w", id, err))
	}
	return p, nil
}

// Projects lists an account's projects, oldest first.
func (s *Store) Projects(ctx context.Context, accountID string, page keyway.Page) ([]*keyway.Project, string, error) {
	var q query
	q.where("account_id = " + q.arg(accountID))
	// A deleted project is gone from every answer but its own DELETE.
	q.where("is_active = " + q.arg(true))
	return list(ctx, s.r, "projects", `SELECT `+projectSelect+` FROM projects`, &q,
		listOrder{tie: "id"}, page, scanProject)
}

func scanProject(row scanner) (*keyway.Project, position, error) {
	var (
		p                       keyway.Project
		env, byType, changeType string
		created, updated        int64
	)
	err := row.Scan(&p.ID, &p.AccountID, &p.Name, &env, &p.IsActive, &p.CreatedBy, &byType, &p.CreatedIn,
		&p.LastChangedBy, &changeType, &created, &updated, &p.Version)
	if err != nil {
		return nil, position{}, err
	}
	p.Env = keyway.Env(env)
	p.CreatedByType, p.LastChangedByType = keyway.ActorType(byType), keyway.ActorType(changeType)
	p.CreatedAt, p.UpdatedAt = keyway.TimeFromMillis(created), keyway.TimeFromMillis(updated)
	return &p, position{createdAt: created, tie: p.ID}, nil
}

// UpdateProject stores the mutable fields of p: name, active state and the
// last-change audit. A project's account and environment never change.
func (s *Store) UpdateProject(ctx context.Context, p *keyway.Project, events ...keyway.Event) error {
	return s.write(ctx, events, func(tx *sql.Tx) error {
		return versioned{what: "project " + p.ID, query: `UPDATE projects
			SET name = $2, is_active = $3, last_changed_by = $4, last_changed_by_type = $5, updated_at = $6,
				version = version + 1
			WHERE id = $1 AND version = $7`,
			args:   []any{p.ID, p.Name, p.IsActive, p.LastChangedBy, string(p.LastChangedByType), p.UpdatedAt.Millis(), p.Version},
			exists: `SELECT 1 FROM projects WHERE id = $1`, key: p.ID, notFound: keyway.ErrProjectNotFound, version: &p.Version,
		}.run(ctx, tx)
	})
}
