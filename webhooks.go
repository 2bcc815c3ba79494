package keyway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Topics are the events a webhook can subscribe to (GET /webhooks/topics).
var Topics = []string{
	TopicAPIKeyCreated, TopicAPIKeyUpdated, TopicAPIKeyDeleted, TopicAPIKeyFirstUsed,
	TopicAPIKeyRotated, TopicAPIKeyReactivated,
	TopicAccessKeyCreated, TopicAccessKeyUpdated, TopicAccessKeyDeleted,
	TopicProjectUpdated,
}

const (
	TopicAPIKeyCreated     = "api-key.created"
	TopicAPIKeyUpdated     = "api-key.updated"
	TopicAPIKeyDeleted     = "api-key.deleted"
	TopicAPIKeyFirstUsed   = "api-key.firstUsed"
	TopicAPIKeyRotated     = "api-key.rotated"
	TopicAPIKeyReactivated = "api-key.reactivated"
	TopicAccessKeyCreated  = "access-key.created"
	TopicAccessKeyUpdated  = "access-key.updated"
	TopicAccessKeyDeleted  = "access-key.deleted"
	TopicProjectUpdated    = "project.updated"
)

// Event is one lifecycle change, stored with the change that caused it
// (the outbox) and delivered to every webhook subscribed to its topic in
// its account (and project, for project-level webhooks).
type Event struct {
	ID        string
	Topic     string
	AccountID string
	// ProjectID is "" for account-wide objects (an account-level access key).
	ProjectID string
	// Data is the JSON of the object the event is about.
	Data      json.RawMessage
	CreatedAt Time
}

// WebhookStatus pauses or resumes deliveries.
type WebhookStatus string

const (
	WebhookLive   WebhookStatus = "live"
	WebhookPaused WebhookStatus = "paused"
)

// Webhook is a subscription of a URL to topics.
type Webhook struct {
	Version       int64             `json:"-"`
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	URL           string            `json:"url"`
	HTTPMethod    string            `json:"httpMethod"`
	Topics        []string          `json:"topics"`
	AccountID     string            `json:"accountId"`
	ProjectID     *string           `json:"projectId"`
	CustomHeaders map[string]string `json:"customHeaders"`
	Status        WebhookStatus     `json:"status"`
	IsActive      bool              `json:"isActive"`
	// Secret signs deliveries; it is stored sealed and shown to callers
	// who can read the webhook, as the original does.
	Secret        string    `json:"secret"`
	CreatedBy     string    `json:"createdBy"`
	CreatedByType ActorType `json:"createdByType"`
	// FailingSince is set while deliveries keep failing; FailingAt once
	// they have failed long enough to count as failing (and notify).
	FailingSince *Time `json:"failingSince"`
	FailingAt    *Time `json:"failingAt"`
	CreatedAt    Time  `json:"createdAt"`
	UpdatedAt    Time  `json:"updatedAt"`
}

// Subscribed reports whether the webhook wants events of topic.
func (w *Webhook) Subscribed(topic string) bool { return slices.Contains(w.Topics, topic) }

// WebhookMethods are the HTTP methods a delivery may use.
var WebhookMethods = []string{"POST", "PUT", "PATCH"}

// Limits on a webhook.
const (
	MaxWebhookURLLen     = 2048
	MaxCustomHeaders     = 20
	MaxCustomHeaderBytes = 4096
)

func (p *problems) webhookURL(v string) {
	u, err := url.Parse(v)
	switch {
	case v == "":
		p.add("url should not be empty")
	case len(v) > MaxWebhookURLLen:
		p.add("url must be shorter than or equal to %d characters", MaxWebhookURLLen)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.add("url must be an http or https URL")
	case u.User != nil:
		p.add("url must not contain credentials")
	}
}

func (p *problems) topics(v []string) {
	if len(v) == 0 {
		p.add("topics should not be empty")
		return
	}
	for _, t := range v {
		if !slices.Contains(Topics, t) {
			p.add("topics must contain only known topics (GET /webhooks/topics), got %q", truncate(t, 64))
		}
	}
}

func (p *problems) method(v string) {
	if !slices.Contains(WebhookMethods, v) {
		p.add("httpMethod must be one of the following values: %s", strings.Join(WebhookMethods, ", "))
	}
}

func (p *problems) headers(field string, h map[string]string) {
	if len(h) > MaxCustomHeaders {
		p.add("%s must contain no more than %d headers", field, MaxCustomHeaders)
		return
	}
	size := 0
	for k, v := range h {
		size += len(k) + len(v)
		if !validHeaderName(k) || strings.ContainsAny(v, "\r\n\x00") {
			p.add("%s must contain valid HTTP header names and values, got %q", field, truncate(k, 64))
		} else if ReservedWebhookHeader(k) {
			p.add("%s must not set %s, which every delivery sets itself", field, k)
		}
	}
	if size > MaxCustomHeaderBytes {
		p.add("%s must be smaller than %d bytes", field, MaxCustomHeaderBytes)
	}
}

// reservedWebhookHeaders are header names a delivery sets itself (its
// identity and signature) or that frame the message; a webhook's custom
// headers may not set them.
var reservedWebhookHeaders = map[string]bool{
	"content-type": true, "user-agent": true,
	"theauthapi-signature": true, "webhook-id": true, "webhook-timestamp": true, "webhook-signature": true,
	"host": true, "content-length": true, "transfer-encoding": true, "connection": true,
	"keep-alive": true, "proxy-connection": true, "te": true, "trailer": true, "upgrade": true,
}

// ReservedWebhookHeader reports whether a custom header may not use name.
func ReservedWebhookHeader(name string) bool { return reservedWebhookHeaders[strings.ToLower(name)] }

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func normalizeMethod(m string) string { return strings.ToUpper(strings.TrimSpace(m)) }

// WebhookCreate is the body of POST /webhooks.
type WebhookCreate struct {
	Name          string            `json:"name"`
	URL           string            `json:"url"`
	Topics        []string          `json:"topics" enum:"topics"`
	HTTPMethod    string            `json:"httpMethod" enum:"methods"`
	ProjectID     *string           `json:"projectId,omitempty"`
	AccountID     string            `json:"accountId,omitempty"`
	CustomHeaders map[string]string `json:"customHeaders,omitempty"`
	// Status is live when absent or null; "" is not a status.
	Status *WebhookStatus `json:"status,omitempty"`
}

func (in *WebhookCreate) Validate() error {
	var p problems
	in.HTTPMethod = normalizeMethod(in.HTTPMethod)
	p.name("name", in.Name)
	p.webhookURL(in.URL)
	p.topics(in.Topics)
	p.method(in.HTTPMethod)
	p.narrowingID("projectId", in.ProjectID)
	p.id("accountId", in.AccountID)
	p.headers("customHeaders", in.CustomHeaders)
	if in.Status == nil {
		live := WebhookLive
		in.Status = &live
	}
	p.status(*in.Status)
	return p.err()
}

func (p *problems) status(v WebhookStatus) {
	if v != WebhookLive && v != WebhookPaused {
		p.add("status must be one of the following values: live, paused")
	}
}

// WebhookUpdate is the body of PATCH /webhooks/{id}: every field optional.
type WebhookUpdate struct {
	Name          Optional[string]            `json:"name,omitzero"`
	URL           Optional[string]            `json:"url,omitzero"`
	Topics        Optional[[]string]          `json:"topics,omitzero" enum:"topics"`
	HTTPMethod    Optional[string]            `json:"httpMethod,omitzero" enum:"methods"`
	CustomHeaders Optional[map[string]string] `json:"customHeaders,omitzero"`
	Status        Optional[WebhookStatus]     `json:"status,omitzero"`
}

func (in *WebhookUpdate) Validate() error {
	var p problems
	if in.Name.Set {
		p.name("name", in.Name.Value)
	}
	if in.URL.Set {
		p.webhookURL(in.URL.Value)
	}
	if in.Topics.Set {
		p.topics(in.Topics.Value)
	}
	if in.HTTPMethod.Set {
		in.HTTPMethod.Value = normalizeMethod(in.HTTPMethod.Value)
		p.method(in.HTTPMethod.Value)
	}
	if in.CustomHeaders.Set && !in.CustomHeaders.Null {
		p.headers("customHeaders", in.CustomHeaders.Value)
	}
	if in.Status.Set {
		p.status(in.Status.Value)
	}
	return p.err()
}

// WebhookPing is the body of POST /webhooks/ping.
type WebhookPing struct {
	URL           string            `json:"url"`
	HTTPMethod    string            `json:"httpMethod"`
	Body          json.RawMessage   `json:"body,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"`
	CustomHeaders map[string]string `json:"customHeaders,omitempty"`
}

func (in *WebhookPing) Validate() error {
	var p problems
	in.HTTPMethod = normalizeMethod(in.HTTPMethod)
	p.webhookURL(in.URL)
	p.method(in.HTTPMethod)
	// body is an object (TestWebhookDTO); null is no body, and the
	// default one is sent.
	if bytes.Equal(bytes.TrimSpace(in.Body), []byte("null")) {
		in.Body = nil
	}
	if len(in.Body) > 0 && !isJSONObject(in.Body) {
		p.add("body must be an object")
	}
	p.headers("headers", in.Headers)
	p.headers("customHeaders", in.CustomHeaders)
	return p.err()
}

// URLChecker refuses webhook targets the server may not reach (SSRF).
type URLChecker interface {
	CheckURL(ctx context.Context, rawURL string) error
}

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

// WebhookFilter selects webhooks for GET /webhooks.
type WebhookFilter struct {
	AccountID string
	// ProjectID "" lists every webhook of the account.
	ProjectID string
	Topic     string
	Page
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
	// RetryDelivery makes a delivery pending and due at now.
	RetryDelivery(ctx context.Context, id string, now time.Time) error
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

// PingResult is the answer of POST /webhooks/ping.
type PingResult struct {
	OK         bool   `json:"ok"`
	Status     int    `json:"status"`
	DurationMs int64  `json:"durationMs"`
	Error      string `json:"error,omitempty"`
}

// Pinger sends one request now, signed like a delivery would be.
type Pinger interface {
	Ping(ctx context.Context, method, url string, headers map[string]string, body []byte) PingResult
}

// NormalizeTopics drops repeated topics and orders them as Topics does, so
// a webhook reads back the same however its topics were given.
func NormalizeTopics(ts []string) []string {
	out := make([]string, 0, len(ts))
	for _, t := range Topics {
		if slices.Contains(ts, t) {
			out = append(out, t)
		}
	}
	return out
}

// NotificationScope is a part of one account's notifications: all of them
// when ProjectID is "", else that project's, and with AccountWide also the
// account's own, which name no project.
type NotificationScope struct {
	AccountID   string
	ProjectID   string
	AccountWide bool
}

// Notification is a message for the people of an account (GET
// /notifications, in a later release).
type Notification struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	Title     string  `json:"title"`
	Message   string  `json:"message"`
	AccountID string  `json:"accountId"`
	ProjectID *string `json:"projectId"`
	CreatedAt Time    `json:"createdAt"`
	ReadAt    *Time   `json:"readAt"`
}
