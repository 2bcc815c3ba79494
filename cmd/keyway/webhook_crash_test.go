package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// hookSink is a webhook receiver on 127.0.0.1 that records every request
// and answers with a status that can be changed at any time.
type hookSink struct {
	url    string
	status atomic.Int32
	// delay, when set, is how long each answer takes.
	delay atomic.Int64
	mu    sync.Mutex
	hits  []hookHit
}

// hookHit is one request the sink received.
type hookHit struct {
	webhookID string // the webhook-id header
	header    http.Header
	body      []byte
	answered  int
	// From the body: the envelope's id and topic, and data.key.
	eventID, topic, key string
}

func newHookSink(t *testing.T, status int) *hookSink {
	t.Helper()
	s := &hookSink{}
	s.status.Store(int32(status))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := hookHit{webhookID: r.Header.Get("webhook-id"), header: r.Header.Clone(), body: body}
		var env struct {
			ID    string `json:"id"`
			Topic string `json:"topic"`
			Data  struct {
				Key string `json:"key"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &env) == nil {
			h.eventID, h.topic, h.key = env.ID, env.Topic, env.Data.Key
		}
		s.mu.Lock()
		h.answered = int(s.status.Load())
		s.hits = append(s.hits, h)
		s.mu.Unlock()
		// Recorded on arrival: a request still waiting here when its
		// sender dies counts as received. The delay is this receiver's
		// latency; a request whose sender went away ends at once.
		if d := time.Duration(s.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(h.answered)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *hookSink) snapshot() []hookHit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hits)
}

// await polls until done holds for the hits so far.
func (s *hookSink) await(t *testing.T, timeout time.Duration, what string, done func([]hookHit) bool) {
	t.Helper()
	_, err := keywaytest.Poll{Timeout: timeout}.Until(what, func() (bool, string, error) {
		hits := s.snapshot()
		return done(hits), fmt.Sprintf("%d requests received", len(hits)), nil
	})
	if err != nil {
		t.Fatalf("webhook receiver: %v", err)
	}
}

// hookEnv is the webhook configuration of the nodes of these tests:
// loopback receivers allowed, retries quick in real time.
func hookEnv(env map[string]string) map[string]string {
	out := map[string]string{
		"KEYWAY_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",
		"KEYWAY_WEBHOOK_RETRY_BASE":     "100ms",
		"KEYWAY_WEBHOOK_RETRY_MAX":      "200ms",
		// The lease of a claim is 2×timeout+30 s: a delivery claimed by a
		// node killed mid-send waits that long before another node sends it.
		"KEYWAY_WEBHOOK_TIMEOUT": "1s",
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// hookSetup creates a project and an api-key.created webhook to url on n
// and returns the account, project, webhook id and secret.
func hookSetup(t *testing.T, n *clusterNode, access, url string) (account, project, webhookID, secret string) {
	t.Helper()
	r := n.must(t, "GET", "/accounts", access, nil)
	if r.status != 200 || len(r.list(t)) != 1 {
		t.Fatalf("GET /accounts on %s: %s", n.name, r)
	}
	account, _ = r.list(t)[0]["id"].(string)
	r = n.must(t, "POST", "/projects", access, map[string]any{"name": "hooked", "accountId": account, "env": "live"})
	if r.status != 201 {
		t.Fatalf("POST /projects on %s: %s", n.name, r)
	}
	project, _ = r.object(t)["id"].(string)
	r = n.must(t, "POST", "/webhooks", access, map[string]any{"name": "sink", "url": url, "topics": []string{keyway.TopicAPIKeyCreated}, "httpMethod": "POST"})
	if r.status != 201 {
		t.Fatalf("POST /webhooks on %s: %s", n.name, r)
	}
	w := r.object(t)
	webhookID, _ = w["id"].(string)
	secret, _ = w["secret"].(string)
	if webhookID == "" || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("POST /webhooks on %s: %s", n.name, r)
	}
	return account, project, webhookID, secret
}

// hookAwaitDelivered polls the webhook's deliveries through n until there
// are want of them, all delivered.
func hookAwaitDelivered(t *testing.T, n *clusterNode, access, webhookID string, want int, timeout time.Duration) {
	t.Helper()
	var last string
	_, err := clusterAwait(timeout, func() (bool, string, error) {
		r, err := n.do("GET", "/webhooks/"+webhookID+"/deliveries?limit=1000", access, nil)
		if err != nil {
			return false, "", err
		}
		if r.status != 200 {
			return false, "", fmt.Errorf("GET deliveries on %s: %s", n.name, r)
		}
		var ds []keyway.Delivery
		if err := json.Unmarshal(r.body, &ds); err != nil {
			return false, "", err
		}
		states := map[keyway.DeliveryState]int{}
		for _, d := range ds {
			states[d.State]++
		}
		last = fmt.Sprintf("%d deliveries %v", len(ds), states)
		return len(ds) == want && states[keyway.DeliveryDelivered] == want, last, nil
	})
	if err != nil {
		t.Fatalf("deliveries of webhook %s on %s: %v", webhookID, n.name, err)
	}
}

// hookCheck asserts what every delivery run must show: each request is
// signed with the webhook's secret (verified with the Standard Webhooks
// library) and its webhook-id is its envelope's id; the webhook-ids are
// exactly the envelope ids; every key has exactly one event, and every
// request about that key carries that event's id; every key got a 2xx.
// It returns how many events were received more than once with a 2xx.
func hookCheck(t *testing.T, hits []hookHit, secret string, keys []string) (dupSuccesses int) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	webhookIDs, envelopeIDs := map[string]bool{}, map[string]bool{}
	eventOfKey := map[string]string{}
	successes := map[string]int{}
	for i, h := range hits {
		if err := wh.Verify(h.body, h.header); err != nil {
			t.Errorf("request %d (%s): signature does not verify: %v", i, h.webhookID, err)
		}
		if h.header.Get("theauthapi-signature") != secret {
			t.Errorf("request %d: theauthapi-signature is not the webhook's secret", i)
		}
		if h.webhookID == "" || h.webhookID != h.eventID || h.topic != keyway.TopicAPIKeyCreated {
			t.Errorf("request %d: webhook-id %q, envelope id %q, topic %q", i, h.webhookID, h.eventID, h.topic)
		}
		webhookIDs[h.webhookID], envelopeIDs[h.eventID] = true, true
		if prev, ok := eventOfKey[h.key]; ok && prev != h.webhookID {
			t.Errorf("key %s: requests with webhook-id %s and %s (retries must keep the id)", keyway.Fingerprint(h.key), prev, h.webhookID)
		}
		eventOfKey[h.key] = h.webhookID
		if h.answered >= 200 && h.answered < 300 {
			successes[h.webhookID]++
		}
	}
	if !maps.Equal(webhookIDs, envelopeIDs) {
		t.Errorf("the webhook-ids (%d) are not the envelope ids (%d)", len(webhookIDs), len(envelopeIDs))
	}
	got := slices.Sorted(maps.Keys(eventOfKey))
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(got, want) {
		t.Errorf("events received for %d keys, want the %d keys created", len(got), len(want))
	}
	if len(webhookIDs) != len(keys) {
		t.Errorf("%d distinct events, want %d (one api-key.created per key)", len(webhookIDs), len(keys))
	}
	for _, id := range eventOfKey {
		switch n := successes[id]; {
		case n == 0:
			t.Errorf("event %s never answered 2xx", id)
		case n > 1:
			dupSuccesses++
		}
	}
	return dupSuccesses
}

// TestWebhookDeliveriesSurviveKill9: with the receiver down, a webhook's
// pending deliveries survive kill -9 of keyway; after a restart on the
// same database and with the receiver back, every event arrives, signed,
// under the same webhook-id as its attempts before the crash.
func TestWebhookDeliveriesSurviveKill9(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	t.Run("sqlite", func(t *testing.T) {
		db := "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "keyway.db"))
		hookCrash(t, map[string]string{
			"KEYWAY_DATABASE_URL":         db,
			"KEYWAY_SECRET_KEY":           base64.StdEncoding.EncodeToString(secret),
			"KEYWAY_BOOTSTRAP_ACCESS_KEY": keycrypt.NewKey("live_access_"),
		})
	})
	if os.Getenv(keywaytest.PostgresEnv) == "" {
		t.Logf("%s unset: PostgreSQL variant not run", keywaytest.PostgresEnv)
		return
	}
	t.Run("postgres", func(t *testing.T) {
		hookCrash(t, newCluster(t, false).env)
	})
}

func hookCrash(t *testing.T, env map[string]string) {
	const n = 20
	env = hookEnv(env)
	access := env["KEYWAY_BOOTSTRAP_ACCESS_KEY"]
	sink := newHookSink(t, http.StatusServiceUnavailable)
	// The receiver is down and slow to say so: when A is killed, sends are
	// in flight, their deliveries claimed by A. They are sent again once
	// their lease (2×1 s + 30 s) has run out.
	sink.delay.Store(int64(300 * time.Millisecond))
	a := startNode(t, "A", env, "warn")
	a.waitReady(t, 30*time.Second)
	_, project, webhookID, secret := hookSetup(t, a, access, sink.url+"/hook")
	var keys []string
	for i := range n {
		r := a.must(t, "POST", "/api-keys", access, map[string]any{"name": fmt.Sprint("k", i), "projectId": project})
		if r.status != 201 {
			t.Fatalf("POST /api-keys: %s", r)
		}
		k, _ := r.object(t)["key"].(string)
		keys = append(keys, k)
	}
	// Let the receiver refuse every event, some of them more than once.
	sink.await(t, 20*time.Second, "every event refused, some retried", func(hits []hookHit) bool {
		per := map[string]int{}
		retried := false
		for _, h := range hits {
			per[h.key]++
			retried = retried || per[h.key] > 1
		}
		return len(per) == n && retried
	})
	a.kill9(t)
	sink.delay.Store(0)
	before := len(sink.snapshot())
	for _, h := range sink.snapshot() {
		if h.answered != http.StatusServiceUnavailable {
			t.Fatalf("a request was answered %d before the restart", h.answered)
		}
	}

	restarted := startNode(t, "A-restarted", env, "warn")
	restarted.waitReady(t, 30*time.Second)
	sink.status.Store(http.StatusNoContent)
	start := time.Now()
	// The deliveries claimed by A wait for their lease.
	sink.await(t, 60*time.Second, "every event delivered after the restart", func(hits []hookHit) bool {
		ok := map[string]bool{}
		for _, h := range hits {
			if h.answered == http.StatusNoContent {
				ok[h.key] = true
			}
		}
		return len(ok) == n
	})
	took := time.Since(start)
	hookAwaitDelivered(t, restarted, access, webhookID, n, 10*time.Second)
	hits := sink.snapshot()
	dups := hookCheck(t, hits, secret, keys)
	t.Logf("%d events: %d requests refused before kill -9, %d after; all delivered %v after the restart; %d delivered more than once",
		n, before, len(hits)-before, took.Round(time.Millisecond), dups)
	if dups > 0 {
		t.Errorf("%d events were delivered (2xx) more than once after the restart", dups)
	}
}
