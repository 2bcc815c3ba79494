package webhook

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// received is what a test receiver saw.
type received struct {
	Method string
	Host   string
	Header http.Header
	Body   []byte
}

// receiver starts an httptest server that records requests and answers with
// status; it is reached through a guard that allows loopback.
func receiver(t *testing.T, status int) (*httptest.Server, func() []received) {
	t.Helper()
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.Method, r.Host, r.Header.Clone(), body})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

func testSender(t *testing.T, timeout time.Duration) *Sender {
	s := NewSender(NewGuard(loopbackAllowed, nil), timeout)
	t.Cleanup(s.CloseIdleConnections)
	return s
}

func testRequest(url string) Request {
	return Request{
		URL:       url,
		Secret:    keyway.WebhookSecret(keycrypt.NewWebhookSecret()),
		MessageID: keycrypt.NewEventID(),
		Timestamp: time.Now(),
		Body:      []byte(`{"id":"evt_1","topic":"api-key.created","createdAt":"2026-01-02T03:04:05.000Z","data":{}}`),
	}
}

func TestSendHeadersAndSignature(t *testing.T) {
	srv, got := receiver(t, http.StatusNoContent)
	s := testSender(t, 5*time.Second)
	req := testRequest(srv.URL + "/hook?x=1")
	req.Method = http.MethodPut
	req.Headers = map[string]string{
		"X-Custom":      "custom value",
		"authorization": "Bearer receiver-token",
		// None of these may win over what Keyway sets.
		"Webhook-Signature":    "v1,forged",
		"webhook-id":           "msg_forged",
		"WEBHOOK-TIMESTAMP":    "1",
		"theauthapi-signature": "forged",
		"Content-Type":         "text/plain",
		"User-Agent":           "forged/1",
		"Content-Length":       "1",
		"Host":                 "evil.example.com",
		"Transfer-Encoding":    "chunked",
		"Connection":           "close",
		// Unsendable ones are dropped rather than failing the delivery.
		"X-Split\r\nInjected": "v",
		"X-Bad-Value":         "a\r\nInjected: yes",
		"":                    "empty name",
	}
	res := s.Send(context.Background(), req)
	if !res.OK() || res.Status != http.StatusNoContent || res.Err != nil {
		t.Fatalf("Send = %+v", res)
	}
	if res.Duration <= 0 || res.Duration > 5*time.Second {
		t.Errorf("Duration = %v", res.Duration)
	}
	reqs := got()
	if len(reqs) != 1 {
		t.Fatalf("%d requests received", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPut || string(r.Body) != string(req.Body) {
		t.Errorf("method %s body %s", r.Method, r.Body)
	}
	if r.Host != srv.Listener.Addr().String() {
		t.Errorf("Host = %q", r.Host)
	}
	want := map[string]string{
		"Content-Type":         "application/json",
		"User-Agent":           "keyway-webhooks/1",
		"Theauthapi-Signature": req.Secret.Reveal(),
		"Webhook-Id":           req.MessageID,
		"Webhook-Timestamp":    strconv.FormatInt(req.Timestamp.Unix(), 10),
		"Content-Length":       strconv.Itoa(len(req.Body)),
		"X-Custom":             "custom value",
		"Authorization":        "Bearer receiver-token",
	}
	for name, v := range want {
		if vs := r.Header.Values(name); len(vs) != 1 || vs[0] != v {
			t.Errorf("header %s = %q, want %q", name, vs, v)
		}
	}
	for _, name := range []string{"Injected", "X-Bad-Value", "X-Split", "Transfer-Encoding"} {
		if v := r.Header.Values(name); len(v) != 0 {
			t.Errorf("header %s = %q was delivered", name, v)
		}
	}
	if vs := r.Header.Values("Webhook-Signature"); len(vs) != 1 || !strings.HasPrefix(vs[0], "v1,") || vs[0] == "v1,forged" {
		t.Errorf("webhook-signature = %q", vs)
	}
	// The independent oracle: the official Standard Webhooks library.
	wh, err := standardwebhooks.NewWebhook(req.Secret.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(r.Body, r.Header); err != nil {
		t.Fatalf("Standard Webhooks verification failed: %v", err)
	}
}

func TestSendDefaults(t *testing.T) {
	srv, got := receiver(t, http.StatusOK)
	req := testRequest(srv.URL)
	req.Timestamp = time.Time{}
	before := time.Now().Unix()
	if res := testSender(t, 0).Send(context.Background(), req); !res.OK() {
		t.Fatalf("Send = %+v", res)
	}
	r := got()[0]
	if r.Method != http.MethodPost {
		t.Errorf("default method %s", r.Method)
	}
	ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	if ts < before || ts > time.Now().Unix() {
		t.Errorf("default timestamp %d", ts)
	}
	wh, _ := standardwebhooks.NewWebhook(req.Secret.Reveal())
	if err := wh.Verify(r.Body, r.Header); err != nil {
		t.Fatal(err)
	}
	if tr := testSender(t, 0).client.Transport.(*http.Transport); tr.Proxy != nil {
		t.Error("the sender honours proxy settings, which would bypass the guard")
	}
}

func TestSendStatuses(t *testing.T) {
	s := testSender(t, 5*time.Second)
	for _, tc := range []struct {
		status int
		ok     bool
	}{{200, true}, {201, true}, {204, true}, {299, true}, {304, false}, {400, false}, {404, false}, {410, false}, {500, false}, {503, false}} {
		srv, _ := receiver(t, tc.status)
		res := s.Send(context.Background(), testRequest(srv.URL))
		if res.Status != tc.status || res.Err != nil || res.OK() != tc.ok {
			t.Errorf("status %d: %+v, OK %v", tc.status, res, res.OK())
		}
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	res := testSender(t, 5*time.Second).Send(context.Background(), testRequest(srv.URL+"/hook"))
	if res.Status != http.StatusTemporaryRedirect || res.OK() || res.Err != nil {
		t.Fatalf("Send = %+v", res)
	}
	srv.Close()
	if hits.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

func TestSendTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: frees the handler so Close returns

	const timeout = 150 * time.Millisecond
	res := testSender(t, timeout).Send(context.Background(), testRequest(srv.URL))
	if res.Err == nil || res.Status != 0 || res.OK() {
		t.Fatalf("Send = %+v", res)
	}
	if got := res.Err.Error(); got != "timed out (no complete response within 150ms)" {
		t.Errorf("error %q", got)
	}
	if res.Duration < timeout || res.Duration > 5*time.Second {
		t.Errorf("Duration = %v", res.Duration)
	}
}

func TestSendConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	req := testRequest("http://" + addr + "/hook?token=query-secret")
	res := testSender(t, 5*time.Second).Send(context.Background(), req)
	if res.Err == nil || res.OK() {
		t.Fatalf("Send = %+v", res)
	}
	msg := res.Err.Error()
	if msg != "connection refused" {
		t.Errorf("error %q", msg)
	}
	for _, secret := range []string{"query-secret", req.Secret.Reveal(), addr} {
		if strings.Contains(msg, secret) {
			t.Errorf("error %q repeats %q", msg, secret)
		}
	}
}

func TestSendDeniedAddress(t *testing.T) {
	srv, got := receiver(t, http.StatusOK)
	dns := newFakeDNS(t)
	dns.set("metadata.keyway.test", "169.254.169.254")
	dns.set("receiver.keyway.test", "127.0.0.1")
	s := NewSender(NewGuard(nil, dns.resolver()), 2*time.Second) // loopback not allowed
	t.Cleanup(s.CloseIdleConnections)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, url := range []string{srv.URL, "http://receiver.keyway.test:" + port, "http://metadata.keyway.test/latest/meta-data/", "http://[::ffff:127.0.0.1]:" + port} {
		res := s.Send(context.Background(), testRequest(url))
		if res.OK() || !errors.Is(res.Err, ErrNotAllowed) {
			t.Errorf("%s: Send = %+v", url, res)
			continue
		}
		if msg := res.Err.Error(); msg != "url host resolves to a private, loopback, link-local or reserved address, which webhooks may not reach" {
			t.Errorf("%s: error %q", url, msg)
		}
	}
	if n := len(got()); n != 0 {
		t.Fatalf("receiver got %d requests", n)
	}
	res := s.Send(context.Background(), testRequest("http://nxdomain.keyway.test/"))
	if res.Err == nil || res.Err.Error() != "url host could not be resolved" {
		t.Errorf("unknown host: %+v", res)
	}
}

// TestSendThroughDNS delivers by host name, resolved by the guard itself.
func TestSendThroughDNS(t *testing.T) {
	srv, got := receiver(t, http.StatusOK)
	dns := newFakeDNS(t)
	dns.set("receiver.keyway.test", "127.0.0.1")
	s := NewSender(NewGuard(loopbackAllowed, dns.resolver()), 2*time.Second)
	t.Cleanup(s.CloseIdleConnections)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	if res := s.Send(context.Background(), testRequest("http://receiver.keyway.test:"+port+"/hook")); !res.OK() {
		t.Fatalf("Send = %+v", res)
	}
	if h := got()[0].Host; h != "receiver.keyway.test:"+port {
		t.Errorf("Host = %q", h)
	}
	// DNS now points into the private network: the next delivery is refused
	// even though a connection to the receiver may be idle in the pool.
	dns.set("receiver.keyway.test", "10.0.0.5")
	s.CloseIdleConnections()
	if res := s.Send(context.Background(), testRequest("http://receiver.keyway.test:"+port+"/hook")); !errors.Is(res.Err, ErrNotAllowed) {
		t.Fatalf("after rebinding: %+v", res)
	}
}

func TestSendResponseBodyCap(t *testing.T) {
	// The receiver answers 200 and then streams without end: only a capped
	// read lets Send return, well before its timeout.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		rc := http.NewResponseController(w)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	const timeout = 3 * time.Second
	res := testSender(t, timeout).Send(context.Background(), testRequest(srv.URL))
	if !res.OK() || res.Err != nil {
		t.Fatalf("Send = %+v", res)
	}
	if res.Duration >= timeout {
		t.Errorf("Duration = %v: the body was not capped", res.Duration)
	}
}

func TestSendSafeErrors(t *testing.T) {
	s := testSender(t, time.Second)
	srv, got := receiver(t, http.StatusOK)

	req := testRequest(srv.URL)
	req.Secret = "whsec_this is not base64 but is secret"
	res := s.Send(context.Background(), req)
	if res.Err == nil || res.Err.Error() != "invalid signing secret" {
		t.Errorf("bad secret: %+v", res)
	}

	for _, url := range []string{"ftp://127.0.0.1/", "http://user:pw@127.0.0.1/", "not a url"} {
		res := s.Send(context.Background(), testRequest(url))
		if res.Err == nil || res.Err.Error() != "invalid url" {
			t.Errorf("%s: %+v", url, res)
		}
	}

	req = testRequest(srv.URL)
	req.Method = "BAD METHOD"
	if res := s.Send(context.Background(), req); res.Err == nil || res.Err.Error() != "invalid request" {
		t.Errorf("bad method: %+v", res)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := s.Send(ctx, testRequest(srv.URL)); res.Err == nil || res.Err.Error() != "delivery canceled" {
		t.Errorf("canceled: %+v", res)
	}
	if n := len(got()); n != 0 {
		t.Errorf("receiver got %d requests", n)
	}
}

func TestSendTLSErrors(t *testing.T) {
	s := testSender(t, 2*time.Second)
	// httptest's certificate is not one the sender trusts.
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	if res := s.Send(context.Background(), testRequest(tlsSrv.URL)); res.Err == nil || res.Err.Error() != "TLS certificate not trusted" {
		t.Errorf("untrusted certificate: %+v", res)
	}
	// https to a receiver that does not speak TLS (nor HTTP, which net/http
	// reports with an untyped error).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write(make([]byte, 64))
			c.Close()
		}
	}()
	if res := s.Send(context.Background(), testRequest("https://"+l.Addr().String())); res.Err == nil || !strings.HasPrefix(res.Err.Error(), "TLS handshake failed") {
		t.Errorf("https to a non-TLS receiver: %+v", res)
	}
}
