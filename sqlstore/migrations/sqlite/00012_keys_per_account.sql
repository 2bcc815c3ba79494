-- An API key string is unique within its account, not across accounts:
-- with global uniqueness, creating a key string another tenant holds
-- answered 409 and a fresh one 201, which let any tenant find out, and
-- take first, the key names of others. A key is now found by its digest
-- within the caller's account(s); key_hash stays SHA-256 of the key (the
-- sealed copies are bound to it), so every stored key verifies as before
-- and no key needs the sealing secret to move.
--
-- SQLite cannot drop a column's UNIQUE, so the table is rebuilt: one
-- INSERT … SELECT (set-based; nothing references api_keys), with the
-- same columns, in the same order, and the same indexes.

-- +goose Up
CREATE TABLE api_keys_new (
    id                TEXT    NOT NULL PRIMARY KEY,
    key_hash          BLOB    NOT NULL,
    key_sealed        BLOB    NOT NULL,
    account_id        TEXT    NOT NULL,
    project_id        TEXT    NOT NULL REFERENCES projects (id),
    env               TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    name_lower        TEXT    NOT NULL,
    custom_meta_data  TEXT    NOT NULL DEFAULT '{}',
    custom_account_id TEXT,
    custom_user_id    TEXT,
    is_active         INTEGER NOT NULL,
    expires_at        INTEGER,
    rate_limit        INTEGER,
    rate_limit_ttl    INTEGER,
    allowed_domains   TEXT    NOT NULL DEFAULT '[]',
    creation_context  TEXT    NOT NULL DEFAULT '{}',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    first_used_at     INTEGER,
    last_used_at      INTEGER,
    version           INTEGER NOT NULL DEFAULT 0,
    expiry_noticed    INTEGER
) STRICT;
INSERT INTO api_keys_new SELECT id, key_hash, key_sealed, account_id, project_id, env, name, name_lower,
    custom_meta_data, custom_account_id, custom_user_id, is_active, expires_at, rate_limit, rate_limit_ttl,
    allowed_domains, creation_context, created_at, updated_at, first_used_at, last_used_at, version, expiry_noticed
    FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
CREATE UNIQUE INDEX api_keys_by_key ON api_keys (key_hash, account_id);
CREATE INDEX api_keys_list ON api_keys (project_id, is_active, created_at DESC, id DESC);
CREATE INDEX api_keys_expiring ON api_keys (expires_at) WHERE expires_at IS NOT NULL AND is_active = 1;

-- +goose Down
-- Fails while one key string exists in two accounts.
CREATE TABLE api_keys_old (
    id                TEXT    NOT NULL PRIMARY KEY,
    key_hash          BLOB    NOT NULL UNIQUE,
    key_sealed        BLOB    NOT NULL,
    account_id        TEXT    NOT NULL,
    project_id        TEXT    NOT NULL REFERENCES projects (id),
    env               TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    name_lower        TEXT    NOT NULL,
    custom_meta_data  TEXT    NOT NULL DEFAULT '{}',
    custom_account_id TEXT,
    custom_user_id    TEXT,
    is_active         INTEGER NOT NULL,
    expires_at        INTEGER,
    rate_limit        INTEGER,
    rate_limit_ttl    INTEGER,
    allowed_domains   TEXT    NOT NULL DEFAULT '[]',
    creation_context  TEXT    NOT NULL DEFAULT '{}',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    first_used_at     INTEGER,
    last_used_at      INTEGER,
    version           INTEGER NOT NULL DEFAULT 0,
    expiry_noticed    INTEGER
) STRICT;
INSERT INTO api_keys_old SELECT id, key_hash, key_sealed, account_id, project_id, env, name, name_lower,
    custom_meta_data, custom_account_id, custom_user_id, is_active, expires_at, rate_limit, rate_limit_ttl,
    allowed_domains, creation_context, created_at, updated_at, first_used_at, last_used_at, version, expiry_noticed
    FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_old RENAME TO api_keys;
CREATE INDEX api_keys_list ON api_keys (project_id, is_active, created_at DESC, id DESC);
CREATE INDEX api_keys_expiring ON api_keys (expires_at) WHERE expires_at IS NOT NULL AND is_active = 1;
