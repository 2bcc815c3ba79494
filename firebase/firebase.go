// Package firebase verifies Firebase Authentication ID tokens, so that a
// person who signed in with Firebase can be given a Keyway account.
//
// A token is accepted only if it is an RS256 JWT signed by one of the keys
// Google publishes for securetoken@system.gserviceaccount.com, names our
// project as audience and issuer, and is current. The rules follow
// https://firebase.google.com/docs/auth/admin/verify-id-tokens.
//
// Time claims (exp, iat, nbf, auth_time) are checked with five minutes of
// leeway in both directions, because the clocks of Google, of the device
// that got the token and of this server never agree exactly, and a token
// refused for a few seconds of drift is a sign-in that mysteriously fails.
// So a token is still accepted up to five minutes after its exp.
package firebase

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"

	"github.com/keywayhq/keyway"
)

// DefaultCertsURL is where Google publishes the keys that sign Firebase ID tokens.
const DefaultCertsURL = "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"

const (
	// clockSkew is how far exp, iat, nbf and auth_time may be on the
	// wrong side of our clock before a token is refused.
	clockSkew = 5 * time.Minute
	// maxTokenLen bounds the work an anonymous caller can make us do;
	// real ID tokens are around 1 KiB even with custom claims.
	maxTokenLen = 8 << 10
	// maxUIDLen is Firebase's own limit on a uid.
	maxUIDLen = 128
	// maxCertsBody bounds what we read from the certificate endpoint; the
	// real answer is a few KiB.
	maxCertsBody = 1 << 20

	fetchTimeout = 10 * time.Second
	// defaultMaxAge applies when the response gives no usable max-age.
	defaultMaxAge = time.Hour
	// minMaxAge and maxMaxAge clamp the response's max-age: a zero would
	// have us fetch on every sign-in, and a huge one would keep a key
	// Google has withdrawn for as long as the process lives.
	minMaxAge = time.Minute
	maxMaxAge = 24 * time.Hour
	// refetchInterval limits refetches caused by a kid we do not know:
	// one is needed to pick up a rotated key, more would let anyone with
	// a forged kid make us hammer Google.
	refetchInterval = time.Minute
)

// Identity is who a verified ID token says the bearer is; it is the
// domain's, so that a Verifier is a keyway.FirebaseVerifier.
type Identity = keyway.FirebaseIdentity

// ErrInvalidToken: the token is forged, expired, malformed or for another
// project. Callers answer 401. It is the domain's sentinel, so the service
// recognises it without importing this package.
var ErrInvalidToken = keyway.ErrInvalidFirebaseToken

// Options configure a Verifier.
type Options struct {
	ProjectID string           // required
	CertsURL  string           // "" = DefaultCertsURL
	Client    *http.Client     // nil = a client with a 10 s timeout
	Now       func() time.Time // nil = time.Now (tests inject a clock)
}

// Verifier checks ID tokens for one Firebase project. It caches Google's
// certificates and is safe for concurrent use.
type Verifier struct {
	projectID string
	issuer    string
	certsURL  string
	client    *http.Client
	now       func() time.Time

	// flight makes concurrent verifications that all need the
	// certificates share one fetch.
	flight singleflight.Group

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	expires time.Time // keys are fresh until then
	tried   time.Time // when the last fetch ended, success or not
	// gen counts finished fetches; a fetch started by someone who saw an
	// older gen is redundant and reuses the newer result (lastErr or keys).
	gen     uint64
	lastErr error
}

// New returns a Verifier for o.ProjectID. It fetches nothing until the
// first Verify, so that starting the service does not depend on Google.
func New(o Options) (*Verifier, error) {
	if o.ProjectID == "" {
		return nil, errors.New("firebase: project ID is required")
	}
	v := &Verifier{
		projectID: o.ProjectID,
		issuer:    "https://securetoken.google.com/" + o.ProjectID,
		certsURL:  o.CertsURL,
		client:    o.Client,
		now:       o.Now,
	}
	if v.certsURL == "" {
		v.certsURL = DefaultCertsURL
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: fetchTimeout}
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

type claims struct {
	jwt.RegisteredClaims
	AuthTime      *jwt.NumericDate `json:"auth_time"`
	Email         string           `json:"email"`
	EmailVerified bool             `json:"email_verified"`
	Name          string           `json:"name"`
}

// Verify checks idToken and returns whom it identifies. Every reason to
// refuse the token is an error wrapping ErrInvalidToken; any other error
// means the certificates could not be had (or ctx ended) and the token
// may well be good.
func (v *Verifier) Verify(ctx context.Context, idToken string) (Identity, error) {
	if idToken == "" {
		return Identity{}, invalid("empty")
	}
	if len(idToken) > maxTokenLen {
		return Identity{}, invalid("too long")
	}
	// Claims are checked below rather than by jwt, so that the reasons
	// we give are fixed strings and never echo header or claim values.
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithoutClaimsValidation(),
	)
	var c claims
	// The keyfunc's own error is kept aside because jwt wraps it in
	// ErrTokenUnverifiable, which would hide a failed fetch behind what
	// looks like a bad token.
	var keyErr error
	tok, err := p.ParseWithClaims(idToken, &c, func(t *jwt.Token) (any, error) {
		var key *rsa.PublicKey
		key, keyErr = v.keyFor(ctx, t)
		return key, keyErr
	})
	if keyErr != nil {
		return Identity{}, keyErr
	}
	if err != nil {
		return Identity{}, invalid(parseReason(tok, err))
	}
	if err := v.checkClaims(&c); err != nil {
		return Identity{}, err
	}
	return Identity{UID: c.Subject, Email: c.Email, EmailVerified: c.EmailVerified, Name: c.Name}, nil
}

func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, reason)
}

func parseReason(tok *jwt.Token, err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// jwt says this when alg is missing or one it does not know.
		return "algorithm not allowed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if tok != nil && tok.Method != nil && tok.Method.Alg() != jwt.SigningMethodRS256.Alg() {
			return "algorithm not allowed"
		}
		return "bad signature"
	default:
		return "rejected"
	}
}

func (v *Verifier) keyFor(ctx context.Context, t *jwt.Token) (*rsa.PublicKey, error) {
	// WithValidMethods already refuses other algorithms; checking again
	// here keeps an RSA key from ever reaching another method's Verify,
	// which is the whole of the HS256-with-public-key attack.
	if t.Method != jwt.SigningMethodRS256 {
		return nil, invalid("algorithm not allowed")
	}
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, invalid("missing kid")
	}
	return v.publicKey(ctx, kid)
}

func (v *Verifier) checkClaims(c *claims) error {
	now := v.now()
	late := now.Add(-clockSkew)
	early := now.Add(clockSkew)
	switch {
	case c.Issuer != v.issuer:
		return invalid("wrong issuer")
	// Firebase always sends a single audience; a list that merely
	// contains ours is not a token Firebase minted for us.
	case len(c.Audience) != 1 || c.Audience[0] != v.projectID:
		return invalid("wrong audience")
	case c.Subject == "":
		return invalid("missing sub")
	case len(c.Subject) > maxUIDLen:
		return invalid("sub too long")
	case c.ExpiresAt == nil:
		return invalid("missing exp")
	case !c.ExpiresAt.After(late):
		return invalid("expired")
	case c.IssuedAt == nil:
		return invalid("missing iat")
	case c.IssuedAt.After(early):
		return invalid("issued in the future")
	case c.NotBefore != nil && c.NotBefore.After(early):
		return invalid("not yet valid")
	case c.AuthTime == nil:
		return invalid("missing auth_time")
	case c.AuthTime.After(early):
		return invalid("auth_time in the future")
	}
	return nil
}

// publicKey returns the key named kid, fetching the certificates when the
// cache is stale, or when kid is unknown and we have not fetched for a
// minute.
func (v *Verifier) publicKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	now := v.now()
	key, known := v.keys[kid]
	fresh := v.keys != nil && now.Before(v.expires)
	recent := v.gen > 0 && now.Sub(v.tried) < refetchInterval
	gen := v.gen
	v.mu.Unlock()
	if fresh && known {
		return key, nil
	}
	if fresh && recent {
		return nil, invalid("unknown kid")
	}

	// The fetch runs detached from ctx, so that a caller who gives up
	// does not fail everyone else sharing the fetch and the work still
	// fills the cache; the caller itself stops waiting when ctx ends.
	fctx := context.WithoutCancel(ctx)
	ch := v.flight.DoChan("certs", func() (any, error) { return v.refresh(fctx, gen) })
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("firebase: waiting for certificates: %w", ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		if key, ok := r.Val.(map[string]*rsa.PublicKey)[kid]; ok {
			return key, nil
		}
		return nil, invalid("unknown kid")
	}
}

// refresh fetches the certificates unless a fetch has ended since the
// caller looked at the cache (generation seen), in which case that
// fetch's outcome is the answer.
func (v *Verifier) refresh(ctx context.Context, seen uint64) (map[string]*rsa.PublicKey, error) {
	v.mu.Lock()
	if v.gen != seen {
		keys, err := v.keys, v.lastErr
		v.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return keys, nil
	}
	v.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	keys, maxAge, err := v.fetch(ctx)

	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	v.gen++
	v.tried = now
	v.lastErr = err
	if err != nil {
		// Keys we already had stay usable until they expire, so an
		// outage during an unknown-kid refetch costs nothing else.
		return nil, err
	}
	v.keys = keys
	v.expires = now.Add(maxAge)
	return keys, nil
}

func (v *Verifier) fetch(ctx context.Context) (map[string]*rsa.PublicKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.certsURL, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("firebase: fetching certificates: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("firebase: fetching certificates: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("firebase: fetching certificates: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCertsBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("firebase: reading certificates: %w", err)
	}
	if len(body) > maxCertsBody {
		return nil, 0, fmt.Errorf("firebase: certificate response exceeds %d bytes", maxCertsBody)
	}
	var pems map[string]string
	if err := json.Unmarshal(body, &pems); err != nil {
		return nil, 0, fmt.Errorf("firebase: decoding certificates: %w", err)
	}
	if len(pems) == 0 {
		return nil, 0, errors.New("firebase: certificate response lists no certificates")
	}
	keys := make(map[string]*rsa.PublicKey, len(pems))
	for kid, p := range pems {
		key, err := parseCert(p)
		if err != nil {
			return nil, 0, fmt.Errorf("firebase: certificate %q: %w", kid, err)
		}
		keys[kid] = key
	}
	return keys, maxAge(resp.Header.Get("Cache-Control")), nil
}

// parseCert takes the RSA key out of a PEM certificate. The certificate's
// own validity dates are not checked: Google's tooling treats these as a
// key set whose lifetime is the Cache-Control max-age, and so do we.
func parseCert(p string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is %T, not RSA", cert.PublicKey)
	}
	return key, nil
}

// maxAge reads max-age from a Cache-Control header, clamped to
// [minMaxAge, maxMaxAge].
func maxAge(cacheControl string) time.Duration {
	for d := range strings.SplitSeq(cacheControl, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(d), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "max-age") {
			continue
		}
		n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
		if err != nil || n < 0 {
			return defaultMaxAge
		}
		if n > int64(maxMaxAge/time.Second) {
			return maxMaxAge
		}
		return max(time.Duration(n)*time.Second, minMaxAge)
	}
	return defaultMaxAge
}
