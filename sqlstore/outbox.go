package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// write runs fn and records events in one transaction: a change and the
// events it emits commit together or not at all (the outbox).
func (s *Store) write(ctx context.Context, events []keyway.Event, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return keyway.Internal(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	for _, ev := range events {
		if err := s.emit(ctx, tx, ev); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return keyway.Internal(fmt.Errorf("commit: %w", err))
	}
	if len(events) > 0 {
		s.notifyEvents()
	}
	return nil
}

// notifyEvents tells OnEvents' function that a commit wrote events.
func (s *Store) notifyEvents() {
	if f := s.onEvents.Load(); f != nil {
		(*f)()
	}
}

// OnEvents sets a function called after each commit that wrote events, so
// this node's dispatcher can deliver them without waiting for its poll.
func (s *Store) OnEvents(f func()) { s.onEvents.Store(&f) }

// emit stores an event, sealed (its data may hold a key), and queues one
// delivery for every live webhook subscribed to its topic in its scope.
func (s *Store) emit(ctx context.Context, tx *sql.Tx, ev keyway.Event) error {
	return s.emitMany(ctx, tx, []keyway.Event{ev})
}

// Storing events takes two set-based statements whatever their number.
var (
	insertEvents = rowSetStatement{
		cols:  []string{"eid", "etopic", "eaccount", "eproject", "esubject", "esealed", "eat"},
		types: []colType{textCol, textCol, textCol, textCol, textCol, byteaCol, bigintCol},
		build: func(*query) string {
			return `INSERT INTO events (id, topic, account_id, project_id, subject_id, payload_sealed, created_at)
				SELECT eid, etopic, eaccount, eproject, esubject, esealed, eat FROM v`
		},
	}
	// queueDeliveries: an account-wide webhook hears the whole account, a
	// project webhook only its project. A delivery's id is derived from the
	// event and the webhook, so it is stable across retries and restarts.
	queueDeliveries = rowSetStatement{
		cols:  []string{"eid", "etopic", "eaccount", "eproject", "eat"},
		types: []colType{textCol, textCol, textCol, textCol, bigintCol},
		build: func(q *query) string {
			return `INSERT INTO deliveries (id, event_id, webhook_id, state, attempts, next_attempt_at, created_at, updated_at)
				SELECT v.eid || ':' || w.id, v.eid, w.id, 'pending', 0, v.eat, v.eat, v.eat
				FROM v JOIN webhooks w ON w.account_id = v.eaccount AND (w.project_id IS NULL OR w.project_id = v.eproject)
				JOIN webhook_topics t ON t.webhook_id = w.id AND t.topic = v.etopic
				WHERE w.is_active = ` + q.arg(true) + ` AND w.status = 'live'`
		},
	}
)

// eventScope is where an event is heard: its topic in its account and
// project.
type eventScope struct{ topic, account, project string }

// heardScopes selects, of the scopes in v, those a live webhook hears.
var heardScopes = rowSetStatement{
	cols:  []string{"etopic", "eaccount", "eproject"},
	types: []colType{textCol, textCol, textCol},
	build: func(q *query) string {
		return `SELECT DISTINCT v.etopic, v.eaccount, v.eproject
			FROM v JOIN webhooks w ON w.account_id = v.eaccount AND (w.project_id IS NULL OR w.project_id = v.eproject)
			JOIN webhook_topics t ON t.webhook_id = w.id AND t.topic = v.etopic
			WHERE w.is_active = ` + q.arg(true) + ` AND w.status = 'live'`
	},
}

// heard reports which of the scopes some live webhook is subscribed to, in
// one statement however many there are.
func (s *Store) heard(ctx context.Context, tx *sql.Tx, scopes map[eventScope]bool) error {
	rows := make([][]any, 0, len(scopes))
	for sc := range scopes {
		rows = append(rows, []any{sc.topic, sc.account, sc.project})
	}
	return heardScopes.query(ctx, s.d, tx, rows, func(r *sql.Rows) error {
		var sc eventScope
		if err := r.Scan(&sc.topic, &sc.account, &sc.project); err != nil {
			return err
		}
		scopes[sc] = true
		return nil
	})
}

// emitMany stores events, sealed (their data may hold a key), and queues
// their deliveries. An event no webhook hears is not stored: events are
// read only through their deliveries, and one without any would be a
// sealed copy of a key kept for nobody (a million first uses would be a
// million of them).
func (s *Store) emitMany(ctx context.Context, tx *sql.Tx, events []keyway.Event) error {
	if len(events) == 0 {
		return nil
	}
	scopes := map[eventScope]bool{}
	for _, ev := range events {
		scopes[eventScope{ev.Topic, ev.AccountID, ev.ProjectID}] = false
	}
	if err := s.heard(ctx, tx, scopes); err != nil {
		return keyway.Internal(fmt.Errorf("find webhooks for %s: %w", events[0].Topic, err))
	}
	var rows, refs [][]any
	for _, ev := range events {
		if !scopes[eventScope{ev.Topic, ev.AccountID, ev.ProjectID}] {
			continue
		}
		sealed := s.sealer.Seal(string(ev.Data), keycrypt.HashKey(ev.ID))
		at := ev.CreatedAt.Millis()
		rows = append(rows, []any{ev.ID, ev.Topic, ev.AccountID, ev.ProjectID, ev.SubjectID, sealed, at})
		refs = append(refs, []any{ev.ID, ev.Topic, ev.AccountID, ev.ProjectID, at})
	}
	if len(rows) == 0 {
		return nil
	}
	if err := insertEvents.exec(ctx, s.d, tx, rows); err != nil {
		return keyway.Internal(fmt.Errorf("emit %s: %w", events[0].Topic, err))
	}
	if err := queueDeliveries.exec(ctx, s.d, tx, refs); err != nil {
		return keyway.Internal(fmt.Errorf("queue deliveries of %s: %w", events[0].Topic, err))
	}
	return nil
}

// versioned is an update of one row that applies only to the version the
// caller read: its query bumps version and matches on it.
type versioned struct {
	what     string // for error messages
	query    string
	args     []any
	exists   string // SELECT 1 … WHERE <key> = $1
	key      any
	notFound error
	version  *int64
	// mapErr, if set, turns a driver error into a public one.
	mapErr func(error) error
}

func (u versioned) run(ctx context.Context, tx *sql.Tx) error {
	found, err := execOne(ctx, tx, u.query, u.args...)
	if err != nil {
		if u.mapErr != nil {
			return u.mapErr(err)
		}
		return keyway.Internal(fmt.Errorf("update %s: %w", u.what, err))
	}
	if !found {
		return staleOrMissing(ctx, tx, u.exists, u.key, u.notFound)
	}
	*u.version++
	return nil
}

// staleOrMissing explains an update that matched no row: the object is
// gone (notFound), or another request changed it since it was read.
func staleOrMissing(ctx context.Context, tx *sql.Tx, exists string, key any, notFound error) error {
	var one int
	err := tx.QueryRowContext(ctx, exists, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	if err != nil {
		return keyway.Internal(fmt.Errorf("check row: %w", err))
	}
	return keyway.ErrStale
}
