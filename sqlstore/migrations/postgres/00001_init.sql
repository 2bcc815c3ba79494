-- Times are epoch milliseconds, as in SQLite, so both engines share one Go
-- code path. Identifiers use the "C" collation: they are ASCII, and a
-- byte-order comparison keeps keyset pagination cheap and engine-independent.
-- No column holds a plaintext key: keys are found by their SHA-256
-- (key_hash) and shown again from an AES-GCM sealed copy (key_sealed).

-- +goose Up
CREATE TABLE accounts (
    id                   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name                 TEXT    NOT NULL,
    is_active            BOOLEAN NOT NULL,
    created_by           TEXT    NOT NULL DEFAULT '',
    created_by_type      TEXT    NOT NULL DEFAULT '',
    created_in           TEXT    NOT NULL DEFAULT '',
    last_changed_by      TEXT    NOT NULL DEFAULT '',
    last_changed_by_type TEXT    NOT NULL DEFAULT '',
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL
);

CREATE TABLE projects (
    id                   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id           TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name                 TEXT    NOT NULL,
    env                  TEXT    NOT NULL,
    is_active            BOOLEAN NOT NULL,
    created_by           TEXT    NOT NULL DEFAULT '',
    created_by_type      TEXT    NOT NULL DEFAULT '',
    created_in           TEXT    NOT NULL DEFAULT '',
    last_changed_by      TEXT    NOT NULL DEFAULT '',
    last_changed_by_type TEXT    NOT NULL DEFAULT '',
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL
);

CREATE INDEX projects_by_account ON projects (account_id, created_at, id);

CREATE TABLE access_keys (
    key_hash       BYTEA   NOT NULL PRIMARY KEY,
    key_sealed     BYTEA   NOT NULL,
    name           TEXT    NOT NULL,
    account_id     TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    project_id     TEXT COLLATE "C" REFERENCES projects (id),
    is_active      BOOLEAN NOT NULL,
    rate_limit     BIGINT,
    rate_limit_ttl BIGINT,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);

CREATE INDEX access_keys_by_account ON access_keys (account_id, created_at DESC, key_hash DESC);
CREATE INDEX access_keys_by_project ON access_keys (project_id, created_at DESC, key_hash DESC);

CREATE TABLE api_keys (
    id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    key_hash          BYTEA   NOT NULL UNIQUE,
    key_sealed        BYTEA   NOT NULL,
    account_id        TEXT COLLATE "C" NOT NULL,
    project_id        TEXT COLLATE "C" NOT NULL REFERENCES projects (id),
    env               TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    name_lower        TEXT    NOT NULL,
    custom_meta_data  TEXT    NOT NULL DEFAULT '{}',
    custom_account_id TEXT,
    custom_user_id    TEXT,
    is_active         BOOLEAN NOT NULL,
    expires_at        BIGINT,
    rate_limit        BIGINT,
    rate_limit_ttl    BIGINT,
    allowed_domains   TEXT    NOT NULL DEFAULT '[]',
    creation_context  TEXT    NOT NULL DEFAULT '{}',
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);

CREATE INDEX api_keys_list ON api_keys (project_id, is_active, created_at DESC, id DESC);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE access_keys;
DROP TABLE projects;
DROP TABLE accounts;
