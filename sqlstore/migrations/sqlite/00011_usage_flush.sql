-- Usage chunks recorded: a flush writes its counts in chunks, each in one
-- transaction that also inserts its id here. A flusher that lost the
-- answer to a commit inserts the same id itself: finding it taken means the
-- chunk counted; taking it means the chunk did not and never will, so the
-- counts go back to be retried without ever counting twice. Ids are pruned
-- after a day.

-- +goose Up
CREATE TABLE usage_chunks (
    id TEXT    NOT NULL PRIMARY KEY,
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX usage_chunks_at ON usage_chunks (at);

-- +goose Down
DROP TABLE usage_chunks;
