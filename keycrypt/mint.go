package keycrypt

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"

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

// mustRead fills b from the CSPRNG. crypto/rand does not fail on the
// systems Go supports; if it ever did, minting a guessable secret would be
// worse than stopping.
func mustRead(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic("keycrypt: crypto/rand failed: " + err.Error())
	}
}
