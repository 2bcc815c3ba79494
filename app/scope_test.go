package app_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// TestScopeBetweenAccounts: nothing of another account is visible. Path
// lookups answer 404 as if the object did not exist; naming another
// account's object in a query or body answers 403; and every refused write
// leaves the object as it was.
func TestScopeBetweenAccounts(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("mine", "live")
		k := s.createKey(p.ID, map[string]any{"name": "mine", "rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 60}})
		revoked := s.createKey(p.ID, map[string]any{"name": "revoked"})
		s.call("DELETE", "/api-keys/"+revoked.Key, nil).want(t, 200)
		s.Clock.Advance(time.Second) // newest first: make the order certain
		custom := s.createKey(p.ID, map[string]any{"name": "custom", "key": "taken-by-mine"})
		ak := s.accessKey(map[string]any{"name": "mine"})
		otherAcct, other := s.seedAccount()
		// The other account gets a project and key of its own, made with
		// its own access key.
		var op struct{ ID string }
		s.callAs(other, "POST", "/projects", map[string]any{"name": "theirs", "accountId": otherAcct, "env": "live"}).want(t, 201).decode(t, &op)
		var ok struct{ Key string }
		s.callAs(other, "POST", "/api-keys", map[string]any{"name": "theirs", "projectId": op.ID}).want(t, 201).decode(t, &ok)

		keyW := keyWant(k)
		projW := s.get("/projects/" + p.ID)
		acctW := s.get("/accounts/" + s.AccountID)
		akList := s.get("/access-keys?accountId=" + s.AccountID)
		revokedList := s.get("/api-keys?projectId=" + p.ID + "&isActive=false")
		o := func(name, method, path string, body any, status int, want string) scenario {
			return scenario{name: name, as: other, method: method, path: path, body: body, wantStatus: status, wantJSON: want}
		}
		run(t, s, []scenario{
			// API keys by path: 404.
			o("get my key", "GET", "/api-keys/"+k.Key, nil, 404, errKeyNotFound),
			o("patch my key", "PATCH", "/api-keys/"+k.Key, map[string]any{"name": "pwned", "allowedDomains": []string{"evil.net"}}, 404, errKeyNotFound),
			o("patch my key's string", "PATCH", "/api-keys/"+k.Key, map[string]any{"key": "stolen-key-1"}, 404, errKeyNotFound),
			o("delete my key", "DELETE", "/api-keys/"+k.Key, nil, 404, errKeyNotFound),
			o("rotate my key", "POST", "/api-keys/"+k.Key+"/rotate", nil, 404, errKeyNotFound),
			o("reactivate my revoked key", "PATCH", "/api-keys/"+revoked.Key+"/reactivate", nil, 404, errKeyNotFound),
			o("reactivate my active key", "PATCH", "/api-keys/"+k.Key+"/reactivate", nil, 404, errKeyNotFound),
			// Verification: the same 404 as an unknown key, and no rate-limit
			// state is revealed or consumed.
			{name: "verify my key", as: other, method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 404, wantJSON: errInvalidKey, wantHeaders: noRate},
			{name: "legacy verify my key", as: other, method: "GET", path: "/api-keys/auth/" + k.Key, wantStatus: 404, wantJSON: errInvalidKey, wantHeaders: noRate},
			o("legacy authenticate my key", "POST", "/auth/authenticate", legacyBody(k.Key), 404, errInvalidKey),
			// Named in a query or body: 403.
			o("list my project's keys", "GET", "/api-keys?projectId="+p.ID, nil, 403, errForbidden),
			o("create a key in my project", "POST", "/api-keys", map[string]any{"name": "x", "projectId": p.ID}, 403, errForbidden),
			o("list my projects", "GET", "/projects?accountId="+s.AccountID, nil, 403, errForbidden),
			o("create a project in my account", "POST", "/projects", map[string]any{"name": "x", "accountId": s.AccountID, "env": "live"}, 403, errForbidden),
			o("list my access keys", "GET", "/access-keys?accountId="+s.AccountID, nil, 403, errForbidden),
			o("list my project's access keys", "GET", "/access-keys?accountId="+otherAcct+"&projectId="+p.ID, nil, 403, errForbidden),
			o("create an access key in my account", "POST", "/access-keys", map[string]any{"name": "x", "accountId": s.AccountID}, 403, errForbidden),
			o("create an access key for my project", "POST", "/access-keys", map[string]any{"name": "x", "projectId": p.ID}, 403, errForbidden),
			// Projects, accounts and access keys by path: 404.
			o("get my project", "GET", "/projects/"+p.ID, nil, 404, errProjNotFound),
			o("rename my project", "PATCH", "/projects/"+p.ID, map[string]any{"name": "pwned"}, 404, errProjNotFound),
			o("delete my project", "DELETE", "/projects/"+p.ID, nil, 404, errProjNotFound),
			o("get my account", "GET", "/accounts/"+s.AccountID, nil, 404, errAcctNotFound),
			o("rename my account", "PATCH", "/accounts/"+s.AccountID, map[string]any{"name": "pwned"}, 404, errAcctNotFound),
			o("delete my account", "DELETE", "/accounts/"+s.AccountID, nil, 404, errAcctNotFound),
			o("rename my access key", "PATCH", "/access-keys/"+ak, map[string]any{"name": "pwned"}, 404, errAKNotFound),
			o("deactivate my access key", "DELETE", "/access-keys/"+ak, nil, 404, errAKNotFound),
			o("reactivate my access key", "PATCH", "/access-keys/"+ak+"/reactivate", nil, 404, errAKNotFound),
			o("deactivate the bootstrap key", "DELETE", "/access-keys/"+s.AccessKey, nil, 404, errAKNotFound),
			// The other account sees only itself.
			{name: "their account list", as: other, method: "GET", path: "/accounts", wantStatus: 200, wantJSON: "[" + seededAccountWant(otherAcct, s.now()) + "]"},
			// And mine sees nothing of theirs.
			{name: "my view of their key", method: "GET", path: "/api-keys/" + ok.Key, wantStatus: 404, wantJSON: errKeyNotFound},
			{name: "my verification of their key", method: "POST", path: "/api-keys/auth/" + ok.Key, wantStatus: 404, wantJSON: errInvalidKey},
			{name: "my view of their project", method: "GET", path: "/projects/" + op.ID, wantStatus: 404, wantJSON: errProjNotFound},
			{name: "my listing of their project", method: "GET", path: "/api-keys?projectId=" + op.ID, wantStatus: 403, wantJSON: errForbidden},
			{name: "my view of their account", method: "GET", path: "/accounts/" + otherAcct, wantStatus: 404, wantJSON: errAcctNotFound},
			{name: "my view of their access key", method: "PATCH", path: "/access-keys/" + other, body: map[string]any{"name": "x"}, wantStatus: 404, wantJSON: errAKNotFound},
			// Nothing changed.
			unchanged("my key is unchanged", "/api-keys/"+k.Key, keyW),
			unchanged("my revoked key is still revoked", "/api-keys?projectId="+p.ID+"&isActive=false", revokedList),
			unchanged("my project is unchanged", "/projects/"+p.ID, projW),
			unchanged("my account is unchanged", "/accounts/"+s.AccountID, acctW),
			unchanged("my access keys are unchanged", "/access-keys?accountId="+s.AccountID, akList),
			{name: "my key's rate limit was not consumed", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantJSON: keyW,
				wantHeaders: rate(1, 0, 1, s.Clock.Now().Add(time.Minute), "")},
			{name: "my access key still works", as: ak, method: "GET", path: "/projects/" + p.ID, wantStatus: 200, wantJSON: projW},
			{name: "no key was added to my project", method: "GET", path: "/api-keys?projectId=" + p.ID, wantStatus: 200, wantJSON: "[" + keyWant(custom) + "," + keyW + "]"},
			{name: "no project was added to my account", method: "GET", path: "/projects?accountId=" + s.AccountID, wantStatus: 200, wantJSON: "[" + projW + "]"},
		})
	})
}

// TestScopeBetweenProjects: a project-level access key reaches its own
// project only, acts as a `user` there, and can never mint a credential.
func TestScopeBetweenProjects(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		a := s.newProject("a", "live")
		s.Clock.Advance(time.Second) // oldest first: make the order certain
		b := s.newProject("b", "test")
		ka := s.createKey(a.ID, map[string]any{"name": "in a"})
		kb := s.createKey(b.ID, map[string]any{"name": "in b"})
		pa := s.projectKey(a.ID)
		t1 := s.now()
		pb := s.projectKey(b.ID)
		akAccount := s.accessKey(map[string]any{"name": "account level"})
		aW := s.get("/projects/" + a.ID)
		bW := s.get("/projects/" + b.ID)
		kbW := keyWant(kb)
		akAll := s.get("/access-keys?accountId=" + s.AccountID)
		var made keywayAPIKey
		// Later keys sort first: make that order certain.
		s.Clock.Advance(time.Second)
		as := func(name, method, path string, body any, status int, want string) scenario {
			return scenario{name: name, as: pa, method: method, path: path, body: body, wantStatus: status, wantJSON: want}
		}
		run(t, s, []scenario{
			// Its own project.
			as("list without projectId defaults to its project", "GET", "/api-keys", nil, 200, "["+keyWant(ka)+"]"),
			as("list its project", "GET", "/api-keys?projectId="+a.ID, nil, 200, "["+keyWant(ka)+"]"),
			{name: "create without projectId lands in its project", as: pa, method: "POST", path: "/api-keys", body: map[string]any{"name": "made by pa"}, wantStatus: 201,
				wantJSON: s.apiKeyWant(a.ID, map[string]any{"name": "made by pa"}), check: func(t *testing.T, r *response) { r.decode(t, &made); made.raw = r.Body }},
		})
		run(t, s, []scenario{
			as("the new key is listed in its project", "GET", "/api-keys", nil, 200, "["+keyWant(made)+","+keyWant(ka)+"]"),
			{name: "b's key cannot see the key made by a", as: pb, method: "GET", path: "/api-keys/" + made.Key, wantStatus: 404, wantJSON: errKeyNotFound},
			{name: "the account-level key can", method: "GET", path: "/api-keys/" + made.Key, wantStatus: 200, wantJSON: keyWant(made)},
			as("get its key", "GET", "/api-keys/"+ka.Key, nil, 200, keyWant(ka)),
			as("verify its key", "POST", "/api-keys/auth/"+ka.Key, nil, 200, keyWant(ka)),
			as("legacy authenticate its key", "POST", "/auth/authenticate", legacyBody(ka.Key), 201,
				`{"authenticated":true,"customMetaData":{},"customAccountId":null,"customUserId":null}`),
			as("patch its key", "PATCH", "/api-keys/"+ka.Key, map[string]any{"customUserId": "u"}, 200, keyWant(ka, map[string]any{"customUserId": "u", "updatedAt": s.now()})),
			as("get its project", "GET", "/projects/"+a.ID, nil, 200, aW),
			as("list projects shows only its own", "GET", "/projects?accountId="+s.AccountID, nil, 200, "["+aW+"]"),
			as("get its account", "GET", "/accounts/"+s.AccountID, nil, 200, s.get("/accounts/"+s.AccountID)),
			{name: "list access keys shows only its project's", as: pa, method: "GET", path: "/access-keys?accountId=" + s.AccountID, wantStatus: 200,
				wantJSON: "[" + s.accessKeyWant(map[string]any{"key": pa, "name": "project key", "projectId": a.ID, "createdAt": t1, "updatedAt": t1}) + "]"},
			// Admin operations on its own project and account: 403.
			as("rename its project", "PATCH", "/projects/"+a.ID, map[string]any{"name": "x"}, 403, errForbidden),
			as("delete its project", "DELETE", "/projects/"+a.ID, nil, 403, errForbidden),
			as("create a project", "POST", "/projects", map[string]any{"name": "x", "accountId": s.AccountID, "env": "live"}, 403, errForbidden),
			as("create a project with a bad body", "POST", "/projects", map[string]any{}, 403, errForbidden),
			as("rename its account", "PATCH", "/accounts/"+s.AccountID, map[string]any{"name": "x"}, 403, errForbidden),
			as("delete its account", "DELETE", "/accounts/"+s.AccountID, nil, 403, errForbidden),
			as("create an account", "POST", "/accounts", map[string]any{"name": "x"}, 403, errForbidden),
			// It can never mint or manage credentials.
			as("create an account-level access key", "POST", "/access-keys", map[string]any{"name": "escalate"}, 403, errForbidden),
			as("create an account-level access key naming the account", "POST", "/access-keys", map[string]any{"name": "escalate", "accountId": s.AccountID}, 403, errForbidden),
			as("create an access key for its own project", "POST", "/access-keys", map[string]any{"name": "copy", "projectId": a.ID}, 403, errForbidden),
			as("create an access key for another project", "POST", "/access-keys", map[string]any{"name": "x", "projectId": b.ID}, 403, errForbidden),
			as("create an access key with an invalid body", "POST", "/access-keys", map[string]any{"rateLimit": 0}, 403, errForbidden),
			as("rename itself", "PATCH", "/access-keys/"+pa, map[string]any{"name": "x"}, 403, errForbidden),
			as("deactivate itself", "DELETE", "/access-keys/"+pa, nil, 403, errForbidden),
			as("reactivate itself", "PATCH", "/access-keys/"+pa+"/reactivate", nil, 403, errForbidden),
			as("rename an account-level key", "PATCH", "/access-keys/"+akAccount, map[string]any{"name": "x"}, 404, errAKNotFound),
			as("deactivate an account-level key", "DELETE", "/access-keys/"+akAccount, nil, 404, errAKNotFound),
			as("deactivate another project's key", "DELETE", "/access-keys/"+pb, nil, 404, errAKNotFound),
			// The other project.
			as("list the other project", "GET", "/api-keys?projectId="+b.ID, nil, 403, errForbidden),
			as("create in the other project", "POST", "/api-keys", map[string]any{"name": "x", "projectId": b.ID}, 403, errForbidden),
			as("get the other project's key", "GET", "/api-keys/"+kb.Key, nil, 404, errKeyNotFound),
			as("patch the other project's key", "PATCH", "/api-keys/"+kb.Key, map[string]any{"name": "pwned"}, 404, errKeyNotFound),
			as("delete the other project's key", "DELETE", "/api-keys/"+kb.Key, nil, 404, errKeyNotFound),
			as("rotate the other project's key", "POST", "/api-keys/"+kb.Key+"/rotate", nil, 404, errKeyNotFound),
			as("reactivate the other project's key", "PATCH", "/api-keys/"+kb.Key+"/reactivate", nil, 404, errKeyNotFound),
			as("verify the other project's key", "POST", "/api-keys/auth/"+kb.Key, nil, 404, errInvalidKey),
			as("legacy verify the other project's key", "GET", "/api-keys/auth/"+kb.Key, nil, 404, errInvalidKey),
			as("legacy authenticate the other project's key", "POST", "/auth/authenticate", legacyBody(kb.Key), 404, errInvalidKey),
			as("get the other project", "GET", "/projects/"+b.ID, nil, 404, errProjNotFound),
			as("rename the other project", "PATCH", "/projects/"+b.ID, map[string]any{"name": "x"}, 404, errProjNotFound),
			as("delete the other project", "DELETE", "/projects/"+b.ID, nil, 404, errProjNotFound),
			as("list the other project's access keys", "GET", "/access-keys?accountId="+s.AccountID+"&projectId="+b.ID, nil, 403, errForbidden),
			as("list another account's projects", "GET", "/projects?accountId=other", nil, 403, errForbidden),
			// The other project's key sees the mirror image.
			{name: "b's key lists b by default", as: pb, method: "GET", path: "/api-keys", wantStatus: 200, wantJSON: "[" + kbW + "]"},
			// Nothing changed.
			unchanged("the other project's key is unchanged", "/api-keys/"+kb.Key, kbW),
			unchanged("the other project is unchanged", "/projects/"+b.ID, bW),
			unchanged("its project is unchanged", "/projects/"+a.ID, aW),
			{name: "no access key was minted", method: "GET", path: "/access-keys?accountId=" + s.AccountID, wantStatus: 200, wantJSON: akAll},
			{name: "the account-level key sees both projects", method: "GET", path: "/projects?accountId=" + s.AccountID, wantStatus: 200, wantJSON: "[" + aW + "," + bW + "]"},
			{name: "the account-level key verifies both", method: "POST", path: "/api-keys/auth/" + kb.Key, wantStatus: 200, wantJSON: kbW},
			// Deleting the project revokes its project-level key.
			{name: "delete project a", method: "DELETE", path: "/projects/" + a.ID, wantStatus: 200,
				wantJSON: s.projectWant(a.ID, "a", "live", map[string]any{"isActive": false, "createdAt": iso(startTime)})},
			as("a's key is refused once its project is gone", "GET", "/api-keys", nil, 401, errUnauthorized),
			{name: "b's key is unaffected", as: pb, method: "GET", path: "/api-keys", wantStatus: 200, wantJSON: "[" + kbW + "]"},
		})
	})
}

// TestNoKeyExistenceOracle: whether a key string is taken in another
// account cannot be observed. Another tenant creating, or renaming a key
// to, a string this account holds gets exactly the answer it gets for a
// fresh string of the same length (status, headers that describe the body,
// and the body byte for byte once the key string is swapped); within its
// own account a duplicate is still 409. Both copies then live side by
// side: each verifies, reads, rate-limits, revokes, rotates and emits
// webhook events as its own account's key only.
func TestNoKeyExistenceOracle(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		topics := []string{keyway.TopicAPIKeyCreated, keyway.TopicAPIKeyUpdated, keyway.TopicAPIKeyDeleted}
		mineRcv, theirRcv := newReceiver(t), newReceiver(t)
		s.newWebhook(t, mineRcv.URL, topics, nil)
		p := s.newProject("mine", "live")
		// Mine: caller-chosen strings, one with settings that would show
		// should its answer ever reach the other tenant.
		mineProd := s.createKey(p.ID, map[string]any{"name": "mine prod", "key": "acme-prod-0001",
			"customMetaData": map[string]any{"owner": "mine"}, "rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 60}})
		mineStag := s.createKey(p.ID, map[string]any{"name": "mine staging", "key": "acme-stag-0001"})
		mineDev := s.createKey(p.ID, map[string]any{"name": "mine dev", "key": "acme-devl-0001"})

		otherAcct, other := s.seedAccount()
		var op struct{ ID string }
		s.callAs(other, "POST", "/projects", map[string]any{"name": "theirs", "accountId": otherAcct, "env": "live"}).want(t, 201).decode(t, &op)
		s.whCreateAs(t, other, map[string]any{"url": theirRcv.URL, "topics": topics})
		var theirProjectKey struct{ Key string }
		s.callAs(other, "POST", "/access-keys", map[string]any{"name": "theirs", "projectId": op.ID}).want(t, 201).decode(t, &theirProjectKey)
		// Two keys of theirs to rename, identical but for their strings.
		var r1, r2 struct{ Key string }
		s.callAs(other, "POST", "/api-keys", map[string]any{"name": "to rename", "projectId": op.ID}).want(t, 201).decode(t, &r1)
		s.callAs(other, "POST", "/api-keys", map[string]any{"name": "to rename", "projectId": op.ID}).want(t, 201).decode(t, &r2)

		// The probes, each a string I hold against a fresh one.
		probes := []struct {
			name, as, method string
			path             func(key string) string
			body             func(key string) map[string]any
			taken, fresh     string
			path2            string // the fresh probe's path when it differs
			status           int
		}{
			{name: "create", as: other, method: "POST", taken: mineProd.Key, fresh: "acme-free-0001", status: 201,
				path: func(string) string { return "/api-keys" },
				body: func(k string) map[string]any { return map[string]any{"name": "probe", "projectId": op.ID, "key": k} }},
			{name: "create with a project-level key", as: theirProjectKey.Key, method: "POST", taken: mineDev.Key, fresh: "acme-frsh-0001", status: 201,
				path: func(string) string { return "/api-keys" },
				body: func(k string) map[string]any { return map[string]any{"name": "probe", "key": k} }},
			{name: "rename", as: other, method: "PATCH", taken: mineStag.Key, fresh: "acme-frst-0001", status: 200,
				path: func(string) string { return "/api-keys/" + r1.Key }, path2: "/api-keys/" + r2.Key,
				body: func(k string) map[string]any { return map[string]any{"key": k} }},
		}
		for _, pr := range probes {
			t.Run(pr.name, func(t *testing.T) {
				if len(pr.taken) != len(pr.fresh) {
					t.Fatal("probe strings must have one length")
				}
				taken := s.withT(t).callAs(pr.as, pr.method, pr.path(pr.taken), pr.body(pr.taken))
				freshPath := pr.path(pr.fresh)
				if pr.path2 != "" {
					freshPath = pr.path2
				}
				fresh := s.withT(t).callAs(pr.as, pr.method, freshPath, pr.body(pr.fresh))
				if taken.Status != pr.status || fresh.Status != pr.status {
					t.Fatalf("taken string: %d %s; fresh string: %d %s; want %d for both", taken.Status, taken.Body, fresh.Status, fresh.Body, pr.status)
				}
				if got := bytes.ReplaceAll(fresh.Body, []byte(pr.fresh), []byte(pr.taken)); !bytes.Equal(got, taken.Body) {
					t.Fatalf("answers differ:\ntaken %s\nfresh %s", taken.Body, fresh.Body)
				}
				for _, h := range []string{"Content-Type", "Content-Length"} {
					if taken.Header.Get(h) != fresh.Header.Get(h) {
						t.Fatalf("%s: taken %q, fresh %q", h, taken.Header.Get(h), fresh.Header.Get(h))
					}
				}
			})
		}
		r := s.withT(t).callAs(other, "GET", "/api-keys/"+mineProd.Key, nil).want(t, 200)
		if !strings.Contains(string(r.Body), `"projectId":"`+op.ID+`"`) || strings.Contains(string(r.Body), "owner") {
			t.Fatalf("their copy of the string reads %s", r.Body)
		}
		theirProd := keywayAPIKey{raw: r.Body}
		theirW := keyWant(theirProd)

		mineProdW := keyWant(mineProd)
		reset := s.Clock.Now().Add(time.Minute)
		ao := func(name, method, path string, body any, status int, want string) scenario {
			return scenario{name: name, as: other, method: method, path: path, body: body, wantStatus: status, wantJSON: want}
		}
		run(t, s, []scenario{
			// Within one account a duplicate is still refused, for both.
			ao("their duplicate of their own string", "POST", "/api-keys", map[string]any{"name": "x", "projectId": op.ID, "key": mineProd.Key}, 409, errKeyConflict),
			ao("their duplicate of their fresh string", "POST", "/api-keys", map[string]any{"name": "x", "projectId": op.ID, "key": "acme-free-0001"}, 409, errKeyConflict),
			ao("their rename onto their own string", "PATCH", "/api-keys/"+mineStag.Key, map[string]any{"key": mineProd.Key}, 409, errKeyConflict),
			{name: "my duplicate of my own string", method: "POST", path: "/api-keys", body: map[string]any{"name": "x", "projectId": p.ID, "key": mineProd.Key}, wantStatus: 409, wantJSON: errKeyConflict},
			// Each copy verifies as its own: theirs first, unlimited, twice,
			// so mine's window (one call a minute) shows it was not touched.
			ao("they verify their copy", "POST", "/api-keys/auth/"+mineProd.Key, nil, 200, theirW),
			{name: "they verify their copy again", as: other, method: "GET", path: "/api-keys/auth/" + mineProd.Key, wantStatus: 200, wantJSON: theirW, wantHeaders: noRate},
			ao("they authenticate their copy", "POST", "/auth/authenticate", legacyBody(mineProd.Key), 201,
				`{"authenticated":true,"customMetaData":{},"customAccountId":null,"customUserId":null}`),
			{name: "I verify mine", method: "POST", path: "/api-keys/auth/" + mineProd.Key, wantStatus: 200, wantJSON: mineProdW,
				wantHeaders: rate(1, 0, 1, reset, "")},
			{name: "I read mine", method: "GET", path: "/api-keys/" + mineProd.Key, wantStatus: 200, wantJSON: mineProdW},
			{name: "mine is now over its window", method: "POST", path: "/auth/authenticate", body: legacyBody(mineProd.Key), wantStatus: 429, wantJSON: errTooMany},
			ao("they still verify theirs while mine is limited", "POST", "/api-keys/auth/"+mineProd.Key, nil, 200, theirW),
			// My revocation is mine only.
			{name: "I revoke mine", method: "DELETE", path: "/api-keys/" + mineProd.Key, wantStatus: 200, wantJSON: "true"},
			{name: "mine no longer verifies", method: "POST", path: "/api-keys/auth/" + mineProd.Key, wantStatus: 404, wantJSON: errInvalidKey},
			ao("theirs still verifies", "POST", "/api-keys/auth/"+mineProd.Key, nil, 200, theirW),
			ao("theirs still reads", "GET", "/api-keys/"+mineProd.Key, nil, 200, theirW),
			// Their rotation is theirs only.
			{name: "they rotate their renamed copy", as: other, method: "POST", path: "/api-keys/" + mineStag.Key + "/rotate", wantStatus: 201,
				check: func(t *testing.T, r *response) {
					if strings.Contains(string(r.Body), mineStag.Key) || !strings.Contains(string(r.Body), `"projectId":"`+op.ID+`"`) {
						t.Fatalf("their rotation answered %s", r.Body)
					}
				}},
			ao("their old string is gone for them", "POST", "/api-keys/auth/"+mineStag.Key, nil, 404, errInvalidKey),
			{name: "mine of that string still verifies", method: "POST", path: "/api-keys/auth/" + mineStag.Key, wantStatus: 200, wantJSON: keyWant(mineStag)},
			{name: "and mine of the project-level probe", method: "POST", path: "/api-keys/auth/" + mineDev.Key, wantStatus: 200, wantJSON: keyWant(mineDev)},
			{name: "their project-level copy verifies for them", as: theirProjectKey.Key, method: "POST", path: "/api-keys/auth/" + mineDev.Key, wantStatus: 200,
				check: func(t *testing.T, r *response) {
					if !strings.Contains(string(r.Body), `"projectId":"`+op.ID+`"`) {
						t.Fatalf("their project-level copy answered %s", r.Body)
					}
				}},
			// My listing holds my keys only.
			{name: "my list", method: "GET", path: "/api-keys?projectId=" + p.ID, wantStatus: 200, wantJSON: "[" + keyWant(mineDev) + "," + keyWant(mineStag) + "]"},
		})

		// Webhooks: each receiver hears its own account's events only, even
		// about the same strings.
		whAwaitKey(t, mineRcv, keyway.TopicAPIKeyDeleted, mineProd.Key)
		whAwaitKey(t, theirRcv, keyway.TopicAPIKeyUpdated, mineStag.Key) // their rename
		for _, c := range []struct {
			name    string
			rcv     *receiver
			project string
		}{{"mine", mineRcv, p.ID}, {"theirs", theirRcv, op.ID}} {
			for _, d := range c.rcv.deliveries() {
				var data struct{ ProjectID string }
				if err := json.Unmarshal(d.envelope(t).Data, &data); err != nil {
					t.Fatal(err)
				}
				if data.ProjectID != c.project {
					t.Fatalf("%s receiver got an event of project %s: %s", c.name, data.ProjectID, d.body)
				}
			}
		}
		if got := whKeys(t, mineRcv); !slices.Contains(got, keyway.TopicAPIKeyCreated+" "+mineProd.Key) || len(got) != 4 {
			t.Fatalf("my receiver got %v, want my three creations and my revocation", got)
		}
	})
}

// TestKeyStringInTwoOfMyAccounts: a person in two accounts that each hold
// one key string acts on the copy in the first account (by id) they have
// the role for: reading and verifying take the first they can see, a
// change the first they may change; a change only the other account's
// copy would allow is refused (403), never applied to it.
func TestKeyStringInTwoOfMyAccounts(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		// First (the smaller id): Fay's, where Al is a viewer.
		fay, first := s.founder(t, "fay@example.com")
		al, second := s.founder(t, "al@example.com")
		if first >= second {
			t.Fatalf("account ids %s, %s are not in creation order", first, second)
		}
		var inv []keyway.Invitation
		fay.as(s, t, "POST", "/invitations", map[string]any{"emails": []string{al.Email}, "role": keyway.RoleViewer, "accountId": first}).want(t, 201).decode(t, &inv)
		al.as(s, t, "POST", "/invitations/"+inv[0].ID+"/accept", nil).want(t, 201)
		var pf, ps keyway.Project
		fay.as(s, t, "POST", "/projects", map[string]any{"name": "f", "accountId": first, "env": "live"}).want(t, 201).decode(t, &pf)
		al.as(s, t, "POST", "/projects", map[string]any{"name": "s", "accountId": second, "env": "live"}).want(t, 201).decode(t, &ps)
		const shared = "shared-key-0001"
		fay.as(s, t, "POST", "/api-keys", map[string]any{"name": "fay's", "projectId": pf.ID, "key": shared}).want(t, 201)
		al.as(s, t, "POST", "/api-keys", map[string]any{"name": "al's", "projectId": ps.ID, "key": shared}).want(t, 201)
		fay.as(s, t, "POST", "/api-keys", map[string]any{"name": "fay only", "projectId": pf.ID, "key": "fay-only-00001"}).want(t, 201)

		name := func(r *response) string {
			var k keyway.APIKey
			r.decode(t, &k)
			return k.Name
		}
		if got := name(al.as(s, t, "GET", "/api-keys/"+shared, nil).want(t, 200)); got != "fay's" {
			t.Fatalf("Al reads %q, want the first account's copy", got)
		}
		if got := name(al.as(s, t, "POST", "/api-keys/auth/"+shared, nil).want(t, 200)); got != "fay's" {
			t.Fatalf("Al verifies %q, want the first account's copy", got)
		}
		// A viewer of the first account changes the copy in his own.
		if got := name(al.as(s, t, "PATCH", "/api-keys/"+shared, map[string]any{"name": "renamed"}).want(t, 200)); got != "renamed" {
			t.Fatalf("Al's rename answered %q", got)
		}
		var mine []keyway.APIKey
		al.as(s, t, "GET", "/api-keys?projectId="+ps.ID, nil).want(t, 200).decode(t, &mine)
		if len(mine) != 1 || mine[0].Name != "renamed" {
			t.Fatalf("Al's own copy after the rename: %+v", mine)
		}
		if got := name(fay.as(s, t, "GET", "/api-keys/"+shared, nil).want(t, 200)); got != "fay's" {
			t.Fatalf("Fay's copy became %q", got)
		}
		// A key only the first account holds: seen, not changeable.
		al.as(s, t, "DELETE", "/api-keys/fay-only-00001", nil).want(t, 403).wantJSON(t, errForbidden)
		fay.as(s, t, "POST", "/api-keys/auth/fay-only-00001", nil).want(t, 200)
	})
}
