package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

// whAwaitState polls a webhook's only delivery until it reaches state and
// returns it.
func (s *server) whAwaitState(t *testing.T, webhookID string, state keyway.DeliveryState) keyway.Delivery {
	t.Helper()
	var ds []keyway.Delivery
	keywaytest.EventuallyShows(t, fmt.Sprintf("webhook %s to have one %s delivery", webhookID, state), func() (bool, string) {
		ds = s.whDeliveries(t, "", webhookID)
		return len(ds) == 1 && ds[0].State == state, fmt.Sprintf("deliveries %+v", ds)
	})
	return ds[0]
}

// TestWebhookGivesUpThenRetriesOnRequest: with KEYWAY_WEBHOOK_MAX_ATTEMPTS=2
// a delivery its receiver keeps refusing is sent exactly twice and then
// marked failed; nothing more is sent however late it gets; POST
// …/deliveries/{id}/retry sends it once more, and it ends delivered.
func TestWebhookGivesUpThenRetriesOnRequest(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := startServerWith(t, dbURL, nil, func(c *app.Config) { c.WebhookMaxAttempts = 2 })
		// 500 twice, then 204: a third send, wrong or asked for, succeeds.
		rcv := newReceiver(t, 500, 500)
		control := newReceiver(t)
		p := s.newProject("p", "live")
		w := s.newWebhook(t, rcv.URL, []string{keyway.TopicAPIKeyCreated}, nil)
		s.newWebhook(t, control.URL, []string{keyway.TopicAPIKeyUpdated}, nil)

		t0 := s.Clock.Now()
		k := s.newKey(p.ID, nil)
		rcv.await(t, 1)
		// The first retry is due at most Base (5 s) after the first send.
		s.Clock.Advance(10 * time.Second)
		t1 := s.Clock.Now()
		rcv.await(t, 2)
		d := s.whAwaitState(t, w.ID, keyway.DeliveryFailed)
		run(t, s, []scenario{{name: "the delivery is failed", method: "GET", path: "/webhooks/" + w.ID + "/deliveries", wantStatus: 200,
			wantJSON: js([]map[string]any{{
				"id": d.ID, "webhookId": w.ID, "eventId": d.EventID, "topic": keyway.TopicAPIKeyCreated, "state": "failed", "attempts": 2,
				"nextAttemptAt": nil, "lastStatus": 500, "lastError": "answered 500 Internal Server Error", "lastDurationMs": "~any",
				"createdAt": iso(t0), "updatedAt": iso(t1),
			}})}})
		var hook keyway.Webhook
		s.call("GET", "/webhooks/"+w.ID, nil).want(t, 200).decode(t, &hook)
		if hook.FailingSince == nil || !hook.FailingSince.Equal(t0) {
			t.Errorf("failingSince %v after two failures, want %s", hook.FailingSince, iso(t0))
		}

		// Long after any backoff, nothing more is sent. The control event,
		// made after, arrives first.
		s.Clock.Advance(10 * time.Minute)
		s.call("PATCH", "/api-keys/"+k.Key.Reveal(), map[string]any{"name": "control"}).want(t, 200)
		control.await(t, 1)
		if n := len(rcv.deliveries()); n != 2 {
			t.Fatalf("the receiver got %d sends, want 2: the delivery was not given up", n)
		}
		if got := s.whAwaitState(t, w.ID, keyway.DeliveryFailed); got.Attempts != 2 {
			t.Fatalf("delivery %+v after giving up", got)
		}

		// Retry on request.
		run(t, s, []scenario{
			{name: "retry an unknown delivery", method: "POST", path: "/webhooks/" + w.ID + "/deliveries/no-such-delivery/retry", wantStatus: 404, wantJSON: whErrDeliveryNotFound},
			{name: "retry", method: "POST", path: "/webhooks/" + w.ID + "/deliveries/" + d.ID + "/retry", wantStatus: 201,
				wantJSON: js(map[string]any{
					"id": d.ID, "webhookId": w.ID, "eventId": d.EventID, "topic": keyway.TopicAPIKeyCreated, "state": "pending", "attempts": 2,
					"nextAttemptAt": s.now(), "lastStatus": 500, "lastError": "answered 500 Internal Server Error", "lastDurationMs": "~any",
					"createdAt": iso(t0), "updatedAt": s.now(),
				})},
		})
		t2 := s.Clock.Now()
		got := rcv.await(t, 3)
		done := s.whAwaitState(t, w.ID, keyway.DeliveryDelivered)
		if done.Attempts != 3 || done.LastStatus == nil || *done.LastStatus != 204 || done.LastError != nil || done.NextAttemptAt != nil {
			t.Fatalf("delivery after the retry %+v", done)
		}
		s.call("GET", "/webhooks/"+w.ID, nil).want(t, 200).decode(t, &hook)
		if hook.FailingSince != nil {
			t.Errorf("failingSince %v after a success, want null", hook.FailingSince)
		}
		// Every send is the same event, identically signed but for the time.
		for i, at := range []time.Time{t0, t1, t2} {
			got[i].verify(t, w.Secret.Reveal(), at)
			if got[i].header.Get("webhook-id") != d.EventID || string(got[i].body) != string(got[0].body) {
				t.Fatalf("send %d: webhook-id %s, body %s; want event %s and the first send's body", i+1, got[i].header.Get("webhook-id"), got[i].body, d.EventID)
			}
		}

		// A delivered delivery may be sent again on request too.
		s.Clock.Advance(time.Second)
		s.call("POST", "/webhooks/"+w.ID+"/deliveries/"+d.ID+"/retry", nil).want(t, 201)
		got = rcv.await(t, 4)
		got[3].verify(t, w.Secret.Reveal(), s.Clock.Now())
		keywaytest.EventuallyShows(t, "the retried delivery delivered after 4 attempts", func() (bool, string) {
			ds := s.whDeliveries(t, "", w.ID)
			return len(ds) == 1 && ds[0].State == keyway.DeliveryDelivered && ds[0].Attempts == 4, fmt.Sprintf("deliveries %+v", ds)
		})
		if n := len(rcv.deliveries()); n != 4 {
			t.Fatalf("%d sends, want 4", n)
		}
	})
}

// TestWebhookPendingRetryFollowsTheWebhook: a delivery waiting for its
// retry is not sent while its webhook is paused, is sent once the webhook
// is live again, and is never sent once the webhook is deleted.
func TestWebhookPendingRetryFollowsTheWebhook(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		paused, deleted, control := newReceiver(t, 500), newReceiver(t, 500), newReceiver(t)
		p := s.newProject("p", "live")
		wp := s.newWebhook(t, paused.URL, []string{keyway.TopicAPIKeyCreated}, nil)
		wd := s.newWebhook(t, deleted.URL, []string{keyway.TopicAPIKeyCreated}, nil)
		s.newWebhook(t, control.URL, []string{keyway.TopicAPIKeyUpdated}, nil)
		k := s.newKey(p.ID, nil)
		paused.await(t, 1)
		deleted.await(t, 1)
		s.whAwaitState(t, wp.ID, keyway.DeliveryPending)
		s.whAwaitState(t, wd.ID, keyway.DeliveryPending)
		// Both failed once and wait for a retry; wait until both failures
		// are recorded before changing the webhooks.
		keywaytest.EventuallyShows(t, "both first attempts recorded", func() (bool, string) {
			a, b := s.whDeliveries(t, "", wp.ID), s.whDeliveries(t, "", wd.ID)
			return a[0].Attempts == 1 && b[0].Attempts == 1, fmt.Sprintf("%+v %+v", a, b)
		})
		s.call("PATCH", "/webhooks/"+wp.ID, map[string]any{"status": "paused"}).want(t, 200)
		s.call("DELETE", "/webhooks/"+wd.ID, nil).want(t, 200)
		// Long past the retry, the control event (made after) arrives and
		// neither retry has been sent.
		s.Clock.Advance(time.Minute)
		s.call("PATCH", "/api-keys/"+k.Key.Reveal(), map[string]any{"name": "control"}).want(t, 200)
		control.await(t, 1)
		if n, m := len(paused.deliveries()), len(deleted.deliveries()); n != 1 || m != 1 {
			t.Fatalf("after pause/delete: paused webhook got %d sends, deleted one %d; want 1 each", n, m)
		}
		// Live again: the waiting retry goes out.
		s.call("PATCH", "/webhooks/"+wp.ID, map[string]any{"status": "live"}).want(t, 200)
		got := paused.await(t, 2)
		if got[1].header.Get("webhook-id") != got[0].header.Get("webhook-id") {
			t.Fatal("the retry after resuming carries another webhook-id")
		}
		if d := s.whAwaitState(t, wp.ID, keyway.DeliveryDelivered); d.Attempts != 2 {
			t.Fatalf("delivery %+v", d)
		}
		s.call("PATCH", "/api-keys/"+k.Key.Reveal(), map[string]any{"name": "control 2"}).want(t, 200)
		control.await(t, 2)
		if m := len(deleted.deliveries()); m != 1 {
			t.Fatalf("the deleted webhook got %d sends, want 1", m)
		}
	})
}
