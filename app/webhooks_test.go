package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
)

// receiver is a real HTTP endpoint on 127.0.0.1 that records deliveries
// and answers with the statuses it is told, 204 once they run out.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []delivery
	statuses []int
}

type delivery struct {
	method string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, delivery{method: req.Method, header: req.Header.Clone(), body: body})
		status := http.StatusNoContent
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// await polls until the receiver has n deliveries.
func (r *receiver) await(t *testing.T, n int) []delivery {
	t.Helper()
	var got []delivery
	keywaytest.EventuallyShows(t, fmt.Sprintf("the receiver to get %d deliveries", n), func() (bool, string) {
		got = r.deliveries()
		return len(got) >= n, fmt.Sprintf("%d deliveries", len(got))
	})
	return got
}

type envelope struct {
	ID        string          `json:"id"`
	Topic     string          `json:"topic"`
	CreatedAt string          `json:"createdAt"`
	Data      json.RawMessage `json:"data"`
}

func (d delivery) envelope(t *testing.T) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(d.body, &e); err != nil {
		t.Fatalf("delivery body %s: %v", d.body, err)
	}
	return e
}

// verify checks a delivery the way a receiver would: the Standard Webhooks
// library (an independent implementation) and the original's header.
func (d delivery) verify(t *testing.T, secret string, at time.Time) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	// The server's clock is the test's, far from the wall clock, so the
	// library's freshness window is checked by hand instead.
	if err := wh.VerifyIgnoringTimestamp(d.body, d.header); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	if ts := d.header.Get("webhook-timestamp"); ts != strconv.FormatInt(at.Unix(), 10) {
		t.Fatalf("webhook-timestamp %s, want %d", ts, at.Unix())
	}
	if got := d.header.Get("theauthapi-signature"); got != secret {
		t.Fatal("theauthapi-signature is not the webhook's secret")
	}
	if d.header.Get("webhook-id") != d.envelope(t).ID {
		t.Fatalf("webhook-id %s is not the event id", d.header.Get("webhook-id"))
	}
}

func (s *server) newWebhook(t *testing.T, url string, topics []string, extra map[string]any) keyway.Webhook {
	t.Helper()
	body := map[string]any{"name": "hook", "url": url, "topics": topics, "httpMethod": "POST"}
	for k, v := range extra {
		body[k] = v
	}
	var w keyway.Webhook
	s.call("POST", "/webhooks", body).want(t, 201).decode(t, &w)
	return w
}

// revealAsAdmin has an admin of the bootstrapped account reveal a key as
// the dashboard does (reveal has no REST operation): invited over REST,
// signed up and signed in through the service.
func (s *server) revealAsAdmin(t *testing.T, key string) {
	t.Helper()
	var invs []keyway.Invitation
	s.call("POST", "/invitations", map[string]any{"emails": []string{"revealer@example.com"}, "role": "admin", "accountId": s.AccountID}).want(t, 201).decode(t, &invs)
	svc, ctx := s.App.Service(), context.Background()
	if err := svc.Signup(ctx, &keyway.Signup{Email: "revealer@example.com", Password: "revealer password 1", Name: "R", InvitationID: invs[0].ID}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := svc.StartSessionWithPassword(ctx, &keyway.Login{Email: "revealer@example.com", Password: "revealer password 1"})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := svc.SessionCaller(ctx, tok.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	k, err := svc.GetAPIKey(ctx, c, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RevealAPIKey(ctx, c, k.ID); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookDeliversEveryTopicSigned(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv := newReceiver(t)
		p := s.newProject("p", "live")
		w := s.newWebhook(t, rcv.URL+"/in", keyway.Topics, map[string]any{"customHeaders": map[string]string{"X-Team": "billing"}})
		if !strings.HasPrefix(w.Secret.Reveal(), "whsec_") || w.Status != keyway.WebhookLive || len(w.Topics) != len(keyway.Topics) {
			t.Fatalf("created webhook %+v", w)
		}

		k := s.newKey(p.ID, nil)                                                                     // api-key.created
		s.call("PATCH", "/api-keys/"+k.Key.Reveal(), map[string]any{"name": "renamed"}).want(t, 200) // api-key.updated
		s.call("POST", "/api-keys/auth/"+k.Key.Reveal(), nil).want(t, 200)                           // api-key.firstUsed (flushed)
		s.call("POST", "/api-keys/auth/"+k.Key.Reveal(), nil).want(t, 200)                           // not a second firstUsed
		var rotated keyway.APIKey
		s.call("POST", "/api-keys/"+k.Key.Reveal()+"/rotate", nil).want(t, 201).decode(t, &rotated) // api-key.rotated
		s.call("DELETE", "/api-keys/"+rotated.Key.Reveal(), nil).want(t, 200)                       // api-key.deleted
		s.call("PATCH", "/api-keys/"+rotated.Key.Reveal()+"/reactivate", nil).want(t, 200)          // api-key.reactivated
		s.revealAsAdmin(t, rotated.Key.Reveal())                                                    // api-key.revealed
		var ak keyway.AccessKey
		s.call("POST", "/access-keys", map[string]any{"name": "a"}).want(t, 201).decode(t, &ak)    // access-key.created
		s.call("PATCH", "/access-keys/"+ak.Key.Reveal(), map[string]any{"name": "b"}).want(t, 200) // access-key.updated
		s.call("DELETE", "/access-keys/"+ak.Key.Reveal(), nil).want(t, 200)                        // access-key.deleted
		s.call("PATCH", "/projects/"+p.ID, map[string]any{"name": "q"}).want(t, 200)               // project.updated

		// A second firstUsed could only come from the flush of the second
		// verification, which writes its event in the same transaction as
		// the count: once both verifications are counted, the outbox holds
		// every event of this test, and the receiver must get them all.
		anWaitTotal(t, s, "", anPath("project-totals", "projectId", p.ID, "dateGrouping", "day"), 2)
		var queued []keyway.Delivery
		s.call("GET", "/webhooks/"+w.ID+"/deliveries?limit=1000", nil).want(t, 200).decode(t, &queued)
		got := rcv.await(t, len(queued))
		topics := map[string]int{}
		ids := map[string]bool{}
		for _, d := range got {
			e := d.envelope(t)
			topics[e.Topic]++
			if ids[e.ID] {
				t.Fatalf("event %s delivered twice", e.ID)
			}
			ids[e.ID] = true
			d.verify(t, w.Secret.Reveal(), s.Clock.Now())
			if d.method != "POST" || d.header.Get("X-Team") != "billing" || d.header.Get("Content-Type") != "application/json" {
				t.Fatalf("delivery %s: method %s, headers %v", e.Topic, d.method, d.header)
			}
			if e.CreatedAt != iso(s.Clock.Now()) || len(e.Data) == 0 || e.Data[0] != '{' {
				t.Fatalf("envelope %+v", e)
			}
		}
		for _, topic := range keyway.Topics {
			if topics[topic] != 1 {
				t.Errorf("topic %s delivered %d times, want once (all: %v)", topic, topics[topic], topics)
			}
		}
		// The data is the object as it was: the created key's envelope holds it.
		for _, d := range got {
			if e := d.envelope(t); e.Topic == keyway.TopicAPIKeyCreated {
				var obj keyway.APIKey
				json.Unmarshal(e.Data, &obj)
				if obj.Key != k.Key || obj.Name != "key" {
					t.Fatalf("api-key.created data %s", e.Data)
				}
			}
		}
	})
}

func TestWebhookRetriesUntilSuccessWithTheSameID(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv := newReceiver(t, 500, 503)
		p := s.newProject("p", "live")
		w := s.newWebhook(t, rcv.URL, []string{keyway.TopicAPIKeyCreated}, nil)
		s.newKey(p.ID, nil)
		rcv.await(t, 1)
		// Retries are due by the server's clock: move it past each backoff.
		for i := 2; i <= 3; i++ {
			keywaytest.Eventually(t, fmt.Sprintf("attempt %d", i), func() bool {
				if len(rcv.deliveries()) >= i {
					return true
				}
				s.Clock.Advance(30 * time.Second)
				return false
			})
		}
		got := rcv.deliveries()
		if len(got) != 3 {
			t.Fatalf("%d attempts, want 3", len(got))
		}
		id := got[0].header.Get("webhook-id")
		for i, d := range got {
			if d.header.Get("webhook-id") != id || string(d.body) != string(got[0].body) {
				t.Fatalf("attempt %d differs from the first: id %s, body %s", i+1, d.header.Get("webhook-id"), d.body)
			}
		}
		var ds []keyway.Delivery
		keywaytest.EventuallyShows(t, "one delivered delivery", func() (bool, string) {
			s.call("GET", "/webhooks/"+w.ID+"/deliveries", nil).want(t, 200).decode(t, &ds)
			return len(ds) == 1 && ds[0].State == keyway.DeliveryDelivered, fmt.Sprintf("deliveries %+v", ds)
		})
		if ds[0].Attempts != 3 || *ds[0].LastStatus != 204 {
			t.Fatalf("delivery %+v", ds[0])
		}
	})
}

func TestPausedWebhookReceivesNothing(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv := newReceiver(t)
		live := newReceiver(t)
		p := s.newProject("p", "live")
		paused := s.newWebhook(t, rcv.URL, []string{keyway.TopicAPIKeyCreated}, map[string]any{"status": "paused"})
		s.newWebhook(t, live.URL, []string{keyway.TopicAPIKeyCreated}, nil)
		s.newKey(p.ID, nil)
		live.await(t, 1)
		// Deliveries are queued with the event, so the live one's arrival
		// means the paused one's would be queued by now: none is, and
		// nothing can be sent that is not queued.
		if ds := s.whDeliveries(t, "", paused.ID); len(ds) != 0 {
			t.Fatalf("a paused webhook has deliveries queued: %+v", ds)
		}
		if n := len(rcv.deliveries()); n != 0 {
			t.Fatalf("a paused webhook got %d deliveries", n)
		}
	})
}

func TestWebhookPingAndSSRF(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv := newReceiver(t, 202)
		var ping keyway.PingResult
		s.call("POST", "/webhooks/ping", map[string]any{"url": rcv.URL, "httpMethod": "PUT", "body": map[string]any{"hello": 1},
			"headers": map[string]string{"X-A": "1"}, "customHeaders": map[string]string{"X-B": "2"}}).want(t, 200).decode(t, &ping)
		if !ping.OK || ping.Status != 202 {
			t.Fatalf("ping %+v", ping)
		}
		d := rcv.await(t, 1)[0]
		if d.method != "PUT" || string(d.body) != `{"hello":1}` || d.header.Get("X-A") != "1" || d.header.Get("X-B") != "2" {
			t.Fatalf("ping delivered %s %s %v", d.method, d.body, d.header)
		}
		for _, url := range []string{"http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data", "http://[fd00::1]/", "http://0.0.0.0/", "ftp://example.com/"} {
			r := s.call("POST", "/webhooks", map[string]any{"name": "x", "url": url, "topics": []string{keyway.TopicAPIKeyCreated}, "httpMethod": "POST"})
			if r.Status != 400 {
				t.Errorf("create with %s: %d %s, want 400", url, r.Status, r.Body)
			}
			r = s.call("POST", "/webhooks/ping", map[string]any{"url": url, "httpMethod": "POST"})
			if r.Status != 400 {
				t.Errorf("ping %s: %d %s, want 400", url, r.Status, r.Body)
			}
		}
	})
}

// Custom headers cannot set what a delivery sets itself, however spelled.
func TestWebhookReservedHeadersRefused(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		for _, name := range []string{"webhook-signature", "Webhook-Id", "THEAUTHAPI-SIGNATURE", "Content-Type", "Host"} {
			body := map[string]any{"name": "x", "url": "https://hooks.example.com/", "topics": []string{keyway.TopicAPIKeyCreated},
				"httpMethod": "POST", "customHeaders": map[string]string{name: "forged"}}
			s.call("POST", "/webhooks", body).want(t, 400).wantJSON(t,
				badRequest("customHeaders must not set "+name+", which every delivery sets itself"))
		}
	})
}
