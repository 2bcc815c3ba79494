package service_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// A test delivery goes to its webhook alone, is logged like any delivery,
// carries no secret, and is no one else's to read or send.
func TestTestWebhook(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		admin, acct := h.founder(t, h.email("founder"))
		w1 := h.webhook(t, admin, acct, "")
		w2 := h.webhook(t, admin, acct, "")
		d, err := h.svc.TestWebhook(h.ctx, admin, w1.ID)
		must(t, err)
		if d.WebhookID != w1.ID || d.Topic != keyway.TopicWebhookTest || d.State != keyway.DeliveryPending || d.Attempts != 0 {
			t.Fatalf("test delivery %+v", d)
		}
		got, err := h.svc.WebhookDelivery(h.ctx, admin, w1.ID, d.ID)
		must(t, err)
		if got.ID != d.ID {
			t.Fatalf("read back %+v", got)
		}
		list, _, err := h.svc.WebhookDeliveries(h.ctx, admin, w1.ID, keyway.Page{})
		must(t, err)
		if len(list) != 1 || list[0].ID != d.ID {
			t.Fatalf("log of the tested webhook: %+v", list)
		}
		other, _, err := h.svc.WebhookDeliveries(h.ctx, admin, w2.ID, keyway.Page{})
		must(t, err)
		if len(other) != 0 {
			t.Fatalf("the test reached another webhook: %+v", other)
		}
		// The dispatcher's job: the event names the webhook, not its secret.
		jobs, err := h.store.ClaimDeliveries(h.ctx, h.clock.Now().Add(time.Second), time.Minute, 10)
		must(t, err)
		if len(jobs) != 1 || jobs[0].Delivery.ID != d.ID || !strings.Contains(string(jobs[0].Event.Data), w1.ID) ||
			strings.Contains(string(jobs[0].Event.Data), w1.Secret.Reveal()) {
			t.Fatalf("jobs %+v", jobs)
		}
		// Its attempts, newest first.
		at := keyway.NewTime(h.clock.Now())
		must(t, h.store.CompleteAttempt(h.ctx, d.ID, keyway.AttemptResult{At: at, Status: 500, Duration: 7 * time.Millisecond, Error: "answered 500"},
			keyway.DeliveryPending, h.clock.Now().Add(time.Hour)))
		must(t, h.store.CompleteAttempt(h.ctx, d.ID, keyway.AttemptResult{At: at, Status: 204, OK: true}, keyway.DeliveryDelivered, time.Time{}))
		got, attempts, err := h.svc.DeliveryAttempts(h.ctx, admin, w1.ID, d.ID)
		must(t, err)
		if got.State != keyway.DeliveryDelivered || len(attempts) != 2 || attempts[0].Attempt != 2 || attempts[0].Status != 204 ||
			attempts[1].Status != 500 || attempts[1].Error != "answered 500" || attempts[1].DurationMs != 7 {
			t.Fatalf("attempts %+v of %+v", attempts, got)
		}
		if _, _, err := h.svc.DeliveryAttempts(h.ctx, admin, w2.ID, d.ID); !errors.Is(err, keyway.ErrDeliveryNotFound) {
			t.Fatalf("attempts through another webhook: %v", err)
		}
		// Another webhook's delivery, another account's webhook: not found.
		if _, err := h.svc.WebhookDelivery(h.ctx, admin, w2.ID, d.ID); !errors.Is(err, keyway.ErrDeliveryNotFound) {
			t.Fatalf("delivery through another webhook: %v", err)
		}
		stranger, _ := h.founder(t, h.email("stranger"))
		if _, err := h.svc.TestWebhook(h.ctx, stranger, w1.ID); !errors.Is(err, keyway.ErrWebhookNotFound) {
			t.Fatalf("another account's test: %v", err)
		}
		if _, err := h.svc.WebhookDelivery(h.ctx, stranger, w1.ID, d.ID); !errors.Is(err, keyway.ErrWebhookNotFound) {
			t.Fatalf("another account's read: %v", err)
		}
		if _, _, err := h.svc.DeliveryAttempts(h.ctx, stranger, w1.ID, d.ID); !errors.Is(err, keyway.ErrWebhookNotFound) {
			t.Fatalf("another account's attempts: %v", err)
		}
		// A deleted webhook cannot be tested.
		_, err = h.svc.DeleteWebhook(h.ctx, admin, w1.ID)
		must(t, err)
		if _, err := h.svc.TestWebhook(h.ctx, admin, w1.ID); !errors.Is(err, keyway.ErrWebhookNotFound) {
			t.Fatalf("test of a deleted webhook: %v", err)
		}
	})
}
