package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

var _ keyway.DeliveryStore = (*Store)(nil)

const webhookCols = `id, account_id, project_id, name, url, http_method, custom_headers, status,
	is_active, secret_sealed, created_by, created_by_type, failing_since, created_at, updated_at, failing_at`

const webhookSelect = webhookCols + `, version`

func (s *Store) webhookRow(w *keyway.Webhook) ([]any, error) {
	headers := w.CustomHeaders
	if headers == nil {
		headers = map[string]string{}
	}
	h, err := json.Marshal(headers)
	if err != nil {
		return nil, err
	}
	return []any{w.ID, w.AccountID, w.ProjectID, w.Name, w.URL, w.HTTPMethod, string(h), string(w.Status),
		w.IsActive, s.sealer.Seal(w.Secret.Reveal(), keycrypt.HashKey(w.ID)), w.CreatedBy, string(w.CreatedByType),
		millisOrNil(w.FailingSince), w.CreatedAt.Millis(), w.UpdatedAt.Millis(), millisOrNil(w.FailingAt)}, nil
}

// setTopics replaces a webhook's subscriptions.
func setTopics(ctx context.Context, tx *sql.Tx, id string, topics []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_topics WHERE webhook_id = $1`, id); err != nil {
		return err
	}
	for _, t := range topics {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_topics (webhook_id, topic) VALUES ($1, $2)
			ON CONFLICT (webhook_id, topic) DO NOTHING`, id, t); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) CreateWebhook(ctx context.Context, w *keyway.Webhook) error {
	args, err := s.webhookRow(w)
	if err != nil {
		return keyway.Internal(fmt.Errorf("create webhook: %w", err))
	}
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhooks (`+webhookCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, args...); err != nil {
			if constraintViolation(err) == foreignKeyViolation {
				return keyway.ErrProjectNotFound
			}
			return keyway.Internal(fmt.Errorf("create webhook: %w", err))
		}
		if err := setTopics(ctx, tx, w.ID, w.Topics); err != nil {
			return keyway.Internal(fmt.Errorf("create webhook topics: %w", err))
		}
		return nil
	})
}

// UpdateWebhook stores the caller-owned fields of w, topics included. The
// dispatcher-owned ones (failingSince, failingAt) are left alone: a
// caller's copy of them may be stale.
func (s *Store) UpdateWebhook(ctx context.Context, w *keyway.Webhook) error {
	headers := w.CustomHeaders
	if headers == nil {
		headers = map[string]string{}
	}
	h, err := json.Marshal(headers)
	if err != nil {
		return keyway.Internal(fmt.Errorf("update webhook: %w", err))
	}
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		err := versioned{what: "webhook " + w.ID, query: `UPDATE webhooks SET name = $2, url = $3, http_method = $4, custom_headers = $5,
			status = $6, is_active = $7, updated_at = $8, version = version + 1
			WHERE id = $1 AND version = $9`,
			args:   []any{w.ID, w.Name, w.URL, w.HTTPMethod, string(h), string(w.Status), w.IsActive, w.UpdatedAt.Millis(), w.Version},
			exists: `SELECT 1 FROM webhooks WHERE id = $1`, key: w.ID, notFound: keyway.ErrWebhookNotFound, version: &w.Version,
		}.run(ctx, tx)
		if err != nil {
			return err
		}
		if err := setTopics(ctx, tx, w.ID, w.Topics); err != nil {
			return keyway.Internal(fmt.Errorf("update webhook topics: %w", err))
		}
		return nil
	})
}

func (s *Store) Webhook(ctx context.Context, id string) (*keyway.Webhook, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+webhookSelect+` FROM webhooks WHERE id = $1`, id)
	w, _, err := s.scanWebhook(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrWebhookNotFound
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get webhook %s: %w", id, err))
	}
	if err := s.loadTopics(ctx, []*keyway.Webhook{w}); err != nil {
		return nil, err
	}
	return w, nil
}

// Webhooks lists the active webhooks of an account, oldest first.
func (s *Store) Webhooks(ctx context.Context, f keyway.WebhookFilter) ([]*keyway.Webhook, string, error) {
	var q query
	q.where("account_id = " + q.arg(f.AccountID))
	q.where("is_active = " + q.arg(true))
	if f.ProjectID != "" {
		q.where("project_id = " + q.arg(f.ProjectID))
	}
	if f.Topic != "" {
		q.where("id IN (SELECT webhook_id FROM webhook_topics WHERE topic = " + q.arg(f.Topic) + ")")
	}
	ws, next, err := list(ctx, s.r, "webhooks", `SELECT `+webhookSelect+` FROM webhooks`, &q, listOrder{tie: "id"}, f.Page, s.scanWebhook)
	if err != nil {
		return nil, "", err
	}
	if err := s.loadTopics(ctx, ws); err != nil {
		return nil, "", err
	}
	return ws, next, nil
}

func (s *Store) loadTopics(ctx context.Context, ws []*keyway.Webhook) error {
	for _, w := range ws {
		rows, err := s.r.QueryContext(ctx, `SELECT topic FROM webhook_topics WHERE webhook_id = $1`, w.ID)
		if err != nil {
			return keyway.Internal(fmt.Errorf("webhook topics: %w", err))
		}
		w.Topics = []string{}
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return keyway.Internal(fmt.Errorf("webhook topics: %w", err))
			}
			w.Topics = append(w.Topics, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return keyway.Internal(fmt.Errorf("webhook topics: %w", err))
		}
		w.Topics = keyway.NormalizeTopics(w.Topics)
	}
	return nil
}

func (s *Store) scanWebhook(row scanner) (*keyway.Webhook, position, error) {
	var (
		w                   keyway.Webhook
		headers, status, by string
		sealed              []byte
		failing, failingAt  sql.NullInt64
		created, updated    int64
	)
	if err := row.Scan(&w.ID, &w.AccountID, &w.ProjectID, &w.Name, &w.URL, &w.HTTPMethod, &headers, &status,
		&w.IsActive, &sealed, &w.CreatedBy, &by, &failing, &created, &updated, &failingAt, &w.Version); err != nil {
		return nil, position{}, err
	}
	secret, err := s.sealer.Open(sealed, keycrypt.HashKey(w.ID))
	if err != nil {
		return nil, position{}, fmt.Errorf("webhook %s: unseal secret: %w", w.ID, err)
	}
	w.Secret = keyway.WebhookSecret(secret)
	if err := json.Unmarshal([]byte(headers), &w.CustomHeaders); err != nil {
		return nil, position{}, fmt.Errorf("webhook %s: headers: %w", w.ID, err)
	}
	w.Status, w.CreatedByType = keyway.WebhookStatus(status), keyway.ActorType(by)
	w.FailingSince, w.FailingAt = timeOrNil(failing), timeOrNil(failingAt)
	w.CreatedAt, w.UpdatedAt = keyway.TimeFromMillis(created), keyway.TimeFromMillis(updated)
	return &w, position{createdAt: created, tie: w.ID}, nil
}

// deliveryView is a delivery with its event's topic, under unqualified
// column names so the shared list code can order and page it.
const deliveryView = `(SELECT d.id, d.webhook_id, d.event_id, e.topic, d.state, d.attempts, d.next_attempt_at,
	d.last_status, d.last_error, d.last_duration_ms, d.created_at, d.updated_at
	FROM deliveries d JOIN events e ON e.id = d.event_id) dv`

const deliveryCols = `id, webhook_id, event_id, topic, state, attempts, next_attempt_at,
	last_status, last_error, last_duration_ms, created_at, updated_at`

func scanDelivery(row scanner) (*keyway.Delivery, position, error) {
	var (
		d                keyway.Delivery
		state            string
		next             int64
		status, dur      sql.NullInt64
		lastErr          sql.NullString
		created, updated int64
	)
	if err := row.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Topic, &state, &d.Attempts, &next,
		&status, &lastErr, &dur, &created, &updated); err != nil {
		return nil, position{}, err
	}
	d.State = keyway.DeliveryState(state)
	if d.State == keyway.DeliveryPending {
		t := keyway.TimeFromMillis(next)
		d.NextAttemptAt = &t
	}
	if status.Valid {
		v := int(status.Int64)
		d.LastStatus = &v
	}
	if lastErr.Valid {
		d.LastError = &lastErr.String
	}
	if dur.Valid {
		d.LastDuration = &dur.Int64
	}
	d.CreatedAt, d.UpdatedAt = keyway.TimeFromMillis(created), keyway.TimeFromMillis(updated)
	return &d, position{createdAt: created, tie: d.ID}, nil
}

// Deliveries lists a webhook's deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, webhookID string, page keyway.Page) ([]*keyway.Delivery, string, error) {
	var q query
	q.where("webhook_id = " + q.arg(webhookID))
	return list(ctx, s.r, "deliveries", `SELECT `+deliveryCols+` FROM `+deliveryView,
		&q, listOrder{desc: true, tie: "id"}, page, scanDelivery)
}

// SubjectDeliveries lists the deliveries of the latest events about one
// object, newest first, at most limit: the events come from their subject
// index, at most limit of them, so a key changed a million times costs
// the same.
func (s *Store) SubjectDeliveries(ctx context.Context, subjectID string, limit int) ([]*keyway.Delivery, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryCols+` FROM (SELECT d.id, d.webhook_id, d.event_id, e.topic, d.state, d.attempts, d.next_attempt_at,
			d.last_status, d.last_error, d.last_duration_ms, d.created_at, d.updated_at
		FROM (SELECT id, topic FROM events WHERE subject_id = $1 AND subject_id <> '' ORDER BY created_at DESC LIMIT $2) e
		JOIN deliveries d ON d.event_id = e.id) dv
		ORDER BY created_at DESC, id DESC LIMIT $2`, subjectID, limit)
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("list deliveries of %s: %w", subjectID, err))
	}
	defer rows.Close()
	var out []*keyway.Delivery
	for rows.Next() {
		d, _, err := scanDelivery(rows)
		if err != nil {
			return nil, keyway.Internal(fmt.Errorf("list deliveries of %s: %w", subjectID, err))
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, keyway.Internal(fmt.Errorf("list deliveries of %s: %w", subjectID, err))
	}
	return out, nil
}

func (s *Store) Delivery(ctx context.Context, id string) (*keyway.Delivery, error) {
	return s.delivery(ctx, s.r, id)
}

func (s *Store) delivery(ctx context.Context, db *sql.DB, id string) (*keyway.Delivery, error) {
	row := db.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM `+deliveryView+` WHERE id = $1`, id)
	d, _, err := scanDelivery(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrDeliveryNotFound
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get delivery: %w", err))
	}
	return d, nil
}

// ClaimDeliveries leases due deliveries. The lease, not a lock held during
// the send, keeps two dispatchers off one delivery: a crash mid-send only
// delays the delivery until its lease ends, and then it is sent again
// (at least once).
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]keyway.DeliveryJob, error) {
	nowMs, until := now.UnixMilli(), now.Add(lease).UnixMilli()
	var ids []string
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET lease_until = $1 WHERE id IN (
			SELECT d.id FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
			WHERE d.state = 'pending' AND d.next_attempt_at <= $2
				AND (d.lease_until IS NULL OR d.lease_until <= $2)
				AND w.status = 'live' AND w.is_active = $3
			ORDER BY d.next_attempt_at LIMIT $4`+s.d.skipLocked+`
		) RETURNING id`, until, nowMs, true, limit)
		if err != nil {
			return keyway.Internal(fmt.Errorf("claim deliveries: %w", err))
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return keyway.Internal(fmt.Errorf("claim deliveries: %w", err))
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return keyway.Internal(fmt.Errorf("claim deliveries: %w", err))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	jobs := make([]keyway.DeliveryJob, 0, len(ids))
	for _, id := range ids {
		job, err := s.deliveryJob(ctx, id)
		if err != nil {
			// A delivery that cannot be read (say, sealed under another
			// secret) would come back at every lease and hold up its
			// batch: it fails for good, with the reason, instead.
			if ferr := s.failUnreadable(ctx, id, now); ferr != nil {
				return nil, errors.Join(err, ferr)
			}
			continue
		}
		jobs = append(jobs, job)
	}
	return jobs, nil
}

func (s *Store) failUnreadable(ctx context.Context, id string, now time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE deliveries SET state = 'failed', lease_until = NULL,
		last_error = 'the stored event or webhook could not be read', updated_at = $2 WHERE id = $1`, id, now.UnixMilli())
	if err != nil {
		return keyway.Internal(fmt.Errorf("fail unreadable delivery %s: %w", id, err))
	}
	return nil
}

// deliveryJob loads what sending a claimed delivery needs. It reads through
// the writer so it sees the claim it follows on every engine.
func (s *Store) deliveryJob(ctx context.Context, id string) (keyway.DeliveryJob, error) {
	d, err := s.delivery(ctx, s.w, id)
	if err != nil {
		return keyway.DeliveryJob{}, err
	}
	ev := keyway.Event{ID: d.EventID, Topic: d.Topic}
	var sealed []byte
	var created int64
	if err := s.w.QueryRowContext(ctx, `SELECT account_id, project_id, payload_sealed, created_at FROM events WHERE id = $1`, d.EventID).
		Scan(&ev.AccountID, &ev.ProjectID, &sealed, &created); err != nil {
		return keyway.DeliveryJob{}, keyway.Internal(fmt.Errorf("load event %s: %w", d.EventID, err))
	}
	data, err := s.sealer.Open(sealed, keycrypt.HashKey(ev.ID))
	if err != nil {
		return keyway.DeliveryJob{}, keyway.Internal(fmt.Errorf("event %s: unseal: %w", ev.ID, err))
	}
	ev.Data, ev.CreatedAt = json.RawMessage(data), keyway.TimeFromMillis(created)
	row := s.w.QueryRowContext(ctx, `SELECT `+webhookSelect+` FROM webhooks WHERE id = $1`, d.WebhookID)
	w, _, err := s.scanWebhook(row)
	if err != nil {
		return keyway.DeliveryJob{}, keyway.Internal(fmt.Errorf("load webhook %s: %w", d.WebhookID, err))
	}
	return keyway.DeliveryJob{Delivery: *d, Webhook: *w, Event: ev}, nil
}

// CompleteAttempt records an attempt and moves the delivery on, releasing
// its lease.
func (s *Store) CompleteAttempt(ctx context.Context, deliveryID string, r keyway.AttemptResult, state keyway.DeliveryState, next time.Time) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		// Counting the attempt in the row first locks it (PostgreSQL), so two
		// dispatchers finishing the same delivery (a lease that ran out
		// mid-send) number their attempts apart instead of colliding.
		ms := r.Duration.Milliseconds()
		var lastErr any
		if r.Error != "" {
			lastErr = r.Error
		}
		var attempts int
		err := tx.QueryRowContext(ctx, `UPDATE deliveries SET state = $2, attempts = attempts + 1, next_attempt_at = $3,
			lease_until = NULL, last_status = $4, last_error = $5, last_duration_ms = $6, updated_at = $7
			WHERE id = $1 RETURNING attempts`,
			deliveryID, string(state), next.UnixMilli(), r.Status, lastErr, ms, r.At.Millis()).Scan(&attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return keyway.ErrDeliveryNotFound
		}
		if err != nil {
			return keyway.Internal(fmt.Errorf("complete delivery: %w", err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_attempts (delivery_id, attempt, at, status, duration_ms, error)
			VALUES ($1, $2, $3, $4, $5, $6)`, deliveryID, attempts, r.At.Millis(), r.Status, ms, r.Error); err != nil {
			return keyway.Internal(fmt.Errorf("record attempt: %w", err))
		}
		// The webhook is failing from its first failed attempt after a
		// success, and healthy again at the next success.
		q := `UPDATE webhooks SET failing_since = COALESCE(failing_since, $2) WHERE id = (SELECT webhook_id FROM deliveries WHERE id = $1)`
		args := []any{deliveryID, r.At.Millis()}
		if r.OK {
			q = `UPDATE webhooks SET failing_since = NULL, failing_at = NULL WHERE id = (SELECT webhook_id FROM deliveries WHERE id = $1)`
			args = args[:1]
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return keyway.Internal(fmt.Errorf("webhook health: %w", err))
		}
		return nil
	})
}

// RetryDelivery makes a delivery due now, whatever state it reached.
func (s *Store) RetryDelivery(ctx context.Context, id string, now time.Time) error {
	return s.write(ctx, nil, func(tx *sql.Tx) error {
		found, err := execOne(ctx, tx, `UPDATE deliveries SET state = 'pending', next_attempt_at = $2, lease_until = NULL, updated_at = $2
			WHERE id = $1`, id, now.UnixMilli())
		if err != nil {
			return keyway.Internal(fmt.Errorf("retry delivery: %w", err))
		}
		if !found {
			return keyway.ErrDeliveryNotFound
		}
		return nil
	})
}

// DeliveryAttempts reads a delivery's attempts by its primary key, newest
// first.
func (s *Store) DeliveryAttempts(ctx context.Context, deliveryID string, limit int) ([]keyway.DeliveryAttempt, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT attempt, at, status, duration_ms, error FROM delivery_attempts
		WHERE delivery_id = $1 ORDER BY attempt DESC LIMIT $2`, deliveryID, limit)
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("delivery attempts: %w", err))
	}
	defer rows.Close()
	var out []keyway.DeliveryAttempt
	for rows.Next() {
		var a keyway.DeliveryAttempt
		var at int64
		if err := rows.Scan(&a.Attempt, &at, &a.Status, &a.DurationMs, &a.Error); err != nil {
			return nil, keyway.Internal(fmt.Errorf("delivery attempts: %w", err))
		}
		a.At = keyway.TimeFromMillis(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, keyway.Internal(fmt.Errorf("delivery attempts: %w", err))
	}
	return out, nil
}

// QueueTestDelivery stores a test event and its one delivery together, and
// wakes this node's dispatcher.
func (s *Store) QueueTestDelivery(ctx context.Context, ev keyway.Event, webhookID string) (*keyway.Delivery, error) {
	id := ev.ID + ":" + webhookID
	at := ev.CreatedAt.Millis()
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		sealed := s.sealer.Seal(string(ev.Data), keycrypt.HashKey(ev.ID))
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, topic, account_id, project_id, payload_sealed, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, ev.ID, ev.Topic, ev.AccountID, ev.ProjectID, sealed, at); err != nil {
			return keyway.Internal(fmt.Errorf("store test event: %w", err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, event_id, webhook_id, state, attempts, next_attempt_at, created_at, updated_at)
			VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4)`, id, ev.ID, webhookID, at); err != nil {
			if constraintViolation(err) == foreignKeyViolation {
				return keyway.ErrWebhookNotFound
			}
			return keyway.Internal(fmt.Errorf("queue test delivery: %w", err))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.notifyEvents()
	return s.delivery(ctx, s.w, id)
}

func timeOrNil(v sql.NullInt64) *keyway.Time {
	if !v.Valid {
		return nil
	}
	t := keyway.TimeFromMillis(v.Int64)
	return &t
}

// MarkWebhookFailing marks the webhook and writes the notification in one
// transaction; the condition on failing_at makes it happen once per
// failing spell, however many dispatchers race to it.
func (s *Store) MarkWebhookFailing(ctx context.Context, webhookID string, cutoff, now time.Time) (bool, error) {
	var marked bool
	err := s.write(ctx, nil, func(tx *sql.Tx) error {
		var err error
		marked, err = execOne(ctx, tx, `UPDATE webhooks SET failing_at = $3
			WHERE id = $1 AND failing_at IS NULL AND failing_since IS NOT NULL AND failing_since <= $2`,
			webhookID, cutoff.UnixMilli(), now.UnixMilli())
		if err != nil || !marked {
			return err
		}
		var name, url, accountID string
		var projectID sql.NullString
		var since int64
		if err := tx.QueryRowContext(ctx, `SELECT name, url, account_id, project_id, failing_since FROM webhooks WHERE id = $1`, webhookID).
			Scan(&name, &url, &accountID, &projectID, &since); err != nil {
			return err
		}
		n := &keyway.Notification{Type: "webhook.failing", Title: "Webhook failing: " + name,
			Message:   fmt.Sprintf("Deliveries to %s have failed since %s.", url, keyway.TimeFromMillis(since)),
			AccountID: accountID, CreatedAt: keyway.NewTime(now)}
		if projectID.Valid {
			n.ProjectID = &projectID.String
		}
		return insertNotification(ctx, tx, n)
	})
	if err != nil {
		return false, keyway.Internal(fmt.Errorf("mark webhook failing: %w", err))
	}
	return marked, nil
}

const notificationCols = `id, type, title, message, account_id, project_id, created_at, read_at`

func scanNotification(row scanner) (*keyway.Notification, position, error) {
	var n keyway.Notification
	var created int64
	var read sql.NullInt64
	if err := row.Scan(&n.ID, &n.Type, &n.Title, &n.Message, &n.AccountID, &n.ProjectID, &created, &read); err != nil {
		return nil, position{}, err
	}
	n.CreatedAt, n.ReadAt = keyway.TimeFromMillis(created), timeOrNil(read)
	return &n, position{createdAt: created, tie: n.ID}, nil
}

// Notifications lists the notifications the scopes cover, newest first.
func (s *Store) Notifications(ctx context.Context, scopes []keyway.NotificationScope, page keyway.Page) ([]*keyway.Notification, string, error) {
	var q query
	if len(scopes) == 0 {
		return []*keyway.Notification{}, "", nil
	}
	var ors []string
	for _, sc := range scopes {
		cond := "account_id = " + q.arg(sc.AccountID)
		switch {
		case sc.ProjectID == "":
		case sc.AccountWide:
			cond = "(" + cond + " AND (project_id IS NULL OR project_id = " + q.arg(sc.ProjectID) + "))"
		default:
			cond = "(" + cond + " AND project_id = " + q.arg(sc.ProjectID) + ")"
		}
		ors = append(ors, cond)
	}
	q.where("(" + strings.Join(ors, " OR ") + ")")
	return list(ctx, s.r, "notifications", `SELECT `+notificationCols+` FROM notifications`,
		&q, listOrder{desc: true, tie: "id"}, page, scanNotification)
}

func (s *Store) Notification(ctx context.Context, id string) (*keyway.Notification, error) {
	n, _, err := scanNotification(s.r.QueryRowContext(ctx, `SELECT `+notificationCols+` FROM notifications WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyway.ErrNotificationNotFound
	}
	if err != nil {
		return nil, keyway.Internal(fmt.Errorf("get notification: %w", err))
	}
	return n, nil
}

func (s *Store) MarkNotificationRead(ctx context.Context, id string, at keyway.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE notifications SET read_at = COALESCE(read_at, $2) WHERE id = $1`, id, at.Millis()); err != nil {
		return keyway.Internal(fmt.Errorf("mark notification read: %w", err))
	}
	return nil
}
