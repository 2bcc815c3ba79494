package mailer_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway/mailer"
)

const testFrom = "Keyway <noreply@keyway.example>"

func smtpURL(scheme, addr string, user *url.Userinfo) string {
	return (&url.URL{Scheme: scheme, User: user, Host: addr}).String()
}

func newSender(t *testing.T, ts *testServer, scheme string, user *url.Userinfo) mailer.Sender {
	t.Helper()
	s, err := mailer.NewSMTPWith(smtpURL(scheme, ts.Addr, user), testFrom,
		mailer.SMTPOptions{TLSConfig: &tls.Config{RootCAs: ts.Pool}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func signInMessage() mailer.Message {
	return mailer.Message{
		To:      "Ada Lovelace <ada@example.com>",
		Subject: "Your Keyway sign-in code – valid 10 minutes",
		Text: "Your sign-in code is 493-812.\n\n" +
			"Or open https://keyway.example/sign-in?code=493812&token=ZXhhbXBsZS10b2tlbi10aGF0LWlzLXF1aXRlLWxvbmctc28tdGhlLWxpbmUtd3JhcHM\n" +
			"Grüße, Keyway\n",
		Secrets: []string{"493-812", "493812"},
	}
}

// onlyMessage returns the single message the server received.
func onlyMessage(t *testing.T, ts *testServer) received {
	t.Helper()
	msgs := ts.messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

// checkDelivered parses what the server received as the recipient's mail
// client would and compares it with what was sent.
func checkDelivered(t *testing.T, got received, want mailer.Message) {
	t.Helper()
	if got.From != "noreply@keyway.example" {
		t.Errorf("envelope from = %q", got.From)
	}
	if len(got.To) != 1 || got.To[0] != "ada@example.com" {
		t.Errorf("envelope to = %q", got.To)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	addrs := func(key string) string {
		list, err := h.AddressList(key)
		if err != nil || len(list) != 1 {
			t.Errorf("%s: %v %v", key, list, err)
			return ""
		}
		return list[0].String()
	}
	if got, want := addrs("From"), (&mail.Address{Name: "Keyway", Address: "noreply@keyway.example"}).String(); got != want {
		t.Errorf("From = %s, want %s", got, want)
	}
	if got, want := addrs("To"), (&mail.Address{Name: "Ada Lovelace", Address: "ada@example.com"}).String(); got != want {
		t.Errorf("To = %s, want %s", got, want)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != want.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, want.Subject)
	}
	if date, err := h.Date(); err != nil || time.Since(date).Abs() > time.Minute {
		t.Errorf("Date = %q: %v", h.Get("Date"), err)
	}
	if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@keyway.example>") {
		t.Errorf("Message-ID = %q, want <…@keyway.example>", id)
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type = %q", h.Get("Content-Type"))
	}
	body := msg.Body
	switch cte := strings.ToLower(h.Get("Content-Transfer-Encoding")); cte {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "", "7bit", "8bit":
	default:
		t.Fatalf("unexpected Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(b), "\r\n", "\n"); got != want.Text {
		t.Errorf("body = %q, want %q", got, want.Text)
	}
	for _, h := range []string{"User-Agent", "X-Mailer"} {
		if v := msg.Header.Get(h); v != "" {
			t.Errorf("%s = %q; the library version need not be advertised", h, v)
		}
	}
}

func TestSMTPStartTLSWithAuthDelivers(t *testing.T) {
	ts := startServer(t, serverConfig{startTLS: true, auth: true})
	s := newSender(t, ts, "smtp", url.UserPassword(testUser, testPass))
	m := signInMessage()
	if err := s.Send(testCtx(t), m); err != nil {
		t.Fatal(err)
	}
	got := onlyMessage(t, ts)
	if !got.TLS {
		t.Error("server offered STARTTLS but the session was not upgraded")
	}
	if !got.Authed {
		t.Error("session was not authenticated")
	}
	checkDelivered(t, got, m)
}

func TestSMTPWithoutTLSOrAuthDelivers(t *testing.T) {
	// Opportunistic: a relay that offers no STARTTLS is still used, in plain
	// text, when there is no password to protect.
	ts := startServer(t, serverConfig{})
	s := newSender(t, ts, "smtp", nil)
	m := signInMessage()
	if err := s.Send(testCtx(t), m); err != nil {
		t.Fatal(err)
	}
	got := onlyMessage(t, ts)
	if got.TLS {
		t.Error("session reports TLS on a server without it")
	}
	checkDelivered(t, got, m)
}

func TestSMTPRefusesPasswordWithoutTLS(t *testing.T) {
	ts := startServer(t, serverConfig{auth: true, insecureAuth: true})
	s := newSender(t, ts, "smtp", url.UserPassword(testUser, testPass))
	err := s.Send(testCtx(t), signInMessage())
	if err == nil {
		t.Fatal("sent a password over an unencrypted connection")
	}
	checkNoPassword(t, err, testPass)
	if n := ts.authAttempts(); n != 0 {
		t.Errorf("server saw %d AUTH attempts, want none", n)
	}
	if len(ts.messages()) != 0 {
		t.Error("message delivered")
	}
	t.Log(err)
}

func TestSMTPSImplicitTLSDelivers(t *testing.T) {
	ts := startServer(t, serverConfig{implicitTLS: true, auth: true})
	s := newSender(t, ts, "smtps", url.UserPassword(testUser, testPass))
	m := signInMessage()
	if err := s.Send(testCtx(t), m); err != nil {
		t.Fatal(err)
	}
	got := onlyMessage(t, ts)
	if !got.TLS || !got.Authed {
		t.Errorf("TLS = %v, authenticated = %v; want both", got.TLS, got.Authed)
	}
	checkDelivered(t, got, m)
}

func TestSMTPWrongPassword(t *testing.T) {
	ts := startServer(t, serverConfig{startTLS: true, auth: true})
	const wrong = "Wr0ng-hunter2"
	s := newSender(t, ts, "smtp", url.UserPassword(testUser, wrong))
	err := s.Send(testCtx(t), signInMessage())
	if err == nil {
		t.Fatal("Send succeeded with a wrong password")
	}
	checkNoPassword(t, err, wrong)
	if ts.authAttempts() == 0 {
		t.Error("server saw no AUTH attempt; the failure is not the one under test")
	}
	if len(ts.messages()) != 0 {
		t.Error("message delivered")
	}
	t.Log(err)
}

func TestSMTPVerifiesServerCertificate(t *testing.T) {
	ts := startServer(t, serverConfig{startTLS: true})
	s, err := mailer.NewSMTP(smtpURL("smtp", ts.Addr, nil), testFrom)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(testCtx(t), signInMessage())
	if err == nil {
		t.Fatal("Send trusted a self-signed certificate from the system roots")
	}
	if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("error %q is not about the certificate", err)
	}
	if len(ts.messages()) != 0 {
		t.Error("message delivered")
	}
}

func TestSMTPRefusesHeaderInjection(t *testing.T) {
	ts := startServer(t, serverConfig{})
	s := newSender(t, ts, "smtp", nil)
	for name, m := range map[string]mailer.Message{
		"CR in subject":   {To: "ada@example.com", Subject: "Hi\rBcc: eve@example.com"},
		"LF in subject":   {To: "ada@example.com", Subject: "Hi\nBcc: eve@example.com"},
		"CRLF in to":      {To: "ada@example.com\r\nBcc: eve@example.com", Subject: "Hi"},
		"invalid address": {To: "not an address", Subject: "Hi"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.Send(testCtx(t), m); err == nil {
				t.Error("Send accepted the message")
			}
		})
	}
	if len(ts.messages()) != 0 {
		t.Error("a refused message reached the server")
	}
}

func TestSMTPSendHonoursContext(t *testing.T) {
	// A server that accepts but never greets: go-mail alone would wait for
	// its own connection timeout.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	s, err := mailer.NewSMTP(smtpURL("smtp", l.Addr().String(), nil), testFrom)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	if err := s.Send(ctx, signInMessage()); err == nil {
		t.Fatal("Send succeeded against a silent server")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send returned %v after cancellation", d)
	}
}

func TestSMTPDefaultPorts(t *testing.T) {
	for scheme, port := range map[string]string{"smtp": ":587", "smtps": ":465"} {
		s, err := mailer.NewSMTP(scheme+"://127.0.0.1", testFrom)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		// Nothing listens there in a test environment; the error names the
		// address that was tried.
		err = s.Send(ctx, signInMessage())
		cancel()
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1"+port) {
			t.Errorf("%s: error %v does not name port %s", scheme, err, port)
		}
	}
}

func TestNewSMTPValidates(t *testing.T) {
	const pass = "pa55-word"
	for _, tc := range []struct{ url, from string }{
		{"ftp://mail.example.com", testFrom},
		{"http://u:" + pass + "@mail.example.com", testFrom},
		{"mail.example.com:587", testFrom},
		{"smtp://", testFrom},
		{"smtp:///", testFrom},
		{"smtp://u:" + pass + "@", testFrom},
		{"smtp://u:" + pass + "@:587", testFrom},
		{"smtp:mail.example.com", testFrom},
		{"smtp://mail.example.com:0", testFrom},
		{"smtp://mail.example.com:70000", testFrom},
		{"smtp://:" + pass + "@mail.example.com", testFrom},
		// Unencoded characters in the password: each parse error or
		// misparse must not echo any of it.
		{"smtp://u:" + pass + "%zz@mail.example.com", testFrom},
		{"smtp://u:" + pass + "/x@mail.example.com", testFrom},
		{"smtp://u:" + pass + "#x@mail.example.com", testFrom},
		{"smtp://u:" + pass + "?x@mail.example.com", testFrom},
		{"smtp://u:" + pass + " x@mail.example.com", testFrom},
		{"smtp://mail.example.com/path", testFrom},
		{"smtp://mail.example.com", ""},
		{"smtp://mail.example.com", "not an address"},
		{"smtp://mail.example.com", "a@example.com\r\nBcc: eve@example.com"},
	} {
		_, err := mailer.NewSMTP(tc.url, tc.from)
		if err == nil {
			t.Errorf("NewSMTP(%q, %q) succeeded", tc.url, tc.from)
			continue
		}
		checkNoPassword(t, err, pass)
		// A fragment of the password is as bad as all of it.
		checkNoPassword(t, err, pass[:4])
	}

	for _, ok := range []string{
		"smtp://mail.example.com",
		"SMTP://mail.example.com:2525/",
		"smtps://u@mail.example.com",
		"smtps://u%40example.com:" + url.QueryEscape("p@ss/w#rd?") + "@mail.example.com:2465",
		"smtp://[::1]:25",
	} {
		if _, err := mailer.NewSMTP(ok, "noreply@keyway.example"); err != nil {
			t.Errorf("NewSMTP(%q): %v", ok, err)
		}
	}
}

func checkNoPassword(t *testing.T, err error, pass string) {
	t.Helper()
	for e := err; e != nil; {
		if msg := e.Error(); strings.Contains(msg, pass) || strings.Contains(msg, url.QueryEscape(pass)) {
			t.Errorf("error reveals the password: %q", msg)
			return
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
}
