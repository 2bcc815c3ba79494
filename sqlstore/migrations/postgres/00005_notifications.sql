-- Notifications for people (shown by a later release's GET /notifications),
-- and when a webhook was marked failing.

-- +goose Up
CREATE TABLE notifications (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    type       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    project_id TEXT,
    created_at BIGINT  NOT NULL,
    read_at    BIGINT
);

CREATE INDEX notifications_account ON notifications (account_id, created_at);

ALTER TABLE webhooks ADD COLUMN failing_at BIGINT;

-- +goose Down
ALTER TABLE webhooks DROP COLUMN failing_at;
DROP TABLE notifications;
