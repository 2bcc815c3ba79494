-- People: users, their roles per account (optionally per project), and
-- refresh tokens, stored as digests and chained in families so a reused
-- token can revoke every token descended from the same login.

-- +goose Up
CREATE TABLE users (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

CREATE TABLE user_roles (
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    project_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    role       TEXT    NOT NULL,
    PRIMARY KEY (user_id, account_id, project_id)
);

CREATE TABLE refresh_tokens (
    digest     BYTEA   NOT NULL PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    family     TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT,
    created_at BIGINT  NOT NULL
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE user_roles;
DROP TABLE users;
