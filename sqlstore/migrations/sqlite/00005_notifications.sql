-- Notifications for people (shown by a later release's GET /notifications),
-- and when a webhook was marked failing.

-- +goose Up
CREATE TABLE notifications (
    id         TEXT NOT NULL PRIMARY KEY,
    type       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    account_id TEXT NOT NULL,
    project_id TEXT,
    created_at INTEGER  NOT NULL,
    read_at    INTEGER
) STRICT;

CREATE INDEX notifications_account ON notifications (account_id, created_at);

ALTER TABLE webhooks ADD COLUMN failing_at INTEGER;

-- +goose Down
ALTER TABLE webhooks DROP COLUMN failing_at;
DROP TABLE notifications;
