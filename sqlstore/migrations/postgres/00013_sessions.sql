-- Dashboard sessions and the first-run setup link. Both are found by the
-- SHA-256 of their token; the tokens themselves are never stored. A
-- session is tied to a refresh-token family (refresh_tokens.family): a
-- revoked family ends it. Ended sessions are deleted, not marked; expired
-- ones are deleted a bounded number at a time as sessions start.

-- +goose Up
CREATE TABLE sessions (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    digest       BYTEA NOT NULL UNIQUE,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    family       TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

-- One row per bootstrapped account at most; used_at set once, by the
-- completion that wins.
CREATE TABLE setup_tokens (
    digest     BYTEA NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- refresh_tokens had no index by user: a password change revokes every
-- token of one user.
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- +goose Down
DROP INDEX refresh_tokens_user;
DROP TABLE setup_tokens;
DROP TABLE sessions;
