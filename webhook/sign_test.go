package webhook

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway/keycrypt"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := keycrypt.NewWebhookSecret()
		rest, ok := strings.CutPrefix(s, "whsec_")
		if !ok {
			t.Fatalf("secret %q lacks whsec_", s)
		}
		key, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(key) != 32 {
			t.Fatalf("secret %q: %d bytes, %v", s, len(key), err)
		}
		if seen[s] {
			t.Fatal("repeated secret")
		}
		seen[s] = true
	}
}

// TestSignKnownVector uses the example from the Standard Webhooks
// specification and the reference libraries' tests.
func TestSignKnownVector(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

// TestSignMatchesReferenceLibrary checks Sign against the official Go
// library, both its signer and its verifier.
func TestSignMatchesReferenceLibrary(t *testing.T) {
	for i := range 50 {
		secret := keycrypt.NewWebhookSecret()
		id := keycrypt.NewEventID()
		ts := time.Now().Add(-time.Duration(i) * time.Second)
		body := []byte(`{"id":"` + id + `","n":` + strconv.Itoa(i) + `,"s":"ünïcode . dots"}`)
		sig, err := Sign(secret, id, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		want, err := wh.Sign(id, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		if sig != want {
			t.Fatalf("Sign = %q, library signs %q", sig, want)
		}
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
		h.Set("webhook-signature", sig)
		if err := wh.Verify(body, h); err != nil {
			t.Fatalf("library rejects our signature: %v", err)
		}
		if err := wh.Verify(append(body, ' '), h); err == nil {
			t.Fatal("library accepts a tampered body")
		}
	}
}

func TestSignRejectsBadSecret(t *testing.T) {
	for _, secret := range []string{"", "whsec_", "whsec_not base64!!", "whsec_c2VjcmV0IHRva2Vu@@"} {
		_, err := Sign(secret, "msg", time.Now(), nil)
		if err == nil {
			t.Errorf("Sign(%q) succeeded", secret)
			continue
		}
		if secret != "" && secret != "whsec_" && strings.Contains(err.Error(), strings.TrimPrefix(secret, "whsec_")) {
			t.Errorf("error %q repeats the secret", err)
		}
	}
	// Without the prefix, like the reference libraries.
	if _, err := Sign(strings.TrimPrefix(keycrypt.NewWebhookSecret(), "whsec_"), "msg", time.Now(), nil); err != nil {
		t.Errorf("unprefixed secret: %v", err)
	}
}
