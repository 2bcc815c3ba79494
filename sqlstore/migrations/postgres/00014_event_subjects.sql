-- The object an event is about (an API key's id; '' for the others), so
-- a key's page lists the deliveries of its own events from an index
-- instead of unsealing every event of its project. Events stored before
-- this have no subject and are not listed there; their deliveries stay in
-- each webhook's log.

-- Deliveries are found by their event: a key's events, then what each
-- webhook made of them.

-- +goose Up
ALTER TABLE events ADD COLUMN subject_id TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX events_subject ON events (subject_id, created_at) WHERE subject_id <> '';
CREATE INDEX deliveries_event ON deliveries (event_id);

-- +goose Down
DROP INDEX deliveries_event;
DROP INDEX events_subject;
ALTER TABLE events DROP COLUMN subject_id;
