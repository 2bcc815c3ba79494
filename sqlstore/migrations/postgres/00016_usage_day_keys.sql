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
    at           BIGINT  NOT NULL,
    successful   BIGINT  NOT NULL,
    failed       BIGINT  NOT NULL,
    rate_limited BIGINT  NOT NULL,
    keys         BYTEA   NOT NULL,
    PRIMARY KEY (project_id, at)
);
-- Out of line but not compressed: a first view of 30 days reads 30 of
-- them, megabytes, which it would decompress each time, and varints of
-- counts compress little.
ALTER TABLE usage_day_keys ALTER COLUMN keys SET STORAGE EXTERNAL;
-- The projects' own day rows by time, to find the days to summarize.
CREATE INDEX usage_day_projects_at ON usage_day (at, project_id) WHERE key_id = '';

-- +goose Down
DROP INDEX usage_day_projects_at;
DROP TABLE usage_day_keys;
