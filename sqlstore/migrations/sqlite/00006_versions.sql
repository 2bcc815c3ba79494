-- A version per mutable row: an update applies only to the version it read,
-- so two requests changing one object at once cannot undo each other (a
-- rename racing a revocation must not bring the key back).

-- +goose Up
ALTER TABLE accounts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE access_keys ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE webhooks DROP COLUMN version;
ALTER TABLE api_keys DROP COLUMN version;
ALTER TABLE access_keys DROP COLUMN version;
ALTER TABLE projects DROP COLUMN version;
ALTER TABLE accounts DROP COLUMN version;
