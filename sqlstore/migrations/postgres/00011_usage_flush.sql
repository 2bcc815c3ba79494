-- Usage chunks recorded: a flush writes its counts in chunks, each in one
-- transaction that also inserts its id here. A flusher that lost the
-- answer to a commit inserts the same id itself: finding it taken means the
-- chunk counted; taking it means the chunk did not and never will, so the
-- counts go back to be retried without ever counting twice. Ids are pruned
-- after a day.
--
-- The flush also rewrites rows in place: each usage bucket it adds to, and
-- each key's first and last use. Leaving room in every page lets
-- PostgreSQL keep a row's new version on its page (a HOT update) without
-- touching the indexes, which on a full page it cannot. This applies to
-- pages written from now on.

-- +goose Up
CREATE TABLE usage_chunks (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    at BIGINT            NOT NULL
);
CREATE INDEX usage_chunks_at ON usage_chunks (at);
ALTER TABLE api_keys SET (fillfactor = 80);
ALTER TABLE usage_minute SET (fillfactor = 70);
ALTER TABLE usage_hour SET (fillfactor = 70);
ALTER TABLE usage_day SET (fillfactor = 70);

-- +goose Down
ALTER TABLE usage_day RESET (fillfactor);
ALTER TABLE usage_hour RESET (fillfactor);
ALTER TABLE usage_minute RESET (fillfactor);
ALTER TABLE api_keys RESET (fillfactor);
DROP TABLE usage_chunks;
