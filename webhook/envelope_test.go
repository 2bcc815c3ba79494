package webhook

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

func TestEnvelopeJSON(t *testing.T) {
	env := Envelope{
		ID:        "evt_abc",
		Topic:     "api-key.created",
		CreatedAt: keyway.NewTime(time.Date(2026, 11, 26, 13, 4, 5, 678901234, time.FixedZone("x", 3600))),
		Data:      json.RawMessage(`{"key":"k","name":"n"}`),
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"evt_abc","topic":"api-key.created","createdAt":"2026-11-26T12:04:05.678Z","data":{"key":"k","name":"n"}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestNewEventID(t *testing.T) {
	re := regexp.MustCompile(`^evt_[A-Za-z0-9_-]{24,}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := keycrypt.NewEventID()
		if !re.MatchString(id) {
			t.Fatalf("event id %q", id)
		}
		if seen[id] {
			t.Fatal("repeated event id")
		}
		seen[id] = true
	}
}
