package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
)

// The exact bodies of the webhook lookups that find nothing in scope.
const (
	whErrNotFound         = `{"statusCode":404,"message":"Webhook not found","error":"Not Found"}`
	whErrDeliveryNotFound = `{"statusCode":404,"message":"Delivery not found","error":"Not Found"}`
)

// whCreateAs creates a webhook with cred (the bootstrap key when "") from a
// body completed with a name, the topic api-key.created and POST, and
// returns it as decoded.
func (s *server) whCreateAs(t *testing.T, cred string, body map[string]any) keyway.Webhook {
	t.Helper()
	full := map[string]any{"name": "hook", "topics": []string{keyway.TopicAPIKeyCreated}, "httpMethod": "POST"}
	for k, v := range body {
		full[k] = v
	}
	if cred == "" {
		cred = s.AccessKey
	}
	var w keyway.Webhook
	s.withT(t).callAs(cred, "POST", "/webhooks", full).want(t, 201).decode(t, &w)
	return w
}

// whDataKey is the "key" member of a delivery's data (the key an
// api-key.* event is about), "" for other objects.
func whDataKey(t *testing.T, d delivery) string {
	t.Helper()
	var obj struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(d.envelope(t).Data, &obj); err != nil {
		t.Fatalf("delivery data %s: %v", d.envelope(t).Data, err)
	}
	return obj.Key
}

// whKeys lists, per delivery received, the topic and key of its event.
func whKeys(t *testing.T, r *receiver) []string {
	t.Helper()
	var out []string
	for _, d := range r.deliveries() {
		out = append(out, d.envelope(t).Topic+" "+whDataKey(t, d))
	}
	return out
}

// whAwaitKey polls until r has received the event of topic about key (an
// API key or access key string).
func whAwaitKey(t *testing.T, r *receiver, topic, key string) {
	t.Helper()
	keywaytest.EventuallyShows(t, fmt.Sprintf("the receiver to get %s of %s", topic, keyway.Fingerprint(key)), func() (bool, string) {
		got := whKeys(t, r)
		return slices.Contains(got, topic+" "+key), fmt.Sprint(got)
	})
}

// whDeliveries reads a webhook's deliveries through the API with cred.
func (s *server) whDeliveries(t *testing.T, cred, webhookID string) []keyway.Delivery {
	t.Helper()
	if cred == "" {
		cred = s.AccessKey
	}
	var ds []keyway.Delivery
	s.withT(t).callAs(cred, "GET", "/webhooks/"+webhookID+"/deliveries", nil).want(t, 200).decode(t, &ds)
	return ds
}

// whAwaitDelivered polls a webhook's deliveries until n exist and all are
// delivered, and returns them.
func (s *server) whAwaitDelivered(t *testing.T, cred, webhookID string, n int) []keyway.Delivery {
	t.Helper()
	var ds []keyway.Delivery
	keywaytest.EventuallyShows(t, fmt.Sprintf("webhook %s to have %d delivered deliveries", webhookID, n), func() (bool, string) {
		ds = s.whDeliveries(t, cred, webhookID)
		done := len(ds) == n
		for _, d := range ds {
			done = done && d.State == keyway.DeliveryDelivered
		}
		return done, fmt.Sprintf("deliveries %+v", ds)
	})
	return ds
}

func whList(items ...string) string {
	out := "["
	for i, it := range items {
		if i > 0 {
			out += ","
		}
		out += it
	}
	return out + "]"
}

// TestWebhookScopeBetweenAccounts: nothing of another account's webhooks
// is visible. Path lookups (the webhook, its deliveries, a retry) answer
// 404 as if it did not exist; naming the other account or its project in a
// query or body answers 403; refused writes change nothing; and an event
// never reaches a webhook of another account.
func TestWebhookScopeBetweenAccounts(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		mineRcv, theirRcv := newReceiver(t), newReceiver(t)
		p := s.newProject("mine", "live")
		mine := s.newWebhook(t, mineRcv.URL, []string{keyway.TopicAPIKeyCreated, keyway.TopicAPIKeyUpdated}, nil)
		s.Clock.Advance(time.Second)
		myProjectHook := s.whCreateAs(t, "", map[string]any{"url": mineRcv.URL, "projectId": p.ID})

		otherAcct, other := s.seedAccount()
		var op struct{ ID string }
		s.callAs(other, "POST", "/projects", map[string]any{"name": "theirs", "accountId": otherAcct, "env": "live"}).want(t, 201).decode(t, &op)
		theirs := s.whCreateAs(t, other, map[string]any{"url": theirRcv.URL, "topics": []string{keyway.TopicAPIKeyCreated, keyway.TopicAPIKeyUpdated}})
		if theirs.AccountID != otherAcct || theirs.ProjectID != nil {
			t.Fatalf("their webhook %+v, want account %s and no project", theirs, otherAcct)
		}

		// One delivery each, so there are delivery ids to aim at.
		myKey := s.newKey(p.ID, nil)
		whAwaitKey(t, mineRcv, keyway.TopicAPIKeyCreated, myKey.Key.Reveal())
		s.Clock.Advance(time.Millisecond)
		// The control: their event, made after mine, reaches their receiver.
		var theirKey struct{ Key string }
		s.callAs(other, "POST", "/api-keys", map[string]any{"name": "theirs", "projectId": op.ID}).want(t, 201).decode(t, &theirKey)
		whAwaitKey(t, theirRcv, keyway.TopicAPIKeyCreated, theirKey.Key)
		myDs := s.whAwaitDelivered(t, "", mine.ID, 1)
		theirDs := s.whAwaitDelivered(t, other, theirs.ID, 1)
		// My event never reached their webhook, nor theirs mine.
		if got := whKeys(t, theirRcv); !slices.Equal(got, []string{keyway.TopicAPIKeyCreated + " " + theirKey.Key}) {
			t.Fatalf("their receiver got %v, want only their own key's event", got)
		}
		if theirDs[0].EventID == myDs[0].EventID {
			t.Fatal("their webhook has a delivery of my event")
		}
		for _, d := range whKeys(t, mineRcv) {
			if d == keyway.TopicAPIKeyCreated+" "+theirKey.Key {
				t.Fatal("my receiver got their event")
			}
		}

		mineW := s.get("/webhooks/" + mine.ID)
		myProjectHookW := s.get("/webhooks/" + myProjectHook.ID)
		myList := s.get("/webhooks")
		myDsW := s.get("/webhooks/" + mine.ID + "/deliveries")
		var theirW string
		{
			r := s.callAs(other, "GET", "/webhooks/"+theirs.ID, nil).want(t, 200)
			theirW = string(r.Body)
		}

		o := func(name, method, path string, body any, status int, want string) scenario {
			return scenario{name: name, as: other, method: method, path: path, body: body, wantStatus: status, wantJSON: want}
		}
		me := func(name, method, path string, body any, status int, want string) scenario {
			return scenario{name: name, method: method, path: path, body: body, wantStatus: status, wantJSON: want}
		}
		valid := map[string]any{"name": "x", "url": theirRcv.URL, "topics": []string{keyway.TopicAPIKeyCreated}, "httpMethod": "POST"}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for a, b := range valid {
				m[a] = b
			}
			m[k] = v
			return m
		}
		var sc []scenario
		for _, w := range []struct{ what, id, delivery string }{
			{"my account-wide webhook", mine.ID, myDs[0].ID},
			{"my project's webhook", myProjectHook.ID, myDs[0].ID},
		} {
			sc = append(sc,
				o("get "+w.what, "GET", "/webhooks/"+w.id, nil, 404, whErrNotFound),
				o("patch "+w.what, "PATCH", "/webhooks/"+w.id, map[string]any{"name": "pwned", "url": theirRcv.URL}, 404, whErrNotFound),
				o("pause "+w.what, "PATCH", "/webhooks/"+w.id, map[string]any{"status": "paused"}, 404, whErrNotFound),
				o("delete "+w.what, "DELETE", "/webhooks/"+w.id, nil, 404, whErrNotFound),
				o("list the deliveries of "+w.what, "GET", "/webhooks/"+w.id+"/deliveries", nil, 404, whErrNotFound),
				o("retry a delivery of "+w.what, "POST", "/webhooks/"+w.id+"/deliveries/"+w.delivery+"/retry", nil, 404, whErrNotFound),
				o("retry their own delivery through "+w.what, "POST", "/webhooks/"+w.id+"/deliveries/"+theirDs[0].ID+"/retry", nil, 404, whErrNotFound),
			)
		}
		sc = append(sc,
			o("retry my delivery through their webhook", "POST", "/webhooks/"+theirs.ID+"/deliveries/"+myDs[0].ID+"/retry", nil, 404, whErrDeliveryNotFound),
			o("an unknown webhook", "GET", "/webhooks/no-such-webhook", nil, 404, whErrNotFound),
			// Named in a query or body: 403.
			o("list my account's webhooks", "GET", "/webhooks?accountId="+s.AccountID, nil, 403, errForbidden),
			o("list my project's webhooks", "GET", "/webhooks?projectId="+p.ID, nil, 403, errForbidden),
			o("list my project's webhooks naming their account", "GET", "/webhooks?accountId="+otherAcct+"&projectId="+p.ID, nil, 403, errForbidden),
			o("list my account's webhooks by topic", "GET", "/webhooks?accountId="+s.AccountID+"&topic="+keyway.TopicAPIKeyCreated, nil, 403, errForbidden),
			o("create a webhook in my account", "POST", "/webhooks", with("accountId", s.AccountID), 403, errForbidden),
			o("create a webhook in my project", "POST", "/webhooks", with("projectId", p.ID), 403, errForbidden),
			o("create a webhook in my project naming their account", "POST", "/webhooks", func() map[string]any {
				m := with("projectId", p.ID)
				m["accountId"] = otherAcct
				return m
			}(), 403, errForbidden),
			// They see their own only.
			o("their list", "GET", "/webhooks", nil, 200, whList(theirW)),
			o("their list naming their account", "GET", "/webhooks?accountId="+otherAcct, nil, 200, whList(theirW)),
			o("their webhook", "GET", "/webhooks/"+theirs.ID, nil, 200, theirW),
			// And I see nothing of theirs.
			me("my view of their webhook", "GET", "/webhooks/"+theirs.ID, nil, 404, whErrNotFound),
			me("my patch of their webhook", "PATCH", "/webhooks/"+theirs.ID, map[string]any{"url": mineRcv.URL}, 404, whErrNotFound),
			me("my delete of their webhook", "DELETE", "/webhooks/"+theirs.ID, nil, 404, whErrNotFound),
			me("my view of their deliveries", "GET", "/webhooks/"+theirs.ID+"/deliveries", nil, 404, whErrNotFound),
			me("my retry of their delivery", "POST", "/webhooks/"+theirs.ID+"/deliveries/"+theirDs[0].ID+"/retry", nil, 404, whErrNotFound),
			me("my retry of their delivery through my webhook", "POST", "/webhooks/"+mine.ID+"/deliveries/"+theirDs[0].ID+"/retry", nil, 404, whErrDeliveryNotFound),
			me("my listing of their account", "GET", "/webhooks?accountId="+otherAcct, nil, 403, errForbidden),
			me("my listing of their project", "GET", "/webhooks?projectId="+op.ID, nil, 403, errForbidden),
			me("my webhook in their project", "POST", "/webhooks", with("projectId", op.ID), 403, errForbidden),
			me("my webhook in their account", "POST", "/webhooks", with("accountId", otherAcct), 403, errForbidden),
			// Nothing changed.
			unchanged("my webhook is unchanged", "/webhooks/"+mine.ID, mineW),
			unchanged("my project's webhook is unchanged", "/webhooks/"+myProjectHook.ID, myProjectHookW),
			unchanged("my list is unchanged", "/webhooks", myList),
			unchanged("my deliveries are unchanged", "/webhooks/"+mine.ID+"/deliveries", myDsW),
			scenario{name: "their webhook is unchanged", as: other, method: "GET", path: "/webhooks/" + theirs.ID, wantStatus: 200, wantJSON: theirW},
			scenario{name: "their deliveries are unchanged", as: other, method: "GET", path: "/webhooks/" + theirs.ID + "/deliveries", wantStatus: 200,
				check: func(t *testing.T, r *response) {
					var ds []keyway.Delivery
					r.decode(t, &ds)
					if len(ds) != 1 || ds[0].ID != theirDs[0].ID || ds[0].State != keyway.DeliveryDelivered || ds[0].Attempts != 1 {
						t.Fatalf("their deliveries %s", r.Body)
					}
				}},
		)
		run(t, s, sc)

		// My webhook still works, and was neither redirected nor paused: an
		// update reaches my receiver, and not theirs, although their
		// webhook listens to updates (their own update, made after, is the
		// control).
		s.Clock.Advance(time.Millisecond)
		s.call("PATCH", "/api-keys/"+myKey.Key.Reveal(), map[string]any{"name": "renamed"}).want(t, 200)
		whAwaitKey(t, mineRcv, keyway.TopicAPIKeyUpdated, myKey.Key.Reveal())
		s.Clock.Advance(time.Millisecond)
		s.callAs(other, "PATCH", "/api-keys/"+theirKey.Key, map[string]any{"name": "renamed"}).want(t, 200)
		whAwaitKey(t, theirRcv, keyway.TopicAPIKeyUpdated, theirKey.Key)
		if got := whKeys(t, theirRcv); len(got) != 2 {
			t.Fatalf("their receiver got %v, want their key's two events only", got)
		}
		for _, d := range whKeys(t, mineRcv) {
			if strings.HasSuffix(d, theirKey.Key) {
				t.Fatal("my receiver got their event")
			}
		}
	})
}

// TestWebhookScopeBetweenProjects: a project-level access key lists and
// reaches only its project's webhooks, creates webhooks in its project by
// default, and cannot see account-wide ones or another project's; events
// of one project never reach a webhook of another, while an account-wide
// webhook hears the whole account.
func TestWebhookScopeBetweenProjects(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		a := s.newProject("a", "live")
		b := s.newProject("b", "live")
		// The project keys are made before any webhook exists, so their
		// access-key.created events reach nobody.
		pa, pb := s.projectKey(a.ID), s.projectKey(b.ID)
		allRcv, aRcv, bRcv := newReceiver(t), newReceiver(t), newReceiver(t)
		topics := []string{keyway.TopicAPIKeyCreated, keyway.TopicAccessKeyCreated}

		all := s.whCreateAs(t, "", map[string]any{"url": allRcv.URL, "topics": topics})
		s.Clock.Advance(time.Second) // oldest first: make the order certain
		hookA := s.whCreateAs(t, pa, map[string]any{"name": "a's", "url": aRcv.URL, "topics": topics})
		s.Clock.Advance(time.Second)
		hookB := s.whCreateAs(t, pb, map[string]any{"name": "b's", "url": bRcv.URL, "topics": topics, "projectId": b.ID})
		s.Clock.Advance(time.Second)
		// An account-level key may make a project webhook too.
		hookA2 := s.whCreateAs(t, "", map[string]any{"name": "a's second", "url": aRcv.URL, "topics": []string{keyway.TopicProjectUpdated}, "projectId": a.ID})
		for _, c := range []struct {
			w       keyway.Webhook
			project string
			by      string
		}{{all, "", s.AccessKey}, {hookA, a.ID, pa}, {hookB, b.ID, pb}, {hookA2, a.ID, s.AccessKey}} {
			got := ""
			if c.w.ProjectID != nil {
				got = *c.w.ProjectID
			}
			if got != c.project || c.w.AccountID != s.AccountID || c.w.CreatedBy != actor(c.by) || c.w.CreatedByType != keyway.ActorAccessKey {
				t.Fatalf("webhook %s: project %q, account %s, createdBy %s %s; want project %q, account %s, createdBy %s",
					c.w.Name, got, c.w.AccountID, c.w.CreatedBy, c.w.CreatedByType, c.project, s.AccountID, actor(c.by))
			}
		}
		allW, aW, bW, a2W := s.get("/webhooks/"+all.ID), s.get("/webhooks/"+hookA.ID), s.get("/webhooks/"+hookB.ID), s.get("/webhooks/"+hookA2.ID)
		otherAcct, _ := s.seedAccount()

		as := func(name, method, path string, body any, status int, want string) scenario {
			return scenario{name: name, as: pa, method: method, path: path, body: body, wantStatus: status, wantJSON: want}
		}
		valid := func(extra map[string]any) map[string]any {
			m := map[string]any{"name": "x", "url": aRcv.URL, "topics": []string{keyway.TopicAPIKeyCreated}, "httpMethod": "POST"}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		var sc []scenario
		// Its own project's webhooks.
		sc = append(sc,
			as("list defaults to its project", "GET", "/webhooks", nil, 200, whList(aW, a2W)),
			as("list its project", "GET", "/webhooks?projectId="+a.ID, nil, 200, whList(aW, a2W)),
			as("list naming its account", "GET", "/webhooks?accountId="+s.AccountID, nil, 200, whList(aW, a2W)),
			as("list its project by topic", "GET", "/webhooks?topic="+keyway.TopicProjectUpdated, nil, 200, whList(a2W)),
			as("get its webhook", "GET", "/webhooks/"+hookA.ID, nil, 200, aW),
			as("get the account-level key's webhook in its project", "GET", "/webhooks/"+hookA2.ID, nil, 200, a2W),
			as("list its webhook's deliveries", "GET", "/webhooks/"+hookA.ID+"/deliveries", nil, 200, `[]`),
		)
		// Account-wide and other-project webhooks: 404 by path.
		for _, w := range []struct{ what, id string }{{"the account-wide webhook", all.ID}, {"b's webhook", hookB.ID}} {
			sc = append(sc,
				as("get "+w.what, "GET", "/webhooks/"+w.id, nil, 404, whErrNotFound),
				as("patch "+w.what, "PATCH", "/webhooks/"+w.id, map[string]any{"name": "pwned"}, 404, whErrNotFound),
				as("delete "+w.what, "DELETE", "/webhooks/"+w.id, nil, 404, whErrNotFound),
				as("list the deliveries of "+w.what, "GET", "/webhooks/"+w.id+"/deliveries", nil, 404, whErrNotFound),
				as("retry a delivery of "+w.what, "POST", "/webhooks/"+w.id+"/deliveries/x/retry", nil, 404, whErrNotFound),
			)
		}
		// Naming another project or account: 403.
		sc = append(sc,
			as("list b's webhooks", "GET", "/webhooks?projectId="+b.ID, nil, 403, errForbidden),
			as("list another account's webhooks", "GET", "/webhooks?accountId="+otherAcct, nil, 403, errForbidden),
			as("list an unknown project's webhooks", "GET", "/webhooks?projectId=no-such-project", nil, 403, errForbidden),
			as("create a webhook in b", "POST", "/webhooks", valid(map[string]any{"projectId": b.ID}), 403, errForbidden),
			as("create a webhook in another account", "POST", "/webhooks", valid(map[string]any{"accountId": otherAcct}), 403, errForbidden),
			// b's key sees the mirror image.
			scenario{name: "b's key lists b's webhook only", as: pb, method: "GET", path: "/webhooks", wantStatus: 200, wantJSON: whList(bW)},
			scenario{name: "b's key cannot see a's", as: pb, method: "GET", path: "/webhooks/" + hookA.ID, wantStatus: 404, wantJSON: whErrNotFound},
			// The account-level key sees everything, and filters.
			scenario{name: "the account-level key lists all", method: "GET", path: "/webhooks", wantStatus: 200, wantJSON: whList(allW, aW, bW, a2W)},
			scenario{name: "the account-level key lists a's", method: "GET", path: "/webhooks?projectId=" + a.ID, wantStatus: 200, wantJSON: whList(aW, a2W)},
			scenario{name: "the account-level key lists b's", method: "GET", path: "/webhooks?projectId=" + b.ID, wantStatus: 200, wantJSON: whList(bW)},
			scenario{name: "the account-level key filters by topic", method: "GET", path: "/webhooks?topic=" + keyway.TopicAccessKeyCreated, wantStatus: 200, wantJSON: whList(allW, aW, bW)},
			scenario{name: "the account-level key filters by topic and project", method: "GET", path: "/webhooks?projectId=" + a.ID + "&topic=" + keyway.TopicAccessKeyCreated, wantStatus: 200, wantJSON: whList(aW)},
			// Nothing changed.
			unchanged("the account-wide webhook is unchanged", "/webhooks/"+all.ID, allW),
			unchanged("b's webhook is unchanged", "/webhooks/"+hookB.ID, bW),
		)
		run(t, s, sc)

		// Events. Each negative case is followed by a positive control made
		// after it, on the receiver that must not get it.
		kA1 := s.newKey(a.ID, map[string]any{"name": "a1"}) // all, a
		s.Clock.Advance(time.Millisecond)
		ak := s.accessKey(map[string]any{"name": "account level"}) // account-wide: all only
		s.Clock.Advance(time.Millisecond)
		kB := s.newKey(b.ID, map[string]any{"name": "b1"}) // all, b: control for b
		s.Clock.Advance(time.Millisecond)
		var kA2 keyway.APIKey // all, a: control for a; made by a's own key
		s.callAs(pa, "POST", "/api-keys", map[string]any{"name": "a2"}).want(t, 201).decode(t, &kA2)
		whAwaitKey(t, bRcv, keyway.TopicAPIKeyCreated, kB.Key.Reveal())
		whAwaitKey(t, aRcv, keyway.TopicAPIKeyCreated, kA2.Key.Reveal())
		for _, k := range []string{kA1.Key.Reveal(), kB.Key.Reveal(), kA2.Key.Reveal()} {
			whAwaitKey(t, allRcv, keyway.TopicAPIKeyCreated, k)
		}
		whAwaitKey(t, allRcv, keyway.TopicAccessKeyCreated, ak)
		created, akCreated := keyway.TopicAPIKeyCreated+" ", keyway.TopicAccessKeyCreated+" "
		sorted := func(xs []string) []string { slices.Sort(xs); return xs }
		if got, want := sorted(whKeys(t, aRcv)), sorted([]string{created + kA1.Key.Reveal(), created + kA2.Key.Reveal()}); !slices.Equal(got, want) {
			t.Errorf("a's webhook got %v, want %v", got, want)
		}
		if got, want := whKeys(t, bRcv), []string{created + kB.Key.Reveal()}; !slices.Equal(got, want) {
			t.Errorf("b's webhook got %v, want %v", got, want)
		}
		if got, want := sorted(whKeys(t, allRcv)), sorted([]string{created + kA1.Key.Reveal(), created + kB.Key.Reveal(), created + kA2.Key.Reveal(), akCreated + ak}); !slices.Equal(got, want) {
			t.Errorf("the account-wide webhook got %v, want %v", got, want)
		}
		s.whAwaitDelivered(t, "", all.ID, 4)
		s.whAwaitDelivered(t, pa, hookA.ID, 2)
		s.whAwaitDelivered(t, pb, hookB.ID, 1)
		// A delivery is retried only through its own webhook: a's key
		// cannot reach the account-wide webhook's delivery through a's.
		allDs := s.whDeliveries(t, "", all.ID)
		bDs := s.whDeliveries(t, pb, hookB.ID)
		aDsW := s.get("/webhooks/" + hookA.ID + "/deliveries")
		allDsW := s.get("/webhooks/" + all.ID + "/deliveries")
		run(t, s, []scenario{
			as("retry the account-wide webhook's delivery through its own", "POST", "/webhooks/"+hookA.ID+"/deliveries/"+allDs[0].ID+"/retry", nil, 404, whErrDeliveryNotFound),
			as("retry b's delivery through its own", "POST", "/webhooks/"+hookA.ID+"/deliveries/"+bDs[0].ID+"/retry", nil, 404, whErrDeliveryNotFound),
			as("retry b's delivery through b's webhook", "POST", "/webhooks/"+hookB.ID+"/deliveries/"+bDs[0].ID+"/retry", nil, 404, whErrNotFound),
			unchanged("a's deliveries are unchanged", "/webhooks/"+hookA.ID+"/deliveries", aDsW),
			unchanged("the account-wide webhook's deliveries are unchanged", "/webhooks/"+all.ID+"/deliveries", allDsW),
			{name: "b's deliveries are unchanged", as: pb, method: "GET", path: "/webhooks/" + hookB.ID + "/deliveries", wantStatus: 200,
				check: func(t *testing.T, r *response) {
					var ds []keyway.Delivery
					r.decode(t, &ds)
					if len(ds) != 1 || ds[0].State != keyway.DeliveryDelivered || ds[0].Attempts != 1 {
						t.Fatalf("b's deliveries %s", r.Body)
					}
				}},
			// A project-level key cannot make an account-wide webhook: a
			// null projectId is its own project.
			{name: "projectId null is its project", as: pa, method: "POST", path: "/webhooks", body: valid(map[string]any{"projectId": nil}), wantStatus: 201,
				check: func(t *testing.T, r *response) {
					var w keyway.Webhook
					r.decode(t, &w)
					if w.ProjectID == nil || *w.ProjectID != a.ID {
						t.Fatalf("webhook %s, want project %s", r.Body, a.ID)
					}
				}},
			// A blank projectId is refused, as for every caller: only
			// leaving it out (or null) means the default.
			{name: "projectId empty is refused", as: pa, method: "POST", path: "/webhooks", body: valid(map[string]any{"projectId": "", "accountId": s.AccountID}), wantStatus: 400,
				wantJSON: badRequest("projectId should not be empty")},
		})

		// hookA2 listens to project.updated only.
		if ds := s.whDeliveries(t, pa, hookA2.ID); len(ds) != 0 {
			t.Errorf("a's project.updated webhook has deliveries %+v", ds)
		}
	})
}
