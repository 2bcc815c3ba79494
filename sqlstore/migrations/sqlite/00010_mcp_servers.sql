-- MCP servers: tokens (stored as digests) for AI agents, with the tools
-- they may run and the account or project they act in.

-- +goose Up
CREATE TABLE mcp_servers (
    id              TEXT NOT NULL PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    project_id      TEXT REFERENCES projects (id),
    name            TEXT    NOT NULL,
    token_hash      BLOB    NOT NULL UNIQUE,
    config          TEXT    NOT NULL,
    expires_at      INTEGER,
    is_active       INTEGER NOT NULL,
    created_by      TEXT    NOT NULL,
    created_by_type TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX mcp_servers_account ON mcp_servers (account_id, created_at, id);

-- +goose Down
DROP TABLE mcp_servers;
