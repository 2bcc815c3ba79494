package app_test

import (
	"testing"
	"time"
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
