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

// NewRefreshToken returns a refresh token and the digest to store for it.
func NewRefreshToken() (string, Hash) {
	t := refreshPrefix + RandomString(48)
	return t, HashKey(t)
}

// ErrNotRefreshToken means a string cannot be a refresh token.
var ErrNotRefreshToken = errors.New("keycrypt: not a refresh token")

// RefreshDigest returns the stored digest of a presented refresh token.
func RefreshDigest(t string) (Hash, error) {
	if !strings.HasPrefix(t, refreshPrefix) || len(t) != len(refreshPrefix)+48 {
		return Hash{}, ErrNotRefreshToken
	}
	return HashKey(t), nil
}

// mustRead fills b from the CSPRNG. crypto/rand does not fail on the
// systems Go supports; if it ever did, minting a guessable secret would be
// worse than stopping.
func mustRead(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic("keycrypt: crypto/rand failed: " + err.Error())
	}
}
