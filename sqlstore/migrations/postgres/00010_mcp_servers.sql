-- MCP servers: tokens (stored as digests) for AI agents, with the tools
-- they may run and the account or project they act in.

-- +goose Up
CREATE TABLE mcp_servers (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id      TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    project_id      TEXT COLLATE "C" REFERENCES projects (id),
    name            TEXT    NOT NULL,
    token_hash      BYTEA   NOT NULL UNIQUE,
    config          TEXT    NOT NULL,
    expires_at      BIGINT,
    is_active       BOOLEAN NOT NULL,
    created_by      TEXT    NOT NULL,
    created_by_type TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    version         BIGINT  NOT NULL DEFAULT 0
);

CREATE INDEX mcp_servers_account ON mcp_servers (account_id, created_at, id);

-- +goose Down
DROP TABLE mcp_servers;
