-- People: users, their roles per account (optionally per project), and
-- refresh tokens, stored as digests and chained in families so a reused
-- token can revoke every token descended from the same login.

-- +goose Up
CREATE TABLE users (
    id            TEXT NOT NULL PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER  NOT NULL,
    updated_at    INTEGER  NOT NULL
) STRICT;

CREATE TABLE user_roles (
    user_id    TEXT NOT NULL REFERENCES users (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    project_id TEXT NOT NULL DEFAULT '',
    role       TEXT    NOT NULL,
    PRIMARY KEY (user_id, account_id, project_id)
) STRICT;

CREATE TABLE refresh_tokens (
    digest     BLOB   NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    family     TEXT NOT NULL,
    expires_at INTEGER  NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER,
    created_at INTEGER  NOT NULL
) STRICT;

CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE user_roles;
DROP TABLE users;
