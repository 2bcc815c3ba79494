package service_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// Revealing a key in full is an account admin's alone, and each reveal is
// recorded as an api-key.revealed event naming who saw the key, delivered
// to the webhooks subscribed to it.
func TestRevealAPIKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		admin, acct := h.founder(t, h.email("admin"))
		p := h.project(t, admin, acct)
		k := h.apiKey(t, admin, p.ID)
		hook, err := h.svc.CreateWebhook(h.ctx, admin, &keyway.WebhookCreate{Name: "audit", URL: "https://hooks.example/x",
			Topics: []string{keyway.TopicAPIKeyRevealed}, HTTPMethod: "POST", AccountID: acct})
		must(t, err)

		got, err := h.svc.RevealAPIKey(h.ctx, admin, k.ID)
		must(t, err)
		if got.Key != k.Key || got.ID != k.ID {
			t.Fatalf("revealed %v, want %v", got.Key, k.Key)
		}
		// Anyone else who sees the key is refused, and nothing is recorded
		// for them; someone who cannot see it is told it does not exist.
		user := h.member(t, admin, acct, h.email("user"), keyway.RoleUser)
		viewer := h.member(t, admin, acct, h.email("viewer"), keyway.RoleViewer)
		for _, c := range []*keyway.Caller{user, viewer} {
			if _, err := h.svc.RevealAPIKey(h.ctx, c, k.ID); !errors.Is(err, keyway.ErrForbidden) {
				t.Fatalf("a %s revealed: %v", c.Grants[0].Role, err)
			}
		}
		other, _ := h.founder(t, h.email("other"))
		if _, err := h.svc.RevealAPIKey(h.ctx, other, k.ID); !errors.Is(err, keyway.ErrAPIKeyNotFound) {
			t.Fatalf("another account's admin: %v", err)
		}
		if _, err := h.svc.RevealAPIKey(h.ctx, admin, "00000000-0000-7000-8000-000000000000"); !errors.Is(err, keyway.ErrAPIKeyNotFound) {
			t.Fatalf("unknown id: %v", err)
		}

		// One reveal, one record, naming the admin.
		ds, _, err := h.svc.WebhookDeliveries(h.ctx, admin, hook.ID, keyway.Page{})
		must(t, err)
		if len(ds) != 1 || ds[0].Topic != keyway.TopicAPIKeyRevealed {
			t.Fatalf("deliveries %+v, want one api-key.revealed", ds)
		}
		jobs, err := h.store.ClaimDeliveries(h.ctx, h.clock.Now().Add(time.Hour), time.Minute, 10)
		must(t, err)
		if len(jobs) != 1 {
			t.Fatalf("%d jobs", len(jobs))
		}
		var data struct {
			Name           string `json:"name"`
			RevealedBy     string `json:"revealedBy"`
			RevealedByType string `json:"revealedByType"`
		}
		must(t, json.Unmarshal(jobs[0].Event.Data, &data))
		if data.RevealedBy != admin.User.ID || data.RevealedByType != string(keyway.ActorUser) || data.Name != k.Name {
			t.Fatalf("event data %s", jobs[0].Event.Data)
		}
		// The key itself is unchanged by a reveal.
		again, err := h.svc.APIKeyByID(h.ctx, admin, k.ID)
		must(t, err)
		if again.Key != k.Key || again.Name != k.Name || !again.UpdatedAt.Equal(k.UpdatedAt.Time) {
			t.Fatalf("the reveal changed the key: %+v", again)
		}
	})
}
