-- Usage at three resolutions: per minute (kept briefly), per hour and per
-- day (kept long). The verifier's flush adds each batch to all three in one
-- transaction, so each level is exact on its own and a year read by month
-- touches day rows only. A row with key_id '' sums its project; one with
-- project_id '' and key_id '' counts an account's verifications of keys
-- that do not exist (or not for the caller). Hourly totals recorded so far
-- move over.

-- On SQLite the bucket tables are WITHOUT ROWID: rows are stored in key
-- order, so ranking a project's keys over a year reads them in sequence
-- instead of looking each one up from the index (about 11 s down to 1 s
-- for 10,000 keys, BENCHMARKS.md).

-- +goose Up
CREATE TABLE usage_minute (
    project_id   TEXT    NOT NULL,
    key_id       TEXT    NOT NULL,
    account_id   TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    successful   INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    rate_limited INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, key_id, account_id, at)
) STRICT, WITHOUT ROWID;
CREATE TABLE usage_hour (
    project_id   TEXT    NOT NULL,
    key_id       TEXT    NOT NULL,
    account_id   TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    successful   INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    rate_limited INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, key_id, account_id, at)
) STRICT, WITHOUT ROWID;
CREATE TABLE usage_day (
    project_id   TEXT    NOT NULL,
    key_id       TEXT    NOT NULL,
    account_id   TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    successful   INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    rate_limited INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, key_id, account_id, at)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_minute_at ON usage_minute (at);
CREATE INDEX usage_hour_at ON usage_hour (at);

INSERT INTO usage_hour (project_id, key_id, account_id, at, successful, failed, rate_limited)
SELECT project_id, key_id, account_id, hour, successful, failed, rate_limited FROM usage_hourly;
INSERT INTO usage_hour (project_id, key_id, account_id, at, successful, failed, rate_limited)
SELECT project_id, '', account_id, hour, SUM(successful), SUM(failed), SUM(rate_limited) FROM usage_hourly
GROUP BY project_id, account_id, hour;
INSERT INTO usage_day (project_id, key_id, account_id, at, successful, failed, rate_limited)
SELECT project_id, key_id, account_id, at - at % 86400000, SUM(successful), SUM(failed), SUM(rate_limited) FROM usage_hour
GROUP BY project_id, key_id, account_id, at - at % 86400000;
DROP TABLE usage_hourly;

-- +goose Down
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
INSERT INTO usage_hourly (key_id, hour, project_id, account_id, successful, failed, rate_limited)
SELECT key_id, at, project_id, account_id, successful, failed, rate_limited FROM usage_hour WHERE key_id <> '';
DROP TABLE usage_day;
DROP TABLE usage_hour;
DROP TABLE usage_minute;
