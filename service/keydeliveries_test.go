package service_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// A key's deliveries are those of the events about it alone, newest
// first and bounded; a caller narrowed to the key's project does not see
// the deliveries to an account-wide webhook, nor learn that it exists.
func TestKeyDeliveries(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		admin, acct := h.founder(t, h.email("admin"))
		p := h.project(t, admin, acct)
		topics := []string{keyway.TopicAPIKeyCreated, keyway.TopicAPIKeyUpdated}
		inP, err := h.svc.CreateWebhook(h.ctx, admin, &keyway.WebhookCreate{Name: "of P", URL: "https://hooks.example/p",
			Topics: topics, HTTPMethod: "POST", AccountID: acct, ProjectID: &p.ID})
		must(t, err)
		wide, err := h.svc.CreateWebhook(h.ctx, admin, &keyway.WebhookCreate{Name: "account", URL: "https://hooks.example/a",
			Topics: topics, HTTPMethod: "POST", AccountID: acct})
		must(t, err)
		k, other := h.apiKey(t, admin, p.ID), h.apiKey(t, admin, p.ID)
		for i := range 3 {
			h.clock.Advance(time.Second)
			_, err := h.svc.UpdateAPIKey(h.ctx, admin, string(k.Key), &keyway.APIKeyUpdate{Name: keyway.Optional[string]{Set: true, Value: fmt.Sprint("renamed ", i)}})
			must(t, err)
		}
		// Four events about k (created, three updates), each to both webhooks.
		ds, err := h.svc.KeyDeliveries(h.ctx, admin, k.ID, 100)
		must(t, err)
		if len(ds) != 8 {
			t.Fatalf("%d deliveries, want 8", len(ds))
		}
		for i, d := range ds {
			if i > 0 && d.CreatedAt.After(ds[i-1].CreatedAt.Time) {
				t.Errorf("delivery %d is newer than the one before it", i)
			}
			if d.Webhook == nil || (d.Webhook.ID != inP.ID && d.Webhook.ID != wide.ID) || d.WebhookID != d.Webhook.ID {
				t.Errorf("delivery %d went to %v", i, d.Webhook)
			}
		}
		if ds[len(ds)-1].Topic != keyway.TopicAPIKeyCreated || ds[0].Topic != keyway.TopicAPIKeyUpdated {
			t.Errorf("oldest %s, newest %s", ds[len(ds)-1].Topic, ds[0].Topic)
		}
		few, err := h.svc.KeyDeliveries(h.ctx, admin, k.ID, 3)
		must(t, err)
		if len(few) != 3 || few[0].ID != ds[0].ID {
			t.Fatalf("limit 3: %d deliveries", len(few))
		}
		ofOther, err := h.svc.KeyDeliveries(h.ctx, admin, other.ID, 100)
		must(t, err)
		if len(ofOther) != 2 || ofOther[0].Topic != keyway.TopicAPIKeyCreated {
			t.Fatalf("the other key has %d deliveries", len(ofOther))
		}

		// A project's access key sees its project's webhook alone.
		pkey := keyway.AccessKeyCaller(h.accessKey(t, admin, acct, p.ID))
		narrowed, err := h.svc.KeyDeliveries(h.ctx, pkey, k.ID, 100)
		must(t, err)
		if len(narrowed) != 4 {
			t.Fatalf("the project's access key sees %d deliveries, want 4", len(narrowed))
		}
		for _, d := range narrowed {
			if d.Webhook.ID != inP.ID {
				t.Fatalf("the project's access key sees the delivery to %s", d.Webhook.Name)
			}
		}
		// A page of them holds as many as asked for, though the newest
		// deliveries alternate between the two webhooks: the key's page
		// then knows whether more follow.
		two, err := h.svc.KeyDeliveries(h.ctx, pkey, k.ID, 2)
		must(t, err)
		if len(two) != 2 || two[0].ID != narrowed[0].ID || two[1].ID != narrowed[1].ID {
			t.Fatalf("the project's access key, 2 asked: %d deliveries", len(two))
		}
		// An id that names no key, or no id, is not found.
		for _, id := range []string{"00000000-0000-7000-8000-000000000000", "", "' OR 1=1 --"} {
			if _, err := h.svc.KeyDeliveries(h.ctx, admin, id, 100); !errors.Is(err, keyway.ErrAPIKeyNotFound) {
				t.Fatalf("key id %q: %v", id, err)
			}
		}
		// Someone outside the account is told the key does not exist.
		outsider, _ := h.founder(t, h.email("other"))
		if _, err := h.svc.KeyDeliveries(h.ctx, outsider, k.ID, 100); !errors.Is(err, keyway.ErrAPIKeyNotFound) {
			t.Fatalf("another account's admin: %v", err)
		}
	})
}
