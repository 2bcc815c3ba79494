package webhook

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
)

const (
	// DefaultTimeout bounds one delivery when NewSender is given none.
	DefaultTimeout = 10 * time.Second
	// maxResponseBody is how much of a receiver's answer is read (and thrown
	// away) so a chatty or hostile receiver cannot hold a worker or memory.
	maxResponseBody = 64 << 10
	userAgent       = "keyway-webhooks/1"
)

// Request is one delivery attempt.
type Request struct {
	Method string // the webhook's httpMethod; empty means POST
	URL    string
	// Headers are the webhook's customHeaders. Names Keyway sets itself, and
	// framing headers, are dropped (keyway.ReservedWebhookHeader); the API
	// refuses them, this is the last line.
	Headers   map[string]string
	Secret    keyway.WebhookSecret // whsec_…: signs the body and is sent as theauthapi-signature
	MessageID string               // webhook-id: the event id, the same on every retry
	// Timestamp is webhook-timestamp; zero means now. Receivers reject
	// timestamps more than a few minutes old, so set it per attempt.
	Timestamp time.Time
	Body      []byte
}

// Result is the outcome of one attempt. Err's message is short and safe to
// store and show to the webhook's owner: it names no secret, URL or address.
type Result struct {
	Status   int // the HTTP status, 0 if none was received
	Duration time.Duration
	Err      error
}

// OK reports a 2xx answer. A redirect is not followed and counts as failure.
func (r Result) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// Sender delivers webhook requests through a Guard.
type Sender struct {
	client  *http.Client
	timeout time.Duration
}

// NewSender returns a sender whose connections go only where g allows, with
// timeout (zero means DefaultTimeout) bounding each attempt from dial to the
// end of the response. A nil guard allows public addresses only.
func NewSender(g *Guard, timeout time.Duration) *Sender {
	if g == nil {
		g = NewGuard(nil, nil)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tr := &http.Transport{
		Proxy:                  nil, // an environment proxy would bypass the guard
		DialContext:            g.DialContext,
		ForceAttemptHTTP2:      true, // a custom dialer turns HTTP/2 off otherwise
		TLSHandshakeTimeout:    timeout,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: maxResponseBody,
	}
	return &Sender{
		client: &http.Client{
			Transport: tr,
			Timeout:   timeout,
			// A redirect could point anywhere, and the receiver was asked to
			// answer, not to forward: the 3xx is the result.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: timeout,
	}
}

// CloseIdleConnections closes kept-alive connections, for shutdown.
func (s *Sender) CloseIdleConnections() { s.client.CloseIdleConnections() }

// Send makes one attempt. It never retries; the caller decides with Backoff.
func (s *Sender) Send(ctx context.Context, r Request) Result {
	start := time.Now()
	res := s.send(ctx, r)
	res.Duration = time.Since(start)
	return res
}

func (s *Sender) send(ctx context.Context, r Request) Result {
	if _, err := parseTarget(r.URL); err != nil {
		return Result{Err: &deliveryError{msg: "invalid url", cause: err}}
	}
	ts := r.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	sig, err := Sign(r.Secret.Reveal(), r.MessageID, ts, r.Body)
	if err != nil {
		return Result{Err: &deliveryError{msg: "invalid signing secret", cause: err}}
	}
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Result{Err: &deliveryError{msg: "invalid request", cause: err}}
	}
	setCustomHeaders(req.Header, r.Headers)
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	h.Set("theauthapi-signature", r.Secret.Reveal())
	h.Set("webhook-id", r.MessageID)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", sig)

	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Err: s.describe(ctx, err)}
	}
	// Draining lets a small answer's connection be reused; the cap bounds
	// the cost. Errors reading it do not matter: the status has arrived.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	_ = resp.Body.Close()
	return Result{Status: resp.StatusCode}
}

// setCustomHeaders copies the webhook's custom headers, dropping reserved
// names and anything net/http would refuse to send (which would fail the
// whole delivery). Names are applied in sorted order so that two spellings
// of one name resolve the same way every time.
func setCustomHeaders(h http.Header, custom map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(custom)) {
		if keyway.ReservedWebhookHeader(name) || !validHeaderName(name) || !validHeaderValue(custom[name]) {
			continue
		}
		h.Set(name, custom[name])
	}
}

// validHeaderName accepts an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validHeaderValue refuses control characters other than tab, which could
// split the header or the request.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
