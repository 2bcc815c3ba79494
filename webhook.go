package keyway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

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
	Secret        WebhookSecret `json:"secret"`
	CreatedBy     string        `json:"createdBy"`
	CreatedByType ActorType     `json:"createdByType"`
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

// WebhookFilter selects webhooks for GET /webhooks.
type WebhookFilter struct {
	AccountID string
	// ProjectID "" lists every webhook of the account.
	ProjectID string
	Topic     string
	Page
}

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
