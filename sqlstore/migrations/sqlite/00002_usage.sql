-- Verification outcomes per key and hour, added to in batches by the
-- verifier's flush; first and last successful use live on the key.

-- +goose Up
CREATE TABLE usage_hourly (
    key_id       TEXT    NOT NULL,
    hour         INTEGER NOT NULL,
    project_id   TEXT    NOT NULL,
    account_id   TEXT    NOT NULL,
    successful   INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    rate_limited INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, hour)
) STRICT;

CREATE INDEX usage_hourly_project ON usage_hourly (project_id, hour);

ALTER TABLE api_keys ADD COLUMN first_used_at INTEGER;
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;

-- +goose Down
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE api_keys DROP COLUMN first_used_at;
DROP TABLE usage_hourly;
