package sqlstore_test

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/sqlstore"
)

func newWebhook(t *testing.T, s *sqlstore.Store, accountID string, projectID *string, status keyway.WebhookStatus, topics ...string) *keyway.Webhook {
	t.Helper()
	w := &keyway.Webhook{
		ID: uniqueID("wh"), Name: "hook", URL: "https://hooks.example.com/in", HTTPMethod: "POST",
		Topics: topics, AccountID: accountID, ProjectID: projectID,
		CustomHeaders: map[string]string{"X-Team": "billing"}, Status: status, IsActive: true,
		Secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0cw==", CreatedBy: "access-key:…abcd",
		CreatedByType: keyway.ActorAccessKey, CreatedAt: at(1), UpdatedAt: at(1),
	}
	check(t, s.CreateWebhook(ctx, w))
	return w
}

func event(topic string, k *keyway.APIKey, n int) keyway.Event {
	data, _ := json.Marshal(k)
	return keyway.Event{ID: uniqueID("evt"), Topic: topic, AccountID: k.AccountID, ProjectID: k.ProjectID, Data: data, CreatedAt: at(n)}
}

func TestWebhookRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		w := newWebhook(t, s, a.ID, &p.ID, keyway.WebhookLive, keyway.TopicProjectUpdated, keyway.TopicAPIKeyCreated)
		got, err := s.Webhook(ctx, w.ID)
		check(t, err)
		w.Topics = []string{keyway.TopicAPIKeyCreated, keyway.TopicProjectUpdated} // listed in topic order
		mustEqual(t, "webhook", got, w)

		w.Topics, w.Status, w.URL = []string{keyway.TopicAPIKeyDeleted}, keyway.WebhookPaused, "http://other.example.com/"
		check(t, s.UpdateWebhook(ctx, w))
		got, err = s.Webhook(ctx, w.ID)
		check(t, err)
		mustEqual(t, "updated webhook", got, w)

		list, _, err := s.Webhooks(ctx, keyway.WebhookFilter{AccountID: a.ID, Topic: keyway.TopicAPIKeyDeleted})
		check(t, err)
		mustEqual(t, "by topic", len(list), 1)
		list, _, err = s.Webhooks(ctx, keyway.WebhookFilter{AccountID: a.ID, Topic: keyway.TopicAPIKeyCreated})
		check(t, err)
		mustEqual(t, "other topic", len(list), 0)

		_, err = s.Webhook(ctx, "missing")
		mustIs(t, err, keyway.ErrWebhookNotFound)
	})
}

// An event commits with its change and queues one delivery per live,
// subscribed webhook in scope, which a claim hands out once per lease.
func TestOutboxDeliveries(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		other := newProject(t, s, a.ID, at(0))
		accountWide := newWebhook(t, s, a.ID, nil, keyway.WebhookLive, keyway.TopicAPIKeyCreated)
		projectHook := newWebhook(t, s, a.ID, &p.ID, keyway.WebhookLive, keyway.TopicAPIKeyCreated)
		newWebhook(t, s, a.ID, &other.ID, keyway.WebhookLive, keyway.TopicAPIKeyCreated) // other project
		newWebhook(t, s, a.ID, nil, keyway.WebhookPaused, keyway.TopicAPIKeyCreated)     // paused
		newWebhook(t, s, a.ID, nil, keyway.WebhookLive, keyway.TopicAPIKeyDeleted)       // other topic

		k := fullAPIKey(p, at(2))
		ev := event(keyway.TopicAPIKeyCreated, k, 2)
		check(t, s.CreateAPIKey(ctx, k, ev))

		now := time.UnixMilli(at(3).Millis())
		jobs, err := s.ClaimDeliveries(ctx, now, time.Minute, 10)
		check(t, err)
		if len(jobs) != 2 {
			t.Fatalf("claimed %d deliveries, want 2 (account-wide and same-project webhooks)", len(jobs))
		}
		hooks := map[string]bool{}
		for _, j := range jobs {
			hooks[j.Webhook.ID] = true
			if j.Event.ID != ev.ID || j.Event.Topic != ev.Topic || !bytes.Equal(j.Event.Data, ev.Data) {
				t.Fatalf("job event %+v, want %+v", j.Event, ev)
			}
			if j.Webhook.Secret == "" || j.Delivery.State != keyway.DeliveryPending {
				t.Fatalf("job %+v", j)
			}
		}
		if !hooks[accountWide.ID] || !hooks[projectHook.ID] {
			t.Fatalf("claimed for %v", hooks)
		}
		// Leased: not handed out again until the lease ends.
		again, err := s.ClaimDeliveries(ctx, now.Add(30*time.Second), time.Minute, 10)
		check(t, err)
		mustEqual(t, "claims within the lease", len(again), 0)
		again, err = s.ClaimDeliveries(ctx, now.Add(61*time.Second), time.Minute, 10)
		check(t, err)
		mustEqual(t, "claims after the lease", len(again), 2)

		// A failed attempt schedules the next; a success ends it.
		d := jobs[0].Delivery
		check(t, s.CompleteAttempt(ctx, d.ID, keyway.AttemptResult{At: at(70), Status: 500, Duration: 12 * time.Millisecond, Error: "HTTP 500"},
			keyway.DeliveryPending, now.Add(90*time.Second)))
		got, err := s.Delivery(ctx, d.ID)
		check(t, err)
		if got.Attempts != 1 || got.State != keyway.DeliveryPending || *got.LastStatus != 500 || *got.LastError != "HTTP 500" || *got.LastDuration != 12 {
			t.Fatalf("after a failure: %+v", got)
		}
		w, _ := s.Webhook(ctx, d.WebhookID)
		if w.FailingSince == nil || !w.FailingSince.Equal(at(70).Time) {
			t.Fatalf("failing since %v, want %v", w.FailingSince, at(70))
		}
		check(t, s.CompleteAttempt(ctx, d.ID, keyway.AttemptResult{At: at(95), Status: 204, OK: true}, keyway.DeliveryDelivered, time.Time{}))
		got, _ = s.Delivery(ctx, d.ID)
		if got.Attempts != 2 || got.State != keyway.DeliveryDelivered || got.NextAttemptAt != nil {
			t.Fatalf("after a success: %+v", got)
		}
		if w, _ := s.Webhook(ctx, d.WebhookID); w.FailingSince != nil {
			t.Fatal("a success left the webhook failing")
		}
		list, _, err := s.Deliveries(ctx, d.WebhookID, keyway.Page{})
		check(t, err)
		mustEqual(t, "deliveries of the webhook", len(list), 1)

		check(t, s.RetryDelivery(ctx, d.ID, now.Add(200*time.Second)))
		got, _ = s.Delivery(ctx, d.ID)
		mustEqual(t, "retried state", got.State, keyway.DeliveryPending)
		mustIs(t, s.RetryDelivery(ctx, "missing", now), keyway.ErrDeliveryNotFound)
	})
}

// A change that fails writes no event, and no delivery.
func TestOutboxRollsBackWithTheChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		newWebhook(t, s, a.ID, nil, keyway.WebhookLive, keyway.TopicAPIKeyCreated)
		k := fullAPIKey(p, at(2))
		check(t, s.CreateAPIKey(ctx, k))
		dup := fullAPIKey(p, at(3))
		dup.Key = k.Key
		mustCode(t, s.CreateAPIKey(ctx, dup, event(keyway.TopicAPIKeyCreated, dup, 3)), keyway.CodeConflict)
		jobs, err := s.ClaimDeliveries(ctx, time.UnixMilli(at(10).Millis()), time.Minute, 10)
		check(t, err)
		mustEqual(t, "deliveries of a rejected change", len(jobs), 0)
	})
}

// Dispatchers claiming at once never get the same delivery.
func TestConcurrentClaimsDoNotOverlap(t *testing.T) {
	forEachURL(t, func(t *testing.T, dbURL string) {
		s := openStore(t, dbURL)
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		newWebhook(t, s, a.ID, nil, keyway.WebhookLive, keyway.TopicAPIKeyCreated)
		for i := range 40 {
			k := minimalAPIKey(p, at(i+1))
			check(t, s.CreateAPIKey(ctx, k, event(keyway.TopicAPIKeyCreated, k, i+1)))
		}
		stores := []*sqlstore.Store{s, openStore(t, dbURL), openStore(t, dbURL)}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for _, st := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					jobs, err := st.ClaimDeliveries(ctx, time.UnixMilli(at(100).Millis()), time.Minute, 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					mu.Lock()
					for _, j := range jobs {
						seen[j.Delivery.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 40 {
			t.Fatalf("%d deliveries claimed, want 40", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("delivery %s claimed %d times", id, n)
			}
		}
	})
}

// A webhook failing for long enough is marked once, with one notification,
// and a success clears the mark.
func TestMarkWebhookFailing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		w := newWebhook(t, s, a.ID, nil, keyway.WebhookLive, keyway.TopicAPIKeyCreated)
		k := minimalAPIKey(p, at(1))
		check(t, s.CreateAPIKey(ctx, k, event(keyway.TopicAPIKeyCreated, k, 1)))
		jobs, err := s.ClaimDeliveries(ctx, time.UnixMilli(at(2).Millis()), time.Minute, 1)
		check(t, err)
		id := jobs[0].Delivery.ID
		ms := func(n int) time.Time { return time.UnixMilli(at(n).Millis()) }

		marked, err := s.MarkWebhookFailing(ctx, w.ID, ms(60), ms(100))
		check(t, err)
		if marked {
			t.Fatal("a webhook without failures was marked failing")
		}
		check(t, s.CompleteAttempt(ctx, id, keyway.AttemptResult{At: at(70), Status: 500}, keyway.DeliveryPending, ms(80)))
		if marked, _ := s.MarkWebhookFailing(ctx, w.ID, ms(60), ms(100)); marked {
			t.Fatal("marked failing before failing long enough")
		}
		if marked, _ := s.MarkWebhookFailing(ctx, w.ID, ms(75), ms(100)); !marked {
			t.Fatal("not marked after failing long enough")
		}
		if marked, _ := s.MarkWebhookFailing(ctx, w.ID, ms(75), ms(101)); marked {
			t.Fatal("marked twice")
		}
		got, err := s.Webhook(ctx, w.ID)
		check(t, err)
		if got.FailingAt == nil || !got.FailingAt.Equal(at(100).Time) {
			t.Fatalf("failingAt %v, want %v", got.FailingAt, at(100))
		}
		check(t, s.CompleteAttempt(ctx, id, keyway.AttemptResult{At: at(110), Status: 200, OK: true}, keyway.DeliveryDelivered, time.Time{}))
		got, _ = s.Webhook(ctx, w.ID)
		if got.FailingAt != nil || got.FailingSince != nil {
			t.Fatalf("a success left failingSince %v, failingAt %v", got.FailingSince, got.FailingAt)
		}
		ns, _, err := s.Notifications(ctx, []keyway.NotificationScope{{AccountID: a.ID}}, keyway.Page{})
		check(t, err)
		if len(ns) != 1 || ns[0].Type != "webhook.failing" || ns[0].Title != "Webhook failing: hook" || !ns[0].CreatedAt.Equal(at(100).Time) {
			t.Fatalf("notifications %+v, want one webhook.failing", ns)
		}
	})
}

// Two dispatchers finishing the same delivery (a lease ran out mid-send)
// both get their attempt recorded.
func TestConcurrentCompletions(t *testing.T) {
	forEachURL(t, func(t *testing.T, dbURL string) {
		s := openStore(t, dbURL)
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		newWebhook(t, s, a.ID, nil, keyway.WebhookLive, keyway.TopicAPIKeyCreated)
		k := minimalAPIKey(p, at(1))
		check(t, s.CreateAPIKey(ctx, k, event(keyway.TopicAPIKeyCreated, k, 1)))
		jobs, err := s.ClaimDeliveries(ctx, time.UnixMilli(at(2).Millis()), time.Minute, 1)
		check(t, err)
		id := jobs[0].Delivery.ID
		others := []*sqlstore.Store{s, openStore(t, dbURL)}
		var wg sync.WaitGroup
		for i, st := range others {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := st.CompleteAttempt(ctx, id, keyway.AttemptResult{At: at(3 + i), Status: 204, OK: true}, keyway.DeliveryDelivered, time.Time{}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		d, err := s.Delivery(ctx, id)
		check(t, err)
		mustEqual(t, "attempts", d.Attempts, 2)
	})
}

// A delivery whose event cannot be opened (the sealing secret changed)
// fails for good instead of coming back at every lease.
func TestUnreadableDeliveryFails(t *testing.T) {
	forEachURL(t, func(t *testing.T, dbURL string) {
		s := openStore(t, dbURL)
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		newWebhook(t, s, a.ID, nil, keyway.WebhookLive, keyway.TopicAPIKeyCreated)
		k := minimalAPIKey(p, at(1))
		ev := event(keyway.TopicAPIKeyCreated, k, 1)
		check(t, s.CreateAPIKey(ctx, k, ev))

		other, err := keycrypt.NewSealer(keycrypt.NewSecret())
		check(t, err)
		s2, err := sqlstore.Open(ctx, dbURL, other)
		check(t, err)
		defer s2.Close()
		jobs, err := s2.ClaimDeliveries(ctx, time.UnixMilli(at(2).Millis()), time.Minute, 10)
		check(t, err)
		mustEqual(t, "jobs", len(jobs), 0)
		d, err := s2.Delivery(ctx, ev.ID+":"+firstWebhookID(t, s, a.ID))
		check(t, err)
		if d.State != keyway.DeliveryFailed || d.LastError == nil {
			t.Fatalf("unreadable delivery %+v, want failed with a reason", d)
		}
		jobs, err = s2.ClaimDeliveries(ctx, time.UnixMilli(at(200).Millis()), time.Minute, 10)
		check(t, err)
		mustEqual(t, "jobs after the lease", len(jobs), 0)
	})
}

func firstWebhookID(t *testing.T, s *sqlstore.Store, accountID string) string {
	t.Helper()
	ws, _, err := s.Webhooks(ctx, keyway.WebhookFilter{AccountID: accountID})
	check(t, err)
	return ws[0].ID
}
