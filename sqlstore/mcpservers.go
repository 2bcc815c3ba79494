package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/keywayhq/keyway"
)

var _ keyway.MCPServerStore = (*Store)(nil)

const mcpServerCols = `id, account_id, project_id, name, token_hash, config, expires_at, is_active,
	created_by, created_by_type, created_at, updated_at, version`

func (s *Store) CreateMCPServer(ctx context.Context, m *keyway.MCPServer) error {
	config, err := json.Marshal(m.Config)
	if err != nil {
		return keyway.Internal(err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO mcp_servers (`+mcpServerCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0)`,
		m.ID, m.AccountID, m.ProjectID, m.Name, m.TokenHash, string(config), millisOrNil(m.ExpiresAt), m.IsActive,
		m.CreatedBy, string(m.CreatedByType), m.CreatedAt.Millis(), m.UpdatedAt.Millis())
	if err != nil {
		return keyway.Internal(fmt.Errorf("create mcp server: %w", err))
	}
	return nil
}

func scanMCPServer(row scanner) (*keyway.MCPServer, position, error) {
	var m keyway.MCPServer
	var config, byType string
	var expires sql.NullInt64
	var created, updated int64
	if err := row.Scan(&m.ID, &m.AccountID, &m.ProjectID, &m.Name, &m.TokenHash, &config, &expires, &m.IsActive,
		&m.CreatedBy, &byType, &created, &updated, &m.Version); err != nil {
		return nil, position{}, err
	}
	if err := json.Unmarshal([]byte(config), &m.Config); err != nil {
		return nil, position{}, fmt.Errorf("mcp server %s config: %w", m.ID, err)
	}
	m.ExpiresAt, m.CreatedByType = timeOrNil(expires), keyway.ActorType(byType)
	m.CreatedAt, m.UpdatedAt = keyway.TimeFromMillis(created), keyway.TimeFromMillis(updated)
	return &m, position{createdAt: created, tie: m.ID}, nil
}

func (s *Store) mcpServer(ctx context.Context, where string, arg any) (*keyway.MCPServer, error) {
	m, _, err := scanMCPServer(s.r.QueryRowContext(ctx, `SELECT `+mcpServerCols+` FROM mcp_servers WHERE `+where+` = $1`, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrMCPServerNotFound
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get mcp server: %w", err))
	}
	return m, nil
}

func (s *Store) MCPServer(ctx context.Context, id string) (*keyway.MCPServer, error) {
	return s.mcpServer(ctx, "id", id)
}

func (s *Store) MCPServerByToken(ctx context.Context, hash []byte) (*keyway.MCPServer, error) {
	return s.mcpServer(ctx, "token_hash", hash)
}

func (s *Store) MCPServers(ctx context.Context, accountID string, page keyway.Page) ([]*keyway.MCPServer, string, error) {
	var q query
	q.where("account_id = " + q.arg(accountID))
	return list(ctx, s.r, "mcp servers", `SELECT `+mcpServerCols+` FROM mcp_servers`, &q,
		listOrder{desc: true, tie: "id"}, page, scanMCPServer)
}

func (s *Store) UpdateMCPServer(ctx context.Context, m *keyway.MCPServer) error {
	config, err := json.Marshal(m.Config)
	if err != nil {
		return keyway.Internal(err)
	}
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		return versioned{what: "mcp server", query: `UPDATE mcp_servers SET name = $2, config = $3, expires_at = $4, is_active = $5,
				updated_at = $6, version = version + 1
			WHERE id = $1 AND version = $7`,
			args:   []any{m.ID, m.Name, string(config), millisOrNil(m.ExpiresAt), m.IsActive, m.UpdatedAt.Millis(), m.Version},
			exists: `SELECT 1 FROM mcp_servers WHERE id = $1`, key: m.ID, notFound: keyway.ErrMCPServerNotFound, version: &m.Version,
		}.run(ctx, tx)
	})
}
