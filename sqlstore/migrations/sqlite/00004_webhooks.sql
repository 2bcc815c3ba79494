-- Webhooks, the event outbox and the delivery queue. An event is written in
-- the same transaction as the change that causes it, together with one
-- delivery per subscribed webhook; dispatchers claim due deliveries with a
-- lease. Event payloads and webhook secrets are sealed like keys.

-- +goose Up
CREATE TABLE webhooks (
    id              TEXT NOT NULL PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    project_id      TEXT REFERENCES projects (id),
    name            TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    http_method     TEXT    NOT NULL,
    custom_headers  TEXT    NOT NULL DEFAULT '{}',
    status          TEXT    NOT NULL,
    is_active       INTEGER NOT NULL,
    secret_sealed   BLOB   NOT NULL,
    created_by      TEXT    NOT NULL DEFAULT '',
    created_by_type TEXT    NOT NULL DEFAULT '',
    failing_since   INTEGER,
    created_at      INTEGER  NOT NULL,
    updated_at      INTEGER  NOT NULL
) STRICT;

CREATE INDEX webhooks_account ON webhooks (account_id, created_at, id);

CREATE TABLE webhook_topics (
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    topic      TEXT NOT NULL,
    PRIMARY KEY (webhook_id, topic)
) STRICT;

CREATE INDEX webhook_topics_topic ON webhook_topics (topic, webhook_id);

CREATE TABLE events (
    id             TEXT NOT NULL PRIMARY KEY,
    topic          TEXT    NOT NULL,
    account_id     TEXT    NOT NULL,
    project_id     TEXT    NOT NULL DEFAULT '',
    payload_sealed BLOB   NOT NULL,
    created_at     INTEGER  NOT NULL
) STRICT;

CREATE TABLE deliveries (
    id               TEXT NOT NULL PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES events (id),
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id),
    state            TEXT    NOT NULL,
    attempts         INTEGER  NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER  NOT NULL,
    lease_until      INTEGER,
    last_status      INTEGER,
    last_error       TEXT,
    last_duration_ms INTEGER,
    created_at       INTEGER  NOT NULL,
    updated_at       INTEGER  NOT NULL
) STRICT;

CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at DESC, id DESC);

CREATE TABLE delivery_attempts (
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    attempt     INTEGER  NOT NULL,
    at          INTEGER  NOT NULL,
    status      INTEGER  NOT NULL,
    duration_ms INTEGER  NOT NULL,
    error       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
) STRICT;

-- +goose Down
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE webhook_topics;
DROP TABLE webhooks;
