package mailer_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	testUser = "mailer"
	// testPass has characters that must be percent-encoded in the URL, so
	// the tests also cover decoding.
	testPass = "s3cr:t/p@ss"
)

// received is one message as the test server saw it.
type received struct {
	From   string
	To     []string
	Data   []byte
	TLS    bool // the session ran over TLS (STARTTLS or implicit)
	Authed bool
}

// testServer is a real SMTP server on 127.0.0.1 that records what it gets.
type testServer struct {
	Addr string
	// Pool trusts the server's self-signed certificate, for SMTPOptions.
	Pool *x509.CertPool

	mu       sync.Mutex
	msgs     []received
	authSeen int
}

type serverConfig struct {
	startTLS    bool // offer STARTTLS
	implicitTLS bool // TLS from the first byte (smtps)
	auth        bool // offer AUTH PLAIN and require it for MAIL
	// insecureAuth offers AUTH before TLS too, to check that the client
	// refuses to use it.
	insecureAuth bool
}

func startServer(t *testing.T, cfg serverConfig) *testServer {
	t.Helper()
	ts := &testServer{}
	cert, pool := testCert(t)
	ts.Pool = pool
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}

	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &testSession{srv: ts, requireAuth: cfg.auth, tls: isTLS}, nil
	}))
	s.Domain = "localhost"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.AllowInsecureAuth = cfg.insecureAuth
	s.ErrorLog = log.New(io.Discard, "", 0)
	if cfg.startTLS {
		s.TLSConfig = tlsCfg
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.implicitTLS {
		l = tls.NewListener(l, tlsCfg)
	}
	ts.Addr = l.Addr().String()
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(l)
	}()
	t.Cleanup(func() {
		_ = s.Close()
		// Server.Close only closes listeners Serve has registered; if Serve
		// has not started yet it would then wait forever.
		_ = l.Close()
		<-served
	})
	return ts
}

func (ts *testServer) messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

func (ts *testServer) authAttempts() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.authSeen
}

type testSession struct {
	srv         *testServer
	requireAuth bool
	tls         bool
	authed      bool
	cur         received
}

func (s *testSession) AuthMechanisms() []string {
	if !s.requireAuth {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		s.srv.mu.Lock()
		s.srv.authSeen++
		s.srv.mu.Unlock()
		if user != testUser || pass != testPass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.requireAuth && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = received{From: from, TLS: s.tls, Authed: s.authed}
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *testSession) Reset()        { s.cur = received{} }
func (s *testSession) Logout() error { return nil }

// testCert makes a self-signed ECDSA certificate for 127.0.0.1 and a pool
// that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailer test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
