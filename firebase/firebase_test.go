package firebase_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keywayhq/keyway/firebase"
	"github.com/keywayhq/keyway/keywaytest"
)

const projectID = "keyway-test"

type testKey struct {
	priv *rsa.PrivateKey
	cert string // PEM certificate, as Google publishes it
}

// keys are made once: 2048-bit generation is slow enough to matter when
// every test wants a few.
var keys = sync.OnceValue(func() []testKey {
	out := make([]testKey, 3)
	for i := range out {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		out[i] = testKey{priv: priv, cert: selfSigned(priv.Public(), priv)}
	}
	return out
})

func selfSigned(pub, priv any) string {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "securetoken.system.gserviceaccount.com"},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// certServer plays Google's certificate endpoint.
type certServer struct {
	*httptest.Server
	requests atomic.Int32

	mu           sync.Mutex
	certs        map[string]string
	status       int
	cacheControl string
	body         string        // when set, sent instead of certs
	hold         chan struct{} // when set, requests wait for it to close
	arrived      chan struct{} // when set, told of each request before holding
}

func newCertServer(t *testing.T) *certServer {
	t.Helper()
	s := &certServer{
		certs:        map[string]string{"kid-a": keys()[0].cert, "kid-b": keys()[1].cert},
		status:       http.StatusOK,
		cacheControl: "public, max-age=3600, must-revalidate, no-transform",
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *certServer) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	hold, arrived := s.hold, s.arrived
	status, cc, body := s.status, s.cacheControl, s.body
	if body == "" {
		b, _ := json.Marshal(s.certs)
		body = string(b)
	}
	s.mu.Unlock()
	if arrived != nil {
		arrived <- struct{}{}
	}
	if hold != nil {
		<-hold
	}
	if cc != "" {
		w.Header().Set("Cache-Control", cc)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (s *certServer) set(f func(s *certServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *certServer) count() int { return int(s.requests.Load()) }

func newVerifier(t *testing.T, url string, clock *keywaytest.Clock) *firebase.Verifier {
	t.Helper()
	v, err := firebase.New(firebase.Options{ProjectID: projectID, CertsURL: url, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func validClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":            "https://securetoken.google.com/" + projectID,
		"aud":            projectID,
		"sub":            "fb-uid-123",
		"user_id":        "fb-uid-123",
		"iat":            now.Add(-time.Minute).Unix(),
		"exp":            now.Add(59 * time.Minute).Unix(),
		"auth_time":      now.Add(-2 * time.Minute).Unix(),
		"email":          "ada@example.com",
		"email_verified": true,
		"name":           "Ada Lovelace",
		"firebase":       map[string]any{"sign_in_provider": "google.com"},
	}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
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

func signRS256(t *testing.T, key testKey, kid string, c jwt.MapClaims) string {
	t.Helper()
	return sign(t, jwt.SigningMethodRS256, key.priv, kid, c)
}

func wantInvalid(t *testing.T, err error, token string) {
	t.Helper()
	if !errors.Is(err, firebase.ErrInvalidToken) {
		t.Fatalf("err = %v, want ErrInvalidToken", err)
	}
	if token != "" && strings.Contains(err.Error(), token) {
		t.Fatalf("error message includes the token: %v", err)
	}
}

func wantUnavailable(t *testing.T, err error) {
	t.Helper()
	if err == nil || errors.Is(err, firebase.ErrInvalidToken) {
		t.Fatalf("err = %v, want a certificate error that is not ErrInvalidToken", err)
	}
}

func TestNew(t *testing.T) {
	if _, err := firebase.New(firebase.Options{}); err == nil {
		t.Fatal("New without a project ID succeeded")
	}
	if _, err := firebase.New(firebase.Options{ProjectID: projectID}); err != nil {
		t.Fatalf("New with defaults: %v", err)
	}
}

func TestVerifyValid(t *testing.T) {
	clock := keywaytest.NewClock()
	srv := newCertServer(t)
	v := newVerifier(t, srv.URL, clock)

	for _, kid := range []string{"kid-a", "kid-b"} {
		key := keys()[0]
		if kid == "kid-b" {
			key = keys()[1]
		}
		id, err := v.Verify(t.Context(), signRS256(t, key, kid, validClaims(clock.Now())))
		if err != nil {
			t.Fatalf("%s: %v", kid, err)
		}
		want := firebase.Identity{UID: "fb-uid-123", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"}
		if id != want {
			t.Fatalf("%s: identity = %+v, want %+v", kid, id, want)
		}
	}
	if n := srv.count(); n != 1 {
		t.Fatalf("certificate fetches = %d, want 1", n)
	}

	// Phone sign-ins carry neither email nor name.
	c := validClaims(clock.Now())
	delete(c, "email")
	delete(c, "email_verified")
	delete(c, "name")
	id, err := v.Verify(t.Context(), signRS256(t, keys()[0], "kid-a", c))
	if err != nil || id != (firebase.Identity{UID: "fb-uid-123"}) {
		t.Fatalf("minimal token: %+v, %v", id, err)
	}
}

func TestVerifyAcceptsEdges(t *testing.T) {
	clock := keywaytest.NewClock()
	srv := newCertServer(t)
	v := newVerifier(t, srv.URL, clock)
	now := clock.Now()
	within := 4 * time.Minute

	for name, mutate := range map[string]func(jwt.MapClaims){
		"exp just past":            func(c jwt.MapClaims) { c["exp"] = now.Add(-within).Unix() },
		"iat just ahead":           func(c jwt.MapClaims) { c["iat"] = now.Add(within).Unix() },
		"auth_time just ahead":     func(c jwt.MapClaims) { c["auth_time"] = now.Add(within).Unix() },
		"fractional times":         func(c jwt.MapClaims) { c["iat"] = float64(now.Unix()) - 0.5 },
		"sub of exactly 128 bytes": func(c jwt.MapClaims) { c["sub"] = strings.Repeat("u", 128) },
	} {
		c := validClaims(now)
		mutate(c)
		if _, err := v.Verify(t.Context(), signRS256(t, keys()[0], "kid-a", c)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	k0, k1, stranger := keys()[0], keys()[1], keys()[2]
	claims := func(now time.Time, mutate func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims(now)
		mutate(c)
		return c
	}
	cases := []struct {
		name  string
		token func(t *testing.T, now time.Time) string
		// noFetch: the token must be refused before we go to Google,
		// so junk cannot cost us a request.
		noFetch bool
	}{
		{name: "expired", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["exp"] = now.Add(-6 * time.Minute).Unix() }))
		}},
		{name: "missing exp", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { delete(c, "exp") }))
		}},
		{name: "iat in the future", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["iat"] = now.Add(6 * time.Minute).Unix() }))
		}},
		{name: "missing iat", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { delete(c, "iat") }))
		}},
		{name: "nbf in the future", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["nbf"] = now.Add(6 * time.Minute).Unix() }))
		}},
		{name: "auth_time in the future", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["auth_time"] = now.Add(6 * time.Minute).Unix() }))
		}},
		{name: "missing auth_time", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { delete(c, "auth_time") }))
		}},
		{name: "wrong audience", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["aud"] = "someone-else" }))
		}},
		{name: "audience list containing ours", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["aud"] = []string{projectID, "someone-else"} }))
		}},
		{name: "missing audience", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { delete(c, "aud") }))
		}},
		{name: "wrong issuer", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["iss"] = "https://securetoken.google.com/someone-else" }))
		}},
		{name: "issuer without scheme", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["iss"] = "securetoken.google.com/" + projectID }))
		}},
		{name: "missing sub", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { delete(c, "sub") }))
		}},
		{name: "empty sub", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["sub"] = "" }))
		}},
		{name: "sub over 128 bytes", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["sub"] = strings.Repeat("u", 129) }))
		}},
		{name: "email_verified not a bool", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["email_verified"] = "true" }))
		}},
		{name: "signed by a stranger claiming a known kid", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, stranger, "kid-a", validClaims(now))
		}},
		{name: "signed by the other known key", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k1, "kid-a", validClaims(now))
		}},
		{name: "signature stripped", token: func(t *testing.T, now time.Time) string {
			s := signRS256(t, k0, "kid-a", validClaims(now))
			return s[:strings.LastIndex(s, ".")+1]
		}},
		{name: "claims swapped after signing", token: func(t *testing.T, now time.Time) string {
			good := strings.Split(signRS256(t, k0, "kid-a", validClaims(now)), ".")
			other := strings.Split(signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["sub"] = "someone-else" })), ".")
			return good[0] + "." + other[1] + "." + good[2]
		}},
		{name: "missing kid", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "", validClaims(now))
		}, noFetch: true},
		{name: "alg none", token: func(t *testing.T, now time.Time) string {
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "kid-a", validClaims(now))
		}, noFetch: true},
		{name: "HS256 keyed with the certificate PEM", token: func(t *testing.T, now time.Time) string {
			return sign(t, jwt.SigningMethodHS256, []byte(k0.cert), "kid-a", validClaims(now))
		}, noFetch: true},
		{name: "HS256 keyed with the public key PEM", token: func(t *testing.T, now time.Time) string {
			der, err := x509.MarshalPKIXPublicKey(&k0.priv.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			return sign(t, jwt.SigningMethodHS256, pub, "kid-a", validClaims(now))
		}, noFetch: true},
		{name: "RS512 with the right key", token: func(t *testing.T, now time.Time) string {
			return sign(t, jwt.SigningMethodRS512, k0.priv, "kid-a", validClaims(now))
		}, noFetch: true},
		{name: "PS256 with the right key", token: func(t *testing.T, now time.Time) string {
			return sign(t, jwt.SigningMethodPS256, k0.priv, "kid-a", validClaims(now))
		}, noFetch: true},
		{name: "empty", token: func(*testing.T, time.Time) string { return "" }, noFetch: true},
		{name: "garbage", token: func(*testing.T, time.Time) string { return "not a token" }, noFetch: true},
		{name: "three dots", token: func(*testing.T, time.Time) string { return "a.b.c.d" }, noFetch: true},
		{name: "empty segments", token: func(*testing.T, time.Time) string { return ".." }, noFetch: true},
		{name: "bad base64", token: func(*testing.T, time.Time) string { return "!!!.???.***" }, noFetch: true},
		{name: "header not JSON", token: func(*testing.T, time.Time) string { return "bm90IGpzb24.e30.c2ln" }, noFetch: true},
		{name: "over 8 KiB", token: func(t *testing.T, now time.Time) string {
			return signRS256(t, k0, "kid-a", claims(now, func(c jwt.MapClaims) { c["name"] = strings.Repeat("x", 8<<10) }))
		}, noFetch: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := keywaytest.NewClock()
			srv := newCertServer(t)
			v := newVerifier(t, srv.URL, clock)
			tok := tc.token(t, clock.Now())
			id, err := v.Verify(t.Context(), tok)
			wantInvalid(t, err, tok)
			if id != (firebase.Identity{}) {
				t.Fatalf("identity = %+v alongside an error", id)
			}
			if tc.noFetch && srv.count() != 0 {
				t.Fatalf("certificate fetches = %d, want 0", srv.count())
			}
		})
	}
}

func TestUnknownKidRefetchesAtMostOncePerMinute(t *testing.T) {
	clock := keywaytest.NewClock()
	srv := newCertServer(t)
	v := newVerifier(t, srv.URL, clock)
	forged := func() string { return signRS256(t, keys()[2], "kid-forged", validClaims(clock.Now())) }
	verifyForged := func(wantFetches int) {
		t.Helper()
		tok := forged()
		_, err := v.Verify(t.Context(), tok)
		wantInvalid(t, err, tok)
		if n := srv.count(); n != wantFetches {
			t.Fatalf("certificate fetches = %d, want %d", n, wantFetches)
		}
	}

	verifyForged(1) // the first fetch of all
	verifyForged(1)
	clock.Advance(59 * time.Second)
	verifyForged(1)
	clock.Advance(2 * time.Second)
	verifyForged(2) // a minute on: maybe the key has rotated
	for range 10 {
		verifyForged(2)
	}
	clock.Advance(time.Minute)
	verifyForged(3)

	// Known kids keep being answered from the cache throughout.
	if _, err := v.Verify(t.Context(), signRS256(t, keys()[0], "kid-a", validClaims(clock.Now()))); err != nil {
		t.Fatal(err)
	}
	if n := srv.count(); n != 3 {
		t.Fatalf("certificate fetches = %d, want 3", n)
	}
}

func TestRotatedKeyIsPickedUp(t *testing.T) {
	clock := keywaytest.NewClock()
	srv := newCertServer(t)
	v := newVerifier(t, srv.URL, clock)
	if _, err := v.Verify(t.Context(), signRS256(t, keys()[0], "kid-a", validClaims(clock.Now()))); err != nil {
		t.Fatal(err)
	}

	// Google rotates: kid-a goes, kid-c arrives, long before max-age.
	srv.set(func(s *certServer) { s.certs = map[string]string{"kid-b": keys()[1].cert, "kid-c": keys()[2].cert} })
	clock.Advance(2 * time.Minute)
	if _, err := v.Verify(t.Context(), signRS256(t, keys()[2], "kid-c", validClaims(clock.Now()))); err != nil {
		t.Fatalf("token under the new key: %v", err)
	}
	if n := srv.count(); n != 2 {
		t.Fatalf("certificate fetches = %d, want 2", n)
	}
	tok := signRS256(t, keys()[0], "kid-a", validClaims(clock.Now()))
	_, err := v.Verify(t.Context(), tok)
	wantInvalid(t, err, tok)
}

func TestMaxAgeCaching(t *testing.T) {
	for _, tc := range []struct {
		cacheControl string
		maxAge       time.Duration
	}{
		{"public, max-age=600, must-revalidate, no-transform", 10 * time.Minute},
		{"", time.Hour},                             // absent: default
		{"no-cache", time.Hour},                     // no max-age: default
		{"MAX-AGE=120", 2 * time.Minute},            // directive names are case-insensitive
		{"max-age=0", time.Minute},                  // clamped, or we would fetch per sign-in
		{"max-age=999999999999", 24 * time.Hour},    // clamped, so withdrawn keys do go
		{"max-age=soon", time.Hour},                 // unparsable: default
		{`private, max-age="300"`, 5 * time.Minute}, // quoted, as some proxies write it
	} {
		t.Run(tc.cacheControl, func(t *testing.T) {
			clock := keywaytest.NewClock()
			srv := newCertServer(t)
			srv.set(func(s *certServer) { s.cacheControl = tc.cacheControl })
			v := newVerifier(t, srv.URL, clock)
			verify := func(wantFetches int) {
				t.Helper()
				if _, err := v.Verify(t.Context(), signRS256(t, keys()[0], "kid-a", validClaims(clock.Now()))); err != nil {
					t.Fatal(err)
				}
				if n := srv.count(); n != wantFetches {
					t.Fatalf("certificate fetches = %d, want %d", n, wantFetches)
				}
			}
			verify(1)
			verify(1)
			clock.Advance(tc.maxAge - time.Second)
			verify(1)
			clock.Advance(time.Second)
			verify(2)
			verify(2)
		})
	}
}

func TestCertificateFetchFailures(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		set  func(s *certServer)
	}{
		{"500", func(s *certServer) { s.status = http.StatusInternalServerError }},
		{"404", func(s *certServer) { s.status = http.StatusNotFound }},
		{"not JSON", func(s *certServer) { s.body = "<html>oops</html>" }},
		{"JSON of the wrong shape", func(s *certServer) { s.body = `["kid-a"]` }},
		{"no certificates", func(s *certServer) { s.body = `{}` }},
		{"not PEM", func(s *certServer) { s.certs["kid-a"] = "hello" }},
		{"PEM of something else", func(s *certServer) {
			s.certs["kid-a"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}))
		}},
		{"not an RSA key", func(s *certServer) { s.certs["kid-a"] = selfSigned(ecKey.Public(), ecKey) }},
		{"over 1 MiB", func(s *certServer) { s.body = `{"kid-a":"` + strings.Repeat("x", 1<<20) + `"}` }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := keywaytest.NewClock()
			srv := newCertServer(t)
			srv.set(tc.set)
			v := newVerifier(t, srv.URL, clock)
			tok := signRS256(t, keys()[0], "kid-a", validClaims(clock.Now()))
			_, err := v.Verify(t.Context(), tok)
			wantUnavailable(t, err)

			// A failure is not remembered: once Google is back, so are we.
			srv.set(func(s *certServer) {
				s.certs = map[string]string{"kid-a": keys()[0].cert}
				s.status, s.body = http.StatusOK, ""
			})
			if _, err := v.Verify(t.Context(), tok); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
		})
	}

	t.Run("server down", func(t *testing.T) {
		clock := keywaytest.NewClock()
		srv := newCertServer(t)
		srv.Close()
		v := newVerifier(t, srv.URL, clock)
		_, err := v.Verify(t.Context(), signRS256(t, keys()[0], "kid-a", validClaims(clock.Now())))
		wantUnavailable(t, err)
	})
}

func TestOutageDuringUnknownKidRefetchKeepsKnownKeys(t *testing.T) {
	clock := keywaytest.NewClock()
	srv := newCertServer(t)
	v := newVerifier(t, srv.URL, clock)
	good := func() string { return signRS256(t, keys()[0], "kid-a", validClaims(clock.Now())) }
	if _, err := v.Verify(t.Context(), good()); err != nil {
		t.Fatal(err)
	}

	srv.set(func(s *certServer) { s.status = http.StatusServiceUnavailable })
	clock.Advance(2 * time.Minute)
	_, err := v.Verify(t.Context(), signRS256(t, keys()[2], "kid-new", validClaims(clock.Now())))
	wantUnavailable(t, err)
	if _, err := v.Verify(t.Context(), good()); err != nil {
		t.Fatalf("known kid during the outage: %v", err)
	}
	// Nor may the failed refetch be retried at once for the next forger.
	tok := signRS256(t, keys()[2], "kid-new", validClaims(clock.Now()))
	_, err = v.Verify(t.Context(), tok)
	wantInvalid(t, err, tok)
	if n := srv.count(); n != 2 {
		t.Fatalf("certificate fetches = %d, want 2", n)
	}
}

func TestConcurrentVerifyFetchesOnce(t *testing.T) {
	clock := keywaytest.NewClock()
	srv := newCertServer(t)
	v := newVerifier(t, srv.URL, clock)
	tokens := []string{
		signRS256(t, keys()[0], "kid-a", validClaims(clock.Now())),
		signRS256(t, keys()[1], "kid-b", validClaims(clock.Now())),
	}

	// Hold the fetch until every goroutine has been launched, so that
	// many of them find it in flight; the rest must find it finished, and
	// either way there must be one fetch.
	hold := make(chan struct{})
	srv.set(func(s *certServer) { s.hold = hold })
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := v.Verify(t.Context(), tokens[i%len(tokens)])
			errs <- err
		})
	}
	close(hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.count(); got != 1 {
		t.Fatalf("certificate fetches = %d, want 1", got)
	}
}

func TestCallerGivingUpDoesNotWasteTheFetch(t *testing.T) {
	clock := keywaytest.NewClock()
	srv := newCertServer(t)
	v := newVerifier(t, srv.URL, clock)
	tok := signRS256(t, keys()[0], "kid-a", validClaims(clock.Now()))

	hold, arrived := make(chan struct{}), make(chan struct{}, 1)
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release) // before srv.Close, which waits for the held request
	srv.set(func(s *certServer) { s.hold, s.arrived = hold, arrived })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := v.Verify(ctx, tok)
		done <- err
	}()
	<-arrived
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	wantUnavailable(t, err)

	release()
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if n := srv.count(); n != 1 {
		t.Fatalf("certificate fetches = %d, want 1", n)
	}
}
