package app_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/golang-jwt/jwt/v5"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

// ---- A real SMTP server that records what it is sent ----

// smtpSink is an SMTP server on 127.0.0.1 without TLS or AUTH, so the
// service's mailer sends to it over smtp://127.0.0.1:PORT.
type smtpSink struct {
	Addr string

	mu   sync.Mutex
	msgs []sinkEnvelope
}

type sinkEnvelope struct {
	From string
	Rcpt []string
	Data []byte
}

// sentMail is one received message, parsed with net/mail.
type sentMail struct {
	EnvelopeFrom string
	Rcpt         []string
	Header       mail.Header
	To           string // the To header's address
	Subject      string // decoded
	Body         string // transfer-decoded
}

func startSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{sink: sink}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.Addr = l.Addr().String()
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = l.Close()
		<-served
	})
	return sink
}

// URL is the KEYWAY_SMTP_URL of the sink: no user or password, since the
// mailer refuses to send one without TLS.
func (s *smtpSink) URL() string { return "smtp://" + s.Addr }

// await waits until at least n messages have arrived and returns them all,
// parsed, in arrival order.
func (s *smtpSink) await(t testing.TB, n int) []sentMail {
	t.Helper()
	var envs []sinkEnvelope
	keywaytest.EventuallyShows(t, fmt.Sprintf("%d messages", n), func() (bool, string) {
		s.mu.Lock()
		envs = append([]sinkEnvelope(nil), s.msgs...)
		s.mu.Unlock()
		return len(envs) >= n, fmt.Sprintf("%d messages", len(envs))
	})
	out := make([]sentMail, len(envs))
	for i, e := range envs {
		out[i] = parseSentMail(t, e)
	}
	return out
}

func (s *smtpSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

type sinkSession struct {
	sink *smtpSink
	cur  sinkEnvelope
}

func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur = sinkEnvelope{From: from}
	return nil
}

func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.Rcpt = append(s.cur.Rcpt, to)
	return nil
}

func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.sink.mu.Lock()
	s.sink.msgs = append(s.sink.msgs, s.cur)
	s.sink.mu.Unlock()
	return nil
}

func (s *sinkSession) Reset()        { s.cur = sinkEnvelope{} }
func (s *sinkSession) Logout() error { return nil }

func parseSentMail(t testing.TB, e sinkEnvelope) sentMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(e.Data))
	if err != nil {
		t.Fatalf("received mail does not parse: %v\n%s", err, e.Data)
	}
	out := sentMail{EnvelopeFrom: e.From, Rcpt: e.Rcpt, Header: m.Header}
	if to, err := mail.ParseAddress(m.Header.Get("To")); err == nil {
		out.To = to.Address
	} else {
		t.Fatalf("To header %q: %v", m.Header.Get("To"), err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("Subject %q: %v", m.Header.Get("Subject"), err)
	}
	out.Subject = subject
	var body io.Reader = m.Body
	switch strings.ToLower(strings.TrimSpace(m.Header.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("mail body: %v\n%s", err, e.Data)
	}
	out.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
	return out
}

// ---- Sign-in codes ----

const codeChars = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// reMailedCode is a sign-in code as mailed: XXXXX-XXXXX.
var reMailedCode = regexp.MustCompile(`[` + codeChars + `]{5}-[` + codeChars + `]{5}`)

// codeIn takes the one sign-in code out of a text.
func codeIn(t testing.TB, text string) string {
	t.Helper()
	codes := regexp.MustCompile(`Your sign-in code is (`+reMailedCode.String()+`)\n`).FindAllStringSubmatch(text, -1)
	if len(codes) != 1 {
		t.Fatalf("want one sign-in code in %q", text)
	}
	return codes[0][1]
}

// wantTokens checks a 201 answer holds exactly the token fields, as a login
// gives, and returns them.
func wantTokens(t testing.TB, r *response) keyway.Tokens {
	t.Helper()
	r.want(t, 201)
	var fields map[string]any
	r.decode(t, &fields)
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "access_token,expires_in,refresh_token,token_type" {
		t.Fatalf("token answer has fields %v: %s", names, r.Body)
	}
	var tok keyway.Tokens
	r.decode(t, &tok)
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 900 || !strings.HasPrefix(tok.RefreshToken.Reveal(), "rt_") || strings.Count(tok.AccessToken.Reveal(), ".") != 2 {
		t.Fatalf("tokens %+v", tok)
	}
	return tok
}

func bearer(tok keyway.Tokens) []string {
	return []string{"Authorization", ("Bearer " + tok.AccessToken).Reveal()}
}

// userOf names the user a token belongs to, with their accounts.
func (s *server) userOf(t testing.TB, tok keyway.Tokens) (userID string, accounts []keyway.Account) {
	t.Helper()
	c := s.withT(t)
	var roles []keyway.UserRole
	c.callAs("", "GET", "/user-roles", nil, bearer(tok)...).want(t, 200).decode(t, &roles)
	if len(roles) == 0 {
		t.Fatal("the user holds no roles")
	}
	c.callAs("", "GET", "/accounts", nil, bearer(tok)...).want(t, 200).decode(t, &accounts)
	return roles[0].UserID, accounts
}

func emptyBody(t testing.TB, r *response) {
	t.Helper()
	if len(r.Body) != 0 {
		t.Fatalf("want an empty answer, got %s", r.Body)
	}
}

// A code asked for by email arrives by real SMTP, signs in once, is read
// forgivingly, and dies after 10 minutes; an unknown email gets the same
// answer and no mail.
func TestLoginCodeByEmail(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		sink := startSMTPSink(t)
		s := startServerWith(t, dbURL, nil, func(c *app.Config) {
			c.SMTPURL = sink.URL()
			c.MailFrom = "Keyway <keys@example.test>"
		})
		olga, _ := s.founder(t, "olga@example.com")

		r := s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": " Olga@Example.COM"}).want(t, 201)
		emptyBody(t, r)
		m := sink.await(t, 1)[0]
		if m.To != "olga@example.com" || len(m.Rcpt) != 1 || m.Rcpt[0] != "olga@example.com" {
			t.Fatalf("mail to %q (envelope %v), want olga@example.com", m.To, m.Rcpt)
		}
		if m.Subject != "Your Keyway sign-in code" {
			t.Fatalf("subject %q", m.Subject)
		}
		if m.EnvelopeFrom != "keys@example.test" {
			t.Fatalf("envelope from %q", m.EnvelopeFrom)
		}
		code := codeIn(t, m.Body)
		if !strings.Contains(m.Body, "10 minutes") {
			t.Fatalf("the mail does not say how long the code lives: %q", m.Body)
		}

		tok := wantTokens(t, s.callAs("", "POST", "/auth/validate-login-code", map[string]any{"code": code}))
		userID, accounts := s.userOf(t, tok)
		if userID != olga.ID || len(accounts) != 1 {
			t.Fatalf("the code signed in %s with %d accounts, want %s with 1", userID, len(accounts), olga.ID)
		}
		// Spent once.
		s.callAs("", "POST", "/auth/validate-login-code", map[string]any{"code": code}).want(t, 401).wantJSON(t, errUnauthorized)

		// Lower case and without the dash: still the code.
		s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "olga@example.com"}).want(t, 201)
		code2 := codeIn(t, sink.await(t, 2)[1].Body)
		if code2 == code {
			t.Fatal("the same code twice")
		}
		wantTokens(t, s.callAs("", "POST", "/auth/validate-login-code", map[string]any{"code": strings.ToLower(strings.ReplaceAll(code2, "-", ""))}))

		// A code 10 minutes old is dead.
		s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "olga@example.com"}).want(t, 201)
		code3 := codeIn(t, sink.await(t, 3)[2].Body)
		s.Clock.Advance(10 * time.Minute)
		s.callAs("", "POST", "/auth/validate-login-code", map[string]any{"code": code3}).want(t, 401).wantJSON(t, errUnauthorized)

		// An unknown email: the same empty 201, and no mail. Mail goes out
		// in order, so once the known address's later message has arrived,
		// one for the unknown address would have too.
		r = s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "nobody@example.com"}).want(t, 201)
		emptyBody(t, r)
		s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "olga@example.com"}).want(t, 201)
		all := sink.await(t, 4)
		if len(all) != 4 || all[3].To != "olga@example.com" {
			t.Fatalf("want 4 messages, all to olga, got %d", len(all))
		}
		for _, m := range all {
			if m.To != "olga@example.com" {
				t.Fatalf("a message went to %s", m.To)
			}
		}
		// A made-up code in the right shape is no code.
		s.callAs("", "POST", "/auth/validate-login-code", map[string]any{"code": "23456-789AB"}).want(t, 401).wantJSON(t, errUnauthorized)
	})
}

// Asking for codes is also throttled per email, so nobody can flood a
// mailbox: 10 per 15 minutes.
func TestLoginCodePerEmailLimit(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		s.founder(t, "flood@example.com")
		for range 10 {
			s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "flood@example.com"}).want(t, 201)
		}
		wantThrottled(t, s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "FLOOD@example.com"}), "11th code for one email")
		s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "other@example.com"}).want(t, 201)
		// Logging in has its own budget.
		s.callAs("", "POST", "/auth/login", map[string]any{"email": "flood@example.com", "password": "correct horse battery"}).want(t, 201)
		s.Clock.Advance(15 * time.Minute)
		s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "flood@example.com"}).want(t, 201)
	})
}

func TestLoginCodeBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		run(t, s, []scenario{
			{name: "email-otc without email", as: anonymous, method: "POST", path: "/auth/email-otc", body: map[string]any{},
				wantStatus: 400, wantJSON: badRequest("email should not be empty")},
			{name: "email-otc with a non-email", as: anonymous, method: "POST", path: "/auth/email-otc", body: map[string]any{"email": "olga"},
				wantStatus: 400, wantJSON: badRequest("email must be an email")},
			{name: "email-otc with a number", as: anonymous, method: "POST", path: "/auth/email-otc", body: map[string]any{"email": 5},
				wantStatus: 400, wantJSON: badRequest("email must be a string")},
			{name: "validate without code", as: anonymous, method: "POST", path: "/auth/validate-login-code", body: map[string]any{},
				wantStatus: 400, wantJSON: badRequest("code should not be empty")},
			{name: "validate with a 65-character code", as: anonymous, method: "POST", path: "/auth/validate-login-code",
				body:       map[string]any{"code": strings.Repeat("A", 65)},
				wantStatus: 400, wantJSON: badRequest("code must be shorter than or equal to 64 characters")},
		})
		// 64 characters is allowed, and just not a code.
		s.callAs("", "POST", "/auth/validate-login-code", map[string]any{"code": strings.Repeat("A", 64)}).want(t, 401)
	})
}

// ---- Invitation mail ----

// An invitation's mail carries the link at the public URL; the id in it
// signs the invitee up into the inviting account, and only once.
func TestInvitationMailLink(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		sink := startSMTPSink(t)
		s := startServerWith(t, dbURL, nil, func(c *app.Config) {
			c.SMTPURL = sink.URL()
			c.PublicURL = "https://keys.example.test"
		})
		boss, acct := s.founder(t, "boss@example.com")
		var invs []keyway.Invitation
		boss.as(s, t, "POST", "/invitations", map[string]any{"emails": []string{"New.Hire@Example.com"}, "role": "user", "accountId": acct}).
			want(t, 201).decode(t, &invs)
		if len(invs) != 1 || invs[0].Email != "new.hire@example.com" {
			t.Fatalf("invitations %+v", invs)
		}
		m := sink.await(t, 1)[0]
		if m.To != "new.hire@example.com" {
			t.Fatalf("invitation mailed to %q", m.To)
		}
		if m.Subject != "You are invited to Founder boss@example.com's account on Keyway" {
			t.Fatalf("subject %q", m.Subject)
		}
		links := regexp.MustCompile(`https://keys\.example\.test/ui/signup\?invitationId=([^\s]+)`).FindAllStringSubmatch(m.Body, -1)
		if len(links) != 1 {
			t.Fatalf("want one link in %q", m.Body)
		}
		id := links[0][1]
		if id != invs[0].ID {
			t.Fatalf("link names invitation %q, want %q", id, invs[0].ID)
		}

		const pw = "new hire password"
		r := s.callAs("", "POST", "/auth/signup", map[string]any{"email": "new.hire@example.com", "password": pw, "name": "New Hire", "invitationId": id}).want(t, 201)
		emptyBody(t, r)
		hire := s.signedIn(t, "new.hire@example.com", pw)
		var accounts []keyway.Account
		hire.as(s, t, "GET", "/accounts", nil).want(t, 200).decode(t, &accounts)
		if len(accounts) != 1 || accounts[0].ID != acct {
			t.Fatalf("the invitee's accounts %+v, want only %s", accounts, acct)
		}
		var roles []keyway.UserRole
		hire.as(s, t, "GET", "/user-roles", nil).want(t, 200).decode(t, &roles)
		if len(roles) != 1 || roles[0].AccountID != acct || roles[0].Role != keyway.RoleUser {
			t.Fatalf("the invitee's roles %+v", roles)
		}

		// The id serves once.
		again := s.callAs("", "POST", "/auth/signup", map[string]any{"email": "new.hire@example.com", "password": "another password", "name": "Again", "invitationId": id}).want(t, 409)
		var e struct {
			Message string `json:"message"`
		}
		again.decode(t, &e)
		// Either refusal is true of this request (the service checks the
		// invitation first and says it is no longer pending).
		if e.Message != "Email already registered" && e.Message != "Invitation is no longer pending" {
			t.Fatalf("second signup with the invitation: %s", again.Body)
		}
		s.callAs("", "POST", "/auth/signup", map[string]any{"email": "new.hire@example.com", "password": "another password", "name": "Again"}).
			want(t, 409).wantJSON(t, `{"statusCode":409,"message":"Email already registered","error":"Conflict"}`)
		// The id is no key for another address.
		s.callAs("", "POST", "/auth/signup", map[string]any{"email": "someone.else@example.com", "password": "another password", "name": "Else", "invitationId": id}).
			want(t, 404)
		hire.as(s, t, "POST", "/invitations/"+id+"/accept", nil).want(t, 409).
			wantJSON(t, `{"statusCode":409,"message":"Invitation is no longer pending","error":"Conflict"}`)
		// Nothing more was mailed to anyone.
		if n := sink.count(); n != 1 {
			t.Fatalf("%d messages sent, want 1", n)
		}
	})
}

// ---- Mail to the log ----

// notifyBuffer is a log destination a test can read while the server
// writes to it.
type notifyBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func newNotifyBuffer() *notifyBuffer { return &notifyBuffer{} }

func (n *notifyBuffer) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b.Write(p)
}

func (n *notifyBuffer) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b.String()
}

// awaitRecord waits for a JSON log record with msg starting with prefix
// and the given "to", and returns it.
func (n *notifyBuffer) awaitRecord(t testing.TB, prefix, to string) map[string]any {
	t.Helper()
	var found map[string]any
	keywaytest.EventuallyShows(t, fmt.Sprintf("a log record %q to %s", prefix, to), func() (bool, string) {
		log := n.String()
		for _, line := range strings.Split(log, "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			if msg, _ := rec["msg"].(string); strings.HasPrefix(msg, prefix) && rec["to"] == to {
				found = rec
				return true, ""
			}
		}
		return false, "\n" + log
	})
	return found
}

const mailLogged = "mail not sent: SMTP is not configured"

// Without SMTP, a server on a configured database logs mail with its
// secrets masked: neither the sign-in code nor the invitation id reaches
// the log.
func TestSigninCodeMaskedInLog(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		logs := newNotifyBuffer()
		s := startServerWith(t, dbURL, logs, nil)
		boss, acct := s.founder(t, "mask@example.com")
		s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "mask@example.com"}).want(t, 201)
		rec := logs.awaitRecord(t, mailLogged, "mask@example.com")
		text, _ := rec["text"].(string)
		if !strings.HasPrefix(text, "Your sign-in code is ****\n") || rec["subject"] != "Your Keyway sign-in code" {
			t.Fatalf("logged mail %v", rec)
		}

		var invs []keyway.Invitation
		boss.as(s, t, "POST", "/invitations", map[string]any{"emails": []string{"masked.invitee@example.com"}, "role": "viewer", "accountId": acct}).
			want(t, 201).decode(t, &invs)
		rec = logs.awaitRecord(t, mailLogged, "masked.invitee@example.com")
		text, _ = rec["text"].(string)
		if !strings.Contains(text, "/ui/signup?invitationId=****") {
			t.Fatalf("logged invitation %v", rec)
		}

		out := logs.String()
		if codes := reMailedCode.FindAllString(out, -1); len(codes) != 0 {
			t.Fatalf("the log shows sign-in codes %v:\n%s", codes, out)
		}
		if strings.Contains(out, invs[0].ID) {
			t.Fatalf("the log shows the invitation id:\n%s", out)
		}
	})
}

// In the embedded default (SQLite in the data dir, no database URL) the
// log is how a person trying Keyway reads their code, so it is shown, and
// it works.
func TestSigninCodeShownInEmbeddedDefault(t *testing.T) {
	logs := newNotifyBuffer()
	s := startServerWith(t, keywaytest.SQLiteURL(t), logs, func(c *app.Config) { c.DatabaseURL = "" })
	s.founder(t, "local@example.com")
	s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "local@example.com"}).want(t, 201)
	rec := logs.awaitRecord(t, mailLogged, "local@example.com")
	text, _ := rec["text"].(string)
	code := codeIn(t, text)
	wantTokens(t, s.callAs("", "POST", "/auth/validate-login-code", map[string]any{"code": code}))
}

// ---- Firebase ----

const fbProject = "demo-proj"

type fbKey struct {
	priv *rsa.PrivateKey
	cert string // PEM, as Google publishes it
}

// fbKeys are made once: the first is published as kid "kid-a", the
// second is published nowhere.
var fbKeys = sync.OnceValue(func() [2]fbKey {
	var out [2]fbKey
	for i := range out {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 1)),
			Subject:      pkix.Name{CommonName: "securetoken.system.gserviceaccount.com"},
			NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
			NotAfter:     time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
		if err != nil {
			panic(err)
		}
		out[i] = fbKey{priv: priv, cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
	}
	return out
})

// fbCertServer plays Google's certificate endpoint, answering status.
func fbCertServer(t testing.TB, status int) *httptest.Server {
	t.Helper()
	body, err := json.Marshal(map[string]string{"kid-a": fbKeys()[0].cert})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func startFirebaseServer(t testing.TB, dbURL string, certStatus int) *server {
	t.Helper()
	certs := fbCertServer(t, certStatus)
	return startServerWith(t, dbURL, nil, func(c *app.Config) {
		c.FirebaseProjectID = fbProject
		c.FirebaseCertsURL = certs.URL
	})
}

// fbClaims are those of a good ID token for email at now.
func fbClaims(now time.Time, uid, email string) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":            "https://securetoken.google.com/" + fbProject,
		"aud":            fbProject,
		"sub":            uid,
		"user_id":        uid,
		"iat":            now.Add(-time.Minute).Unix(),
		"exp":            now.Add(59 * time.Minute).Unix(),
		"auth_time":      now.Add(-2 * time.Minute).Unix(),
		"email":          email,
		"email_verified": true,
		"name":           "Fiona Base",
		"firebase":       map[string]any{"sign_in_provider": "google.com"},
	}
}

func fbSign(t testing.TB, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fbToken(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	return fbSign(t, jwt.SigningMethodRS256, fbKeys()[0].priv, "kid-a", c)
}

// A verified Firebase identity becomes a user with an account of their
// own, signs that user in again later, joins an inviting account with an
// invitation, and never has a password.
func TestFirebaseSignin(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := startFirebaseServer(t, dbURL, http.StatusOK)
		now := s.Clock.Now()

		tok := wantTokens(t, s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{"idToken": fbToken(t, fbClaims(now, "uid-fiona", "Fiona@Example.com"))}))
		fiona, accounts := s.userOf(t, tok)
		if len(accounts) != 1 || accounts[0].ID == s.AccountID || accounts[0].CreatedBy != fiona || accounts[0].Name != "Fiona Base's account" {
			t.Fatalf("the Firebase user's accounts %+v", accounts)
		}
		var u keyway.User
		s.callAs("", "PATCH", "/users/"+fiona, map[string]any{"name": "Fiona Base"}, bearer(tok)...).want(t, 200).decode(t, &u)
		if u.Email != "fiona@example.com" {
			t.Fatalf("user %+v", u)
		}

		// Later, another token for the same email: the same user, no new
		// account.
		s.Clock.Advance(time.Hour)
		later := fbClaims(s.Clock.Now(), "uid-fiona", "fiona@example.com")
		tok2 := wantTokens(t, s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{"idToken": fbToken(t, later)}))
		again, accounts2 := s.userOf(t, tok2)
		if again != fiona || len(accounts2) != 1 || accounts2[0].ID != accounts[0].ID {
			t.Fatalf("second sign-in: user %s with %+v, want %s with %s", again, accounts2, fiona, accounts[0].ID)
		}

		// A Firebase user has no password: a login is refused, not a 500.
		for _, pw := range []string{"", "x", "any password at all"} {
			r := s.callAs("", "POST", "/auth/login", map[string]any{"email": "fiona@example.com", "password": pw})
			if pw == "" {
				r.want(t, 400)
				continue
			}
			r.want(t, 401).wantJSON(t, errUnauthorized)
		}

		// With an invitation, a new person joins the inviting account
		// instead of getting one of their own.
		boss, acct := s.founder(t, "fbboss@example.com")
		var invs []keyway.Invitation
		boss.as(s, t, "POST", "/invitations", map[string]any{"emails": []string{"fb.invitee@example.com"}, "role": "viewer", "accountId": acct}).
			want(t, 201).decode(t, &invs)
		tok3 := wantTokens(t, s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{
			"idToken": fbToken(t, fbClaims(s.Clock.Now(), "uid-invitee", "fb.invitee@example.com")), "invitationId": invs[0].ID}))
		invitee, accounts3 := s.userOf(t, tok3)
		if len(accounts3) != 1 || accounts3[0].ID != acct {
			t.Fatalf("the invited Firebase user's accounts %+v, want only %s", accounts3, acct)
		}
		var inv keyway.Invitation
		boss.as(s, t, "GET", "/invitations/"+invs[0].ID, nil).want(t, 200).decode(t, &inv)
		if inv.Status != keyway.InvitationAccepted || inv.AcceptedBy == nil || *inv.AcceptedBy != invitee {
			t.Fatalf("invitation after the Firebase sign-up %+v", inv)
		}

		// An existing Firebase user accepts an invitation the same way.
		boss.as(s, t, "POST", "/invitations", map[string]any{"emails": []string{"fiona@example.com"}, "role": "user", "accountId": acct}).
			want(t, 201).decode(t, &invs)
		tok4 := wantTokens(t, s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{
			"idToken": fbToken(t, fbClaims(s.Clock.Now(), "uid-fiona", "fiona@example.com")), "invitationId": invs[0].ID}))
		who, accounts4 := s.userOf(t, tok4)
		if who != fiona || len(accounts4) != 2 {
			t.Fatalf("after accepting: user %s with accounts %+v", who, accounts4)
		}
	})
}

// Tokens that are not good Firebase ID tokens for the project are 401,
// and change nothing.
func TestFirebaseRefusals(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := startFirebaseServer(t, dbURL, http.StatusOK)
		now := s.Clock.Now()
		good := func() jwt.MapClaims { return fbClaims(now, "uid-mallory", "mallory@example.com") }
		with := func(change func(c jwt.MapClaims)) jwt.MapClaims {
			c := good()
			change(c)
			return c
		}
		none, err := jwt.NewWithClaims(jwt.SigningMethodNone, good()).SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		cases := map[string]string{
			"expired": fbToken(t, with(func(c jwt.MapClaims) {
				c["iat"] = now.Add(-2 * time.Hour).Unix()
				c["auth_time"] = now.Add(-2 * time.Hour).Unix()
				c["exp"] = now.Add(-time.Hour).Unix()
			})),
			"wrong audience":       fbToken(t, with(func(c jwt.MapClaims) { c["aud"] = "other-proj" })),
			"wrong issuer":         fbToken(t, with(func(c jwt.MapClaims) { c["iss"] = "https://securetoken.google.com/other-proj" })),
			"wrong signature":      fbSign(t, jwt.SigningMethodRS256, fbKeys()[1].priv, "kid-a", good()),
			"unknown kid":          fbSign(t, jwt.SigningMethodRS256, fbKeys()[0].priv, "kid-unknown", good()),
			"no kid":               fbSign(t, jwt.SigningMethodRS256, fbKeys()[0].priv, "", good()),
			"alg none":             none,
			"email not verified":   fbToken(t, with(func(c jwt.MapClaims) { c["email_verified"] = false })),
			"no email_verified":    fbToken(t, with(func(c jwt.MapClaims) { delete(c, "email_verified") })),
			"no email":             fbToken(t, with(func(c jwt.MapClaims) { delete(c, "email") })),
			"issued in the future": fbToken(t, with(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() })),
			"not a JWT":            "not-a-jwt",
		}
		for name, token := range cases {
			r := s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{"idToken": token})
			if r.Status != 401 {
				t.Errorf("%s: %d %s, want 401", name, r.Status, r.Body)
				continue
			}
			r.wantJSON(t, errUnauthorized)
		}
		// Nobody was created: the refused email can still sign up.
		s.callAs("", "POST", "/auth/signup", map[string]any{"email": "mallory@example.com", "password": "correct horse battery", "name": "M"}).want(t, 201)

		// Missing idToken is bad input.
		s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{}).want(t, 400).wantJSON(t, badRequest("idToken should not be empty"))
		// The good token still works after all that.
		wantTokens(t, s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{"idToken": fbToken(t, fbClaims(now, "uid-ok", "ok@example.com"))}))
	})
}

// When Google's certificates cannot be had, a token cannot be judged:
// 503, not 401.
func TestFirebaseCertsUnavailable(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := startFirebaseServer(t, dbURL, http.StatusInternalServerError)
		r := s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{"idToken": fbToken(t, fbClaims(s.Clock.Now(), "uid-x", "x@example.com"))})
		r.want(t, 503)
		var e struct {
			StatusCode int `json:"statusCode"`
		}
		r.decode(t, &e)
		if e.StatusCode != 503 {
			t.Fatalf("body %s", r.Body)
		}
		if bytes.Contains(r.Body, []byte("status 500")) {
			t.Fatalf("the answer leaks the upstream failure: %s", r.Body)
		}
	})
}

// Without a Firebase project the endpoint is not implemented; bad input is
// still bad input.
func TestFirebaseNotConfigured(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		r := s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{"idToken": fbToken(t, fbClaims(s.Clock.Now(), "uid-x", "x@example.com"))}).want(t, 501)
		var e struct {
			StatusCode int `json:"statusCode"`
		}
		r.decode(t, &e)
		if e.StatusCode != 501 {
			t.Fatalf("body %s", r.Body)
		}
		s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{}).want(t, 400).wantJSON(t, badRequest("idToken should not be empty"))
	})
}

// ---- Per-address throttling ----

func wantThrottled(t testing.TB, r *response, what string) {
	t.Helper()
	if r.Status != 429 {
		t.Fatalf("%s: %d %s, want 429", what, r.Status, r.Body)
	}
	r.wantJSON(t, errTooMany)
	if got := r.Header.Get("retry-after-seconds"); got != "900" {
		t.Fatalf("%s: retry-after-seconds %q, want 900", what, got)
	}
	if got := r.Header.Get("Retry-After"); got != "900" {
		t.Fatalf("%s: Retry-After %q, want 900", what, got)
	}
}

// A sign-up needs no credential and costs a password hash, so it spends
// the sign-in budgets: the client address's, shared with logins, and the
// email's, of its own.
func TestSignupThrottled(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := startServerWith(t, dbURL, nil, func(c *app.Config) {
			c.SigninAddressLimit = 14
			c.ClientAddressHeader = "X-Forwarded-For"
		})
		signup := func(email, from string) *response {
			return s.callAs("", "POST", "/auth/signup", map[string]any{"email": email, "password": "correct horse battery", "name": "N"}, "X-Forwarded-For", from)
		}
		// Per email: 10 attempts per 15 minutes, whatever their answer and
		// however the address is written, then 429 even from elsewhere.
		signup("taken@example.com", "203.0.113.1").want(t, 201)
		for i := range 9 {
			signup("taken@example.com", fmt.Sprintf("203.0.113.%d", 2+i)).want(t, 409)
		}
		wantThrottled(t, signup(" TAKEN@example.com", "203.0.113.50"), "11th sign-up for one email")
		// Logging in has its own per-email budget.
		s.callAs("", "POST", "/auth/login", map[string]any{"email": "taken@example.com", "password": "correct horse battery"},
			"X-Forwarded-For", "203.0.113.51").want(t, 201)

		// Per address: sign-ups and logins share the address's 14.
		for i := range 10 {
			signup(fmt.Sprintf("new%d@example.com", i), "198.51.100.9").want(t, 201)
		}
		for i := range 4 {
			s.callAs("", "POST", "/auth/login", map[string]any{"email": fmt.Sprintf("new%d@example.com", i), "password": "wrong password"},
				"X-Forwarded-For", "198.51.100.9").want(t, 401)
		}
		wantThrottled(t, signup("fresh@example.com", "198.51.100.9"), "sign-up past the address's budget")
		wantThrottled(t, s.callAs("", "POST", "/auth/login", map[string]any{"email": "new0@example.com", "password": "correct horse battery"},
			"X-Forwarded-For", "198.51.100.9"), "login after the sign-ups")
		// A refused sign-up created nothing: the address is free elsewhere.
		signup("fresh@example.com", "198.51.100.10").want(t, 201)

		s.Clock.Advance(15 * time.Minute)
		signup("fresher@example.com", "198.51.100.9").want(t, 201)
		signup("taken@example.com", "198.51.100.9").want(t, 409)
	})
}

// One client address may make SigninAddressLimit sign-in attempts per 15
// minutes, whatever the emails, across login, email-otc and
// validate-login-code together.
func TestSigninAddressLimit(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := startServerWith(t, dbURL, nil, func(c *app.Config) { c.SigninAddressLimit = 5 })
		login := func(i int) *response {
			return s.callAs("", "POST", "/auth/login", map[string]any{"email": fmt.Sprintf("guess%d@example.com", i), "password": "some password"})
		}
		otc := func(email string) *response {
			return s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": email})
		}
		validate := func() *response {
			return s.callAs("", "POST", "/auth/validate-login-code", map[string]any{"code": "23456-789AB"})
		}
		// Without ClientAddressHeader configured, X-Forwarded-For is the
		// client's own claim and changes nothing: the connection counts.
		for i := range 5 {
			r := s.callAs("", "POST", "/auth/login", map[string]any{"email": fmt.Sprintf("guess%d@example.com", i), "password": "some password"},
				"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
			r.want(t, 401)
		}
		wantThrottled(t, login(5), "6th login")
		wantThrottled(t, otc("fresh@example.com"), "email-otc after the logins")
		wantThrottled(t, validate(), "validate-login-code after the logins")

		// A new window; this time the budget goes on the other two.
		s.Clock.Advance(15 * time.Minute)
		otc("a@example.com").want(t, 201)
		otc("b@example.com").want(t, 201)
		validate().want(t, 401)
		validate().want(t, 401)
		login(100).want(t, 401)
		wantThrottled(t, login(101), "login after the codes")
		wantThrottled(t, otc("c@example.com"), "email-otc after the codes")
		wantThrottled(t, validate(), "validate-login-code after the codes")
	})
}

// Behind a trusted load balancer the address is the last X-Forwarded-For
// entry: each client has its own budget, and an entry a client writes
// itself in front changes nothing.
func TestSigninAddressHeader(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := startServerWith(t, dbURL, nil, func(c *app.Config) {
			c.SigninAddressLimit = 2
			c.ClientAddressHeader = "X-Forwarded-For"
		})
		n := 0
		login := func(xff string) *response {
			n++
			return s.callAs("", "POST", "/auth/login", map[string]any{"email": fmt.Sprintf("x%d@example.com", n), "password": "some password"}, "X-Forwarded-For", xff)
		}
		login("203.0.113.1").want(t, 401)
		login("203.0.113.1").want(t, 401)
		wantThrottled(t, login("203.0.113.1"), "third attempt from 203.0.113.1")
		// Another client has its own budget.
		login("203.0.113.2").want(t, 401)
		// Forged first entries do not escape: the balancer's last one counts.
		wantThrottled(t, login("198.51.100.7, 203.0.113.1"), "forged first entry")
		wantThrottled(t, login("203.0.113.2, 203.0.113.1"), "another client's address forged first")
		wantThrottled(t, login("198.51.100.7,203.0.113.1"), "forged first entry without a space")
		// And the last entry is the one that counts.
		login("203.0.113.1, 203.0.113.3").want(t, 401)
		login("203.0.113.2").want(t, 401)
		wantThrottled(t, login("203.0.113.2"), "third attempt from 203.0.113.2")
	})
}

// ---- Access token lifetime ----

// A user access token lives 15 minutes; the refresh token then gets a
// new one.
func TestExpiredAccessToken(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p, _ := s.founder(t, "short@example.com")
		s.Clock.Advance(15*time.Minute - time.Second)
		p.as(s, t, "GET", "/accounts", nil).want(t, 200)
		s.Clock.Advance(2 * time.Second)
		p.as(s, t, "GET", "/accounts", nil).want(t, 401).wantJSON(t, errUnauthorized)
		p.as(s, t, "GET", "/user-roles", nil).want(t, 401)
		tok := wantTokens(t, s.callAs("", "POST", "/auth/refresh-access-token", map[string]any{"access_token": p.Tokens.AccessToken.Reveal(), "refresh_token": p.Tokens.RefreshToken.Reveal()}))
		s.callAs("", "GET", "/accounts", nil, bearer(tok)...).want(t, 200)
	})
}
