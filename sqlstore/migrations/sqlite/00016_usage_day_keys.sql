-- Each closed day of a project, its keys' totals in one row: the ranking
-- of keys over a window reads a row per day instead of a row per key and
-- day (10,000 keys used daily are 300,000 rows for 30 days). The rows are
-- a copy of usage_day, made after the day ends (sqlstore/usage_summary.go),
-- and each holds the project's own totals of that day as they were when
-- it was made: a read uses it only while they still match, so a count
-- that arrives late is never missed. Nothing but that job writes here,
-- and losing the table loses nothing.

-- +goose Up
CREATE TABLE usage_day_keys (
    project_id   TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    successful   INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    rate_limited INTEGER NOT NULL,
    keys         BLOB    NOT NULL,
    PRIMARY KEY (project_id, at)
) STRICT;
-- The projects' own day rows by time, to find the days to summarize.
CREATE INDEX usage_day_projects_at ON usage_day (at, project_id) WHERE key_id = '';
-- The day still being counted is read on every view of a ranking, and
-- the day just ended once, to summarize it: 10,000 rows a day for 10,000
-- busy keys, each a lookup in the table when the counts are not in the
-- index (most of the view's time). In it, they cost each flush an index
-- update per key row, which SQLite's single writer, in a flush a few
-- seconds long every ten, can pay. (PostgreSQL reads them fast enough
-- without, and keeps its updates of them in place, HOT, only while no
-- index holds them.)
DROP INDEX usage_day_project_at;
CREATE INDEX usage_day_project_at ON usage_day (project_id, at, successful, failed, rate_limited) WHERE key_id <> '';

-- +goose Down
DROP INDEX usage_day_project_at;
CREATE INDEX usage_day_project_at ON usage_day (project_id, at) WHERE key_id <> '';
DROP INDEX usage_day_projects_at;
DROP TABLE usage_day_keys;
