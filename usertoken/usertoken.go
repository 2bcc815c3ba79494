// Package usertoken issues and checks the access tokens people sign in
// with: short-lived JWTs (HS256, keyed from the sealing secret). The
// opaque refresh token beside each is a secret like any other, minted by
// keycrypt (NewRefreshToken) and stored only as a digest.
package usertoken

import (
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// issuer names Keyway in the tokens it signs; tokens naming another
// issuer are refused.
const issuer = "keyway"

// DefaultTTL is the life of an access token.
const DefaultTTL = 15 * time.Minute

// Issuer signs and verifies access tokens.
type Issuer struct {
	key   []byte
	ttl   time.Duration
	clock keyway.Clock
}

// NewIssuer derives the signing key from the sealing secret.
func NewIssuer(secret []byte, ttl time.Duration, clock keyway.Clock) (*Issuer, error) {
	key, err := keycrypt.DeriveKey(secret, "user-token")
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Issuer{key: key, ttl: ttl, clock: clock}, nil
}

// Issue returns an access token for a user and how long it lives.
func (i *Issuer) Issue(userID string) (string, time.Duration, error) {
	now := i.clock.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    issuer,
		Subject:   userID,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(i.ttl)),
		ID:        keycrypt.RandomString(16),
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(i.key)
	if err != nil {
		return "", 0, fmt.Errorf("usertoken: sign: %w", err)
	}
	return token, i.ttl, nil
}

// Verify returns the user an access token was issued to. Anything else —
// another algorithm (including "none"), another key or issuer, a token
// past its expiry or without one — is keyway.ErrUnauthorized.
func (i *Issuer) Verify(token string) (string, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(i.clock.Now),
	)
	var claims jwt.RegisteredClaims
	if _, err := parser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return i.key, nil }); err != nil {
		return "", keyway.ErrUnauthorized
	}
	if claims.Subject == "" {
		return "", keyway.ErrUnauthorized
	}
	return claims.Subject, nil
}
