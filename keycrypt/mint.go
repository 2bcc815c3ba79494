package keycrypt

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/google/uuid"
)

// Everything Keyway hands out that must be unguessable or unique is minted
// here: object ids, event ids and secrets, besides the key strings above.

// NewID returns a UUIDv7 (RFC 9562) for a new object. Lists break ties of
// equal creation times by id, so ids must increase within a process:
// uuid.NewV7 guarantees that (its 12 bits after the millisecond count on
// when two ids fall in one), and it draws the rest from crypto/rand.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		panic("keycrypt: crypto/rand failed: " + err.Error())
	}
	return id.String()
}

// NewEventID returns a fresh event id, "evt_" and 32 hex digits; it is the
// webhook-id of every delivery of the event, retries included.
func NewEventID() string {
	var b [16]byte
	mustRead(b[:])
	return "evt_" + hex.EncodeToString(b[:])
}

// NewWebhookSecret returns a Standard Webhooks secret: "whsec_" and the
// base64 of 32 random bytes.
func NewWebhookSecret() string {
	var b [32]byte
	mustRead(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

// refreshPrefix marks refresh tokens, so one pasted in the wrong place is
// recognisable.
const refreshPrefix = "rt_"

// sessionPrefix marks the dashboard's session tokens (the cookie's
// value), setupPrefix the one-time token of the first-run setup link.
const (
	sessionPrefix = "kws_"
	setupPrefix   = "kwsetup_"
)

// tokenRandomLen is the random part of refresh, session and setup tokens:
// 48 of 62 characters, about 285 bits.
const tokenRandomLen = 48

// newToken returns a fresh token with its prefix and the digest to store
// for it: the store keeps only the digest.
func newToken(prefix string) (string, Hash) {
	t := prefix + RandomString(tokenRandomLen)
	return t, HashKey(t)
}

// tokenDigest is the stored digest of a presented token of one kind; a
// string of another shape is refused before any lookup.
func tokenDigest(prefix, t string, notIt error) (Hash, error) {
	if !strings.HasPrefix(t, prefix) || len(t) != len(prefix)+tokenRandomLen {
		return Hash{}, notIt
	}
	return HashKey(t), nil
}

// NewRefreshToken returns a refresh token and the digest to store for it.
func NewRefreshToken() (string, Hash) { return newToken(refreshPrefix) }

// ErrNotRefreshToken means a string cannot be a refresh token.
var ErrNotRefreshToken = errors.New("keycrypt: not a refresh token")

// RefreshDigest returns the stored digest of a presented refresh token.
func RefreshDigest(t string) (Hash, error) { return tokenDigest(refreshPrefix, t, ErrNotRefreshToken) }

// NewSessionToken returns a dashboard session token and its digest.
func NewSessionToken() (string, Hash) { return newToken(sessionPrefix) }

// ErrNotSessionToken means a string cannot be a session token.
var ErrNotSessionToken = errors.New("keycrypt: not a session token")

// SessionDigest returns the stored digest of a presented session token.
func SessionDigest(t string) (Hash, error) { return tokenDigest(sessionPrefix, t, ErrNotSessionToken) }

// NewSetupToken returns a first-run setup token and its digest.
func NewSetupToken() (string, Hash) { return newToken(setupPrefix) }

// ErrNotSetupToken means a string cannot be a setup token.
var ErrNotSetupToken = errors.New("keycrypt: not a setup token")

// SetupDigest returns the stored digest of a presented setup token.
func SetupDigest(t string) (Hash, error) { return tokenDigest(setupPrefix, t, ErrNotSetupToken) }

// mustRead fills b from the CSPRNG. crypto/rand does not fail on the
// systems Go supports; if it ever did, minting a guessable secret would be
// worse than stopping.
func mustRead(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic("keycrypt: crypto/rand failed: " + err.Error())
	}
}
