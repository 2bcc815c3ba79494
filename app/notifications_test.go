package app_test

import (
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

// A webhook failing past KEYWAY_WEBHOOK_FAILING_AFTER leaves a
// notification for its account, which GET /notifications lists and PATCH
// marks read; another account sees none of it.
func TestFailingWebhookNotifies(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := startServerWith(t, dbURL, nil, func(c *app.Config) { c.WebhookFailingAfter = time.Minute })
		rcv := newReceiver(t, 500, 500, 500, 500, 500, 500)
		p := s.newProject("p", "live")
		w := s.newWebhook(t, rcv.URL, []string{keyway.TopicAPIKeyCreated}, map[string]any{"name": "billing"})
		s.newKey(p.ID, nil)
		rcv.await(t, 1)
		var ns []keyway.Notification
		keywaytest.Eventually(t, "a notification for a failing webhook", func() bool {
			s.call("GET", "/notifications", nil).want(t, 200).decode(t, &ns)
			if len(ns) > 0 {
				return true
			}
			s.Clock.Advance(2 * time.Minute) // the next retry is due, and the webhook failing long enough
			return false
		})
		n := ns[0]
		if len(ns) != 1 || n.Type != "webhook.failing" || n.Title != "Webhook failing: billing" || n.ReadAt != nil || n.AccountID != s.AccountID {
			t.Fatalf("notifications %+v", ns)
		}
		var got keyway.Webhook
		s.call("GET", "/webhooks/"+w.ID, nil).want(t, 200).decode(t, &got)
		if got.FailingAt == nil || got.FailingSince == nil {
			t.Fatalf("webhook not marked failing: %+v", got)
		}
		var read keyway.Notification
		s.call("PATCH", "/notifications/"+n.ID, nil).want(t, 200).decode(t, &read)
		if read.ReadAt == nil {
			t.Fatal("not marked read")
		}
		_, other := s.seedAccount()
		s.callAs(other, "PATCH", "/notifications/"+n.ID, nil).want(t, 404)
		var theirs []keyway.Notification
		s.callAs(other, "GET", "/notifications", nil).want(t, 200).decode(t, &theirs)
		if len(theirs) != 0 {
			t.Fatalf("another account sees %+v", theirs)
		}
	})
}
