-- A project's key rows of one bucket or two (the hour or the day still
-- being counted), found without reading the project's whole history: the
-- ranking of keys re-reads only those on each view and keeps the rest
-- (service/keyranks.go). Bucket counts are not in the index, so the
-- flush's updates of them leave it alone. It holds key rows alone: a
-- read of a project's own rows, or of some keys' rows, then never takes
-- it for the primary key (SQLite, without statistics, would).

-- +goose Up
CREATE INDEX usage_hour_project_at ON usage_hour (project_id, at) WHERE key_id <> '';
CREATE INDEX usage_day_project_at ON usage_day (project_id, at) WHERE key_id <> '';

-- +goose Down
DROP INDEX usage_day_project_at;
DROP INDEX usage_hour_project_at;
