package usertoken

import (
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

func newIssuer(t *testing.T) (*Issuer, *keywaytest.Clock, []byte) {
	t.Helper()
	clock := keywaytest.NewClock()
	secret := keycrypt.NewSecret()
	i, err := NewIssuer(secret, 0, clock)
	if err != nil {
		t.Fatal(err)
	}
	return i, clock, secret
}

func TestIssueAndVerify(t *testing.T) {
	i, clock, _ := newIssuer(t)
	tok, ttl, err := i.Issue("user-1")
	if err != nil || ttl != DefaultTTL {
		t.Fatalf("Issue: %v, ttl %v", err, ttl)
	}
	if user, err := i.Verify(tok); err != nil || user != "user-1" {
		t.Fatalf("Verify = %q, %v", user, err)
	}
	clock.Advance(DefaultTTL - time.Second)
	if _, err := i.Verify(tok); err != nil {
		t.Fatalf("still valid before expiry: %v", err)
	}
	clock.Advance(2 * time.Second)
	if _, err := i.Verify(tok); err != keyway.ErrUnauthorized {
		t.Fatalf("expired token: %v, want ErrUnauthorized", err)
	}
}

// Tokens not made by this issuer with HS256 are refused, however they try.
func TestVerifyRefusesForgeries(t *testing.T) {
	i, clock, _ := newIssuer(t)
	now := clock.Now()
	claims := jwt.RegisteredClaims{Issuer: issuer, Subject: "user-1", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}
	sign := func(m jwt.SigningMethod, key any, c jwt.Claims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _, _ := newIssuer(t)
	otherTok, _, _ := other.Issue("user-1")
	good, _, _ := i.Issue("user-1")
	noExpiry := jwt.RegisteredClaims{Issuer: issuer, Subject: "user-1", IssuedAt: jwt.NewNumericDate(now)}
	wrongIssuer := claims
	wrongIssuer.Issuer = "someone-else"
	noSubject := claims
	noSubject.Subject = ""
	future := claims
	future.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour))
	for name, tok := range map[string]string{
		"alg none":        sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims),
		"RS256":           sign(jwt.SigningMethodRS256, rsaKey, claims),
		"HS512 same key":  sign(jwt.SigningMethodHS512, i.key, claims),
		"another secret":  otherTok,
		"no expiry":       sign(jwt.SigningMethodHS256, i.key, noExpiry),
		"another issuer":  sign(jwt.SigningMethodHS256, i.key, wrongIssuer),
		"no subject":      sign(jwt.SigningMethodHS256, i.key, noSubject),
		"issued later":    sign(jwt.SigningMethodHS256, i.key, future),
		"tampered":        good[:len(good)-2] + "xx",
		"not a jwt":       "live_access_abc",
		"empty":           "",
		"payload swapped": strings.Join([]string{strings.Split(good, ".")[0], strings.Split(otherTok, ".")[1], strings.Split(good, ".")[2]}, "."),
	} {
		if user, err := i.Verify(tok); err != keyway.ErrUnauthorized {
			t.Errorf("%s: Verify = %q, %v; want ErrUnauthorized", name, user, err)
		}
	}
}
