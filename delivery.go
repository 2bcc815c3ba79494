package keyway

import (
	"context"
	"time"
)

// DeliveryState is where a delivery stands.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed" // gave up
)

// Delivery is one event on its way to one webhook.
type Delivery struct {
	ID            string        `json:"id"`
	WebhookID     string        `json:"webhookId"`
	EventID       string        `json:"eventId"`
	Topic         string        `json:"topic"`
	State         DeliveryState `json:"state"`
	Attempts      int           `json:"attempts"`
	NextAttemptAt *Time         `json:"nextAttemptAt"`
	LastStatus    *int          `json:"lastStatus"`
	LastError     *string       `json:"lastError"`
	LastDuration  *int64        `json:"lastDurationMs"`
	CreatedAt     Time          `json:"createdAt"`
	UpdatedAt     Time          `json:"updatedAt"`
}

// DeliveryAttempt is one send of a delivery: when, the HTTP status (0
// when no answer came), how long it took and why it failed.
type DeliveryAttempt struct {
	Attempt    int    `json:"attempt"`
	At         Time   `json:"at"`
	Status     int    `json:"status"`
	DurationMs int64  `json:"durationMs"`
	Error      string `json:"error,omitempty"`
}

// MaxDeliveryAttemptsShown bounds the attempts read for one delivery.
const MaxDeliveryAttemptsShown = 100

// DeliveryJob is a claimed delivery with everything needed to send it.
type DeliveryJob struct {
	Delivery Delivery
	Webhook  Webhook
	Event    Event
}

// AttemptResult is the outcome of sending a delivery once.
type AttemptResult struct {
	At       Time
	Status   int // 0 when no HTTP answer came
	Duration time.Duration
	Error    string
	OK       bool
}

// DeliveryStore persists webhooks and the delivery queue.
type DeliveryStore interface {
	CreateWebhook(ctx context.Context, w *Webhook) error
	Webhook(ctx context.Context, id string) (*Webhook, error)
	Webhooks(ctx context.Context, f WebhookFilter) ([]*Webhook, string, error)
	UpdateWebhook(ctx context.Context, w *Webhook) error

	// ClaimDeliveries leases up to limit due deliveries of live webhooks
	// until now+lease; another node (or a restart) may take them after.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]DeliveryJob, error)
	// CompleteAttempt records one attempt and the delivery's new state;
	// next is when to try again (ignored unless state is pending).
	CompleteAttempt(ctx context.Context, deliveryID string, r AttemptResult, state DeliveryState, next time.Time) error
	Deliveries(ctx context.Context, webhookID string, page Page) ([]*Delivery, string, error)
	Delivery(ctx context.Context, id string) (*Delivery, error)
	// SubjectDeliveries lists the deliveries of the latest events about
	// one object (Event.SubjectID), newest first, at most limit of them.
	SubjectDeliveries(ctx context.Context, subjectID string, limit int) ([]*Delivery, error)
	// RetryDelivery makes a delivery pending and due at now.
	RetryDelivery(ctx context.Context, id string, now time.Time) error
	// DeliveryAttempts lists a delivery's attempts, newest first, at most
	// limit of them.
	DeliveryAttempts(ctx context.Context, deliveryID string, limit int) ([]DeliveryAttempt, error)
	// QueueTestDelivery stores ev for one webhook alone, whatever its
	// topics, and queues its delivery due at ev.CreatedAt (a "Send test").
	QueueTestDelivery(ctx context.Context, ev Event, webhookID string) (*Delivery, error)
	// Notifications lists the notifications any of the scopes covers,
	// newest first.
	Notifications(ctx context.Context, scopes []NotificationScope, page Page) ([]*Notification, string, error)
	Notification(ctx context.Context, id string) (*Notification, error)
	// MarkNotificationRead sets readAt once; later calls keep the first.
	MarkNotificationRead(ctx context.Context, id string, at Time) error
	// MarkWebhookFailing marks a webhook failing, with a notification for
	// its account, if its deliveries have failed since before cutoff and it
	// is not marked yet. It reports whether it marked it.
	MarkWebhookFailing(ctx context.Context, webhookID string, cutoff, now time.Time) (bool, error)
}

// ErrWebhookNotFound and ErrDeliveryNotFound keep their public wording here.
var (
	ErrWebhookNotFound      = Errorf(CodeNotFound, "Webhook not found")
	ErrDeliveryNotFound     = Errorf(CodeNotFound, "Delivery not found")
	ErrNotificationNotFound = Errorf(CodeNotFound, "Notification not found")
)
