-- Invitations to join an account, one-time sign-in codes (stored as keyed
-- digests), and the expiry an API key's owners were last told about, so the
-- periodic expiry notice is written once per expiry however many nodes run
-- the job.

-- +goose Up
CREATE TABLE invitations (
    id              TEXT NOT NULL PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    email           TEXT    NOT NULL,
    project_ids     TEXT    NOT NULL DEFAULT '[]',
    role            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    invited_by      TEXT    NOT NULL,
    invited_by_type TEXT    NOT NULL,
    inviter_name    TEXT    NOT NULL,
    accepted_by     TEXT,
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

-- One pending invitation per address and account.
CREATE UNIQUE INDEX invitations_pending ON invitations (account_id, email) WHERE status = 'pending';
CREATE INDEX invitations_list ON invitations (account_id, created_at, id);

CREATE TABLE login_codes (
    digest     BLOB    NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    created_at INTEGER NOT NULL
) STRICT;

ALTER TABLE api_keys ADD COLUMN expiry_noticed INTEGER;
CREATE INDEX api_keys_expiring ON api_keys (expires_at) WHERE expires_at IS NOT NULL AND is_active = 1;

-- +goose Down
DROP INDEX api_keys_expiring;
ALTER TABLE api_keys DROP COLUMN expiry_noticed;
DROP TABLE login_codes;
DROP TABLE invitations;
