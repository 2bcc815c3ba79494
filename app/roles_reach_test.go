package app_test

// The role matrix's focused checks: what a viewer, a project key, a
// narrowed grant and another account reach; the fixture and the matrix
// itself are in roles_matrix_test.go.

import (
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// viewerSeesNoAccessKeys: access keys are credentials with at least a
// user's power, so a viewer can neither list nor manage them.
func (fx *rmFixture) viewerSeesNoAccessKeys(t *testing.T) {
	akQ := fx.newAccessKey(t, fx.Q.ID)
	for _, path := range []string{
		"/access-keys?accountId=" + fx.A,
		"/access-keys?accountId=" + fx.A + "&projectId=" + fx.P.ID,
		"/access-keys?accountId=" + fx.A + "&projectId=" + fx.Q.ID,
		"/access-keys?accountId=" + fx.A + "&isActive=false",
	} {
		r := fx.as(t, rmViewer, "GET", path, nil).want(t, 403)
		matchJSON(t, r.Body, errForbidden)
	}
	for _, k := range []string{fx.pkey, akQ.Key.Reveal()} {
		for _, rq := range []struct {
			method, path string
			body         any
		}{
			{"PATCH", "/access-keys/" + k, map[string]any{"name": "viewer's"}},
			{"DELETE", "/access-keys/" + k, nil},
			{"PATCH", "/access-keys/" + k + "/reactivate", nil},
		} {
			r := fx.as(t, rmViewer, rq.method, rq.path, rq.body).want(t, 403)
			matchJSON(t, r.Body, errForbidden)
		}
	}
	// Nothing a viewer reads shows an access key.
	for _, path := range []string{"/accounts", "/accounts/" + fx.A, "/projects?accountId=" + fx.A, "/projects/" + fx.P.ID,
		"/user-roles", "/teammates?accountId=" + fx.A, "/webhooks?accountId=" + fx.A, "/notifications", "/api-keys?projectId=" + fx.P.ID} {
		body := string(fx.as(t, rmViewer, "GET", path, nil).want(t, 200).Body)
		for _, k := range []string{fx.pkey, akQ.Key.Reveal(), fx.s.AccessKey} {
			if strings.Contains(body, k) {
				t.Errorf("GET %s shows a viewer an access key: %s", path, body)
			}
		}
	}
	// A user, one role up, lists a project's.
	var got []keyway.AccessKey
	fx.as(t, rmUser, "GET", "/access-keys?accountId="+fx.A+"&projectId="+fx.Q.ID, nil).want(t, 200).decode(t, &got)
	if len(got) != 1 || got[0].Key != akQ.Key {
		t.Errorf("a user lists Q's access keys as %+v, want only %s", got, akQ.Key)
	}
}

// projectKeyReach: a credential narrowed to P (a project-level access
// key, an MCP server's token of P) sees P's notifications and nothing of
// the account as a whole: not its notifications (which quote teammates'
// emails), not Q's, not its people. A person narrowed to Q still sees the
// account's notifications and Q's, never P's. Refusals change nothing.
func (fx *rmFixture) projectKeyReach(t *testing.T) {
	account := fx.newNotification(t)
	ofP, ofQ := fx.newNoticeOf(t, fx.P.ID), fx.newNoticeOf(t, fx.Q.ID)
	var mcp keyway.MCPServer
	fx.adm(t, "POST", "/mcp-servers", map[string]any{"name": "mcp of P", "accountId": fx.A, "projectId": fx.P.ID,
		"config": map[string]any{"methods": []string{"read", "write"}}}, 201).decode(t, &mcp)
	// Every address of A's people, and the ids of what P's credentials
	// must not see.
	var team []keyway.Teammate
	fx.adm(t, "GET", "/teammates?accountId="+fx.A, nil, 200).decode(t, &team)
	if len(team) < 5 {
		t.Fatalf("teammates %+v", team)
	}
	// A's name is A's, which P's credentials read (GET /accounts/{A}); the
	// harness names it after its founder, address and all.
	var acct keyway.Account
	fx.adm(t, "GET", "/accounts/"+fx.A, nil, 200).decode(t, &acct)
	ids := func(ns []keyway.Notification) map[string]bool {
		m := map[string]bool{}
		for _, n := range ns {
			m[n.ID] = true
		}
		return m
	}
	notices := func(t *testing.T, get func(path string) *response) []keyway.Notification {
		t.Helper()
		var ns []keyway.Notification
		get("/notifications?limit=1000").want(t, 200).decode(t, &ns)
		return ns
	}
	unchanged := fx.same(t, "/notifications?limit=1000")
	for _, cred := range []struct{ name, key string }{{"project key", fx.pkey}, {"MCP server of P", mcp.Token.Reveal()}} {
		t.Run(cred.name, func(t *testing.T) {
			get := func(path string) *response { return fx.s.withT(t).callAs(cred.key, "GET", path, nil) }
			ns := notices(t, get)
			if seen := ids(ns); !seen[ofP.ID] || seen[ofQ.ID] || seen[account.ID] {
				t.Errorf("lists %+v; want %s of P, neither %s of Q nor %s of the account", ns, ofP.ID, ofQ.ID, account.ID)
			}
			for _, n := range ns {
				if n.AccountID != fx.A || n.ProjectID == nil || *n.ProjectID != fx.P.ID {
					t.Errorf("lists a notification not of P: %+v", n)
				}
			}
			for _, path := range []string{"/teammates?accountId=" + fx.A, "/teammates?accountId=" + fx.A + "&projectId=" + fx.P.ID, "/teammates"} {
				r := get(path).want(t, 403)
				matchJSON(t, r.Body, errForbidden)
			}
			// Nothing it reads shows a teammate's address or Q.
			for _, path := range []string{"/notifications?limit=1000", "/accounts", "/accounts/" + fx.A, "/projects?accountId=" + fx.A, "/projects/" + fx.P.ID,
				"/user-roles", "/webhooks", "/api-keys?projectId=" + fx.P.ID, "/access-keys?accountId=" + fx.A} {
				r := get(path)
				if r.Status != 200 && r.Status != 403 {
					t.Errorf("GET %s: status %d; body %s", path, r.Status, r.Body)
				}
				body := strings.ReplaceAll(string(r.Body), acct.Name, "")
				for _, m := range team {
					if strings.Contains(body, m.Email) {
						t.Errorf("GET %s shows %s: %s", path, m.Email, r.Body)
					}
				}
				if strings.Contains(string(r.Body), fx.Q.ID) || strings.Contains(string(r.Body), ofQ.ID) {
					t.Errorf("GET %s shows something of Q: %s", path, r.Body)
				}
			}
		})
	}
	// The project key marks P's read, and the others do not exist for it.
	for _, n := range []keyway.Notification{account, ofQ} {
		r := fx.as(t, rmProjectKey, "PATCH", "/notifications/"+n.ID, nil).want(t, 404)
		matchJSON(t, r.Body, rmErrNotificationNotFound)
	}
	unchanged(t)
	var read keyway.Notification
	fx.as(t, rmProjectKey, "PATCH", "/notifications/"+ofP.ID, nil).want(t, 200).decode(t, &read)
	if read.ID != ofP.ID || read.ReadAt == nil {
		t.Errorf("marked %+v", read)
	}
	// A person narrowed to Q: the account's and Q's, not P's.
	var ns []keyway.Notification
	fx.as(t, rmNarrowed, "GET", "/notifications?limit=1000", nil).want(t, 200).decode(t, &ns)
	if seen := ids(ns); seen[ofP.ID] || !seen[ofQ.ID] || !seen[account.ID] {
		t.Errorf("the user narrowed to Q lists %+v; want %s of Q and %s of the account, not %s of P", ns, ofQ.ID, account.ID, ofP.ID)
	}
	// An account-level key, an admin of A, sees all three.
	ak := fx.newAccessKey(t, "")
	if seen := ids(notices(t, func(path string) *response { return fx.s.withT(t).callAs(ak.Key.Reveal(), "GET", path, nil) })); !seen[ofP.ID] || !seen[ofQ.ID] || !seen[account.ID] {
		t.Errorf("an account-level key misses one of %s, %s, %s", ofP.ID, ofQ.ID, account.ID)
	}
	fx.s.withT(t).callAs(ak.Key.Reveal(), "GET", "/teammates?accountId="+fx.A, nil).want(t, 200)
}

// narrowedToQ: a user narrowed to Q does not see P at all (404 by path, 403
// by query or body) and manages Q's keys and webhooks as a user.
func (fx *rmFixture) narrowedToQ(t *testing.T) {
	const c = rmNarrowed
	Q := fx.Q.ID
	hookP := fx.newWebhook(t)
	akQ := fx.newAccessKey(t, Q)
	keyQ := fx.newKey(t, Q)
	keysOfP := fx.same(t, "/api-keys?projectId="+fx.P.ID+"&limit=1000")
	// P does not exist by path…
	for _, rq := range []struct {
		method, path string
		body         any
		want         string
	}{
		{"GET", "/projects/" + fx.P.ID, nil, errProjNotFound},
		{"PATCH", "/projects/" + fx.P.ID, map[string]any{"name": "narrowed's"}, errProjNotFound},
		{"GET", ("/api-keys/" + fx.key.Key).Reveal(), nil, errKeyNotFound},
		{"PATCH", ("/api-keys/" + fx.key.Key).Reveal(), map[string]any{"name": "narrowed's"}, errKeyNotFound},
		{"DELETE", ("/api-keys/" + fx.key.Key).Reveal(), nil, errKeyNotFound},
		{"POST", ("/api-keys/" + fx.key.Key + "/rotate").Reveal(), nil, errKeyNotFound},
		{"POST", ("/api-keys/auth/" + fx.key.Key).Reveal(), nil, errInvalidKey},
		{"GET", "/webhooks/" + hookP.ID, nil, rmErrWebhookNotFound},
		{"DELETE", "/webhooks/" + hookP.ID, nil, rmErrWebhookNotFound},
		{"GET", "/webhooks/" + fx.hook.ID + "/deliveries", nil, rmErrWebhookNotFound},
		{"PATCH", "/access-keys/" + fx.pkey, map[string]any{"name": "narrowed's"}, errAKNotFound},
	} {
		r := fx.as(t, c, rq.method, rq.path, rq.body)
		if r.Status != 404 {
			t.Errorf("%s %s: status %d, want 404; body %s", rq.method, rq.path, r.Status, r.Body)
			continue
		}
		matchJSON(t, r.Body, rq.want)
	}
	// …and is forbidden when named in a query or body.
	for _, rq := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api-keys?projectId=" + fx.P.ID, nil},
		{"POST", "/api-keys", map[string]any{"name": "narrowed's", "projectId": fx.P.ID}},
		{"GET", "/webhooks?projectId=" + fx.P.ID, nil},
		{"POST", "/webhooks", fx.webhookBody()},
		{"GET", "/access-keys?accountId=" + fx.A + "&projectId=" + fx.P.ID, nil},
		{"GET", "/teammates?accountId=" + fx.A + "&projectId=" + fx.P.ID, nil},
		// Q it sees, but managing Q itself or its access keys is an
		// admin's job.
		{"POST", "/access-keys", map[string]any{"name": "narrowed's", "accountId": fx.A, "projectId": Q}},
		{"PATCH", "/projects/" + Q, map[string]any{"name": "narrowed's"}},
		{"DELETE", "/projects/" + Q, nil},
	} {
		r := fx.as(t, c, rq.method, rq.path, rq.body)
		if r.Status != 403 {
			t.Errorf("%s %s: status %d, want 403; body %s", rq.method, rq.path, r.Status, r.Body)
			continue
		}
		matchJSON(t, r.Body, errForbidden)
	}
	keysOfP(t)
	fx.verifies(fx.key.Key.Reveal())(t)

	// Its projects are Q alone.
	var ps []keyway.Project
	fx.as(t, c, "GET", "/projects?accountId="+fx.A, nil).want(t, 200).decode(t, &ps)
	if len(ps) != 1 || ps[0].ID != Q {
		t.Errorf("a user narrowed to Q lists projects %+v", ps)
	}
	fx.as(t, c, "GET", "/projects/"+Q, nil).want(t, 200)

	// Q's keys it manages, with or without naming Q.
	var made, implied keyway.APIKey
	fx.as(t, c, "POST", "/api-keys", map[string]any{"name": "narrowed's", "projectId": Q}).want(t, 201).decode(t, &made)
	fx.as(t, c, "POST", "/api-keys", map[string]any{"name": "implied"}).want(t, 201).decode(t, &implied)
	if made.ProjectID != Q || implied.ProjectID != Q {
		t.Errorf("keys made in %s and %s, want both in Q", made.ProjectID, implied.ProjectID)
	}
	var listed []keyway.APIKey
	fx.as(t, c, "GET", "/api-keys?projectId="+Q, nil).want(t, 200).decode(t, &listed)
	if len(listed) != 3 {
		t.Errorf("Q lists %d keys, want 3", len(listed))
	}
	fx.as(t, c, "GET", "/api-keys", nil).want(t, 200).decode(t, &listed)
	if len(listed) != 3 {
		t.Errorf("the default project lists %d keys, want Q's 3", len(listed))
	}
	fx.as(t, c, "GET", "/api-keys/"+keyQ.Key.Reveal(), nil).want(t, 200)
	fx.as(t, c, "POST", "/api-keys/auth/"+keyQ.Key.Reveal(), nil).want(t, 200)
	fx.as(t, c, "PATCH", "/api-keys/"+keyQ.Key.Reveal(), map[string]any{"name": "renamed by narrowed"}).want(t, 200)
	var rotated keyway.APIKey
	fx.as(t, c, "POST", "/api-keys/"+keyQ.Key.Reveal()+"/rotate", nil).want(t, 201).decode(t, &rotated)
	fx.as(t, c, "DELETE", "/api-keys/"+rotated.Key.Reveal(), nil).want(t, 200)
	fx.as(t, c, "PATCH", "/api-keys/"+rotated.Key.Reveal()+"/reactivate", nil).want(t, 200)
	var got keyway.APIKey
	fx.adm(t, "GET", "/api-keys/"+rotated.Key.Reveal(), nil, 200).decode(t, &got)
	if got.Name != "renamed by narrowed" || !got.IsActive {
		t.Errorf("Q's key after the narrowed user's changes: %+v", got)
	}

	// And Q's webhooks: one made without naming a project lands in Q.
	var w keyway.Webhook
	body := fx.webhookBody()
	delete(body, "projectId")
	fx.as(t, c, "POST", "/webhooks", body).want(t, 201).decode(t, &w)
	if w.ProjectID == nil || *w.ProjectID != Q || w.AccountID != fx.A {
		t.Errorf("webhook made in %v of %s, want Q of A", w.ProjectID, w.AccountID)
	}
	fx.as(t, c, "PATCH", "/webhooks/"+w.ID, map[string]any{"name": "narrowed's"}).want(t, 200)
	fx.as(t, c, "GET", "/webhooks/"+w.ID+"/deliveries", nil).want(t, 200)
	var hooks []keyway.Webhook
	fx.as(t, c, "GET", "/webhooks?accountId="+fx.A, nil).want(t, 200).decode(t, &hooks)
	if len(hooks) != 1 || hooks[0].ID != w.ID {
		t.Errorf("the narrowed user lists webhooks %+v, want only Q's", hooks)
	}
	fx.as(t, c, "DELETE", "/webhooks/"+w.ID, nil).want(t, 200)

	// Q's access keys it may list (a user's power) but not make; naming
	// only A lists Q's, the one project it reaches.
	for _, path := range []string{"/access-keys?accountId=" + fx.A + "&projectId=" + Q, "/access-keys?accountId=" + fx.A} {
		var aks []keyway.AccessKey
		fx.as(t, c, "GET", path, nil).want(t, 200).decode(t, &aks)
		found := false
		for _, k := range aks {
			found = found || k.Key == akQ.Key
			if k.ProjectID == nil || *k.ProjectID != Q {
				t.Errorf("GET %s as the narrowed user lists %+v, not of Q", path, k)
			}
		}
		if !found {
			t.Errorf("GET %s as the narrowed user misses %s: %+v", path, akQ.Key, aks)
		}
	}
	r := fx.as(t, c, "PATCH", "/access-keys/"+akQ.Key.Reveal(), map[string]any{"name": "narrowed's"}).want(t, 403)
	matchJSON(t, r.Body, errForbidden)
	fx.as(t, c, "GET", "/teammates?accountId="+fx.A+"&projectId="+Q, nil).want(t, 200)
}

// otherAccounts: for B's founder and the bootstrap key, A's objects named
// in a path answer exactly as objects that do not exist, and A or its
// projects named in a query or body are forbidden, even mixed with the
// caller's own account; nothing of A changes.
func (fx *rmFixture) otherAccounts(t *testing.T) {
	inv := fx.newInvitation(t)
	n := fx.newNotification(t)
	ak := fx.newAccessKey(t, "")
	watch := []func(*testing.T){
		fx.same(t, "/projects?accountId="+fx.A+"&limit=1000"),
		fx.same(t, "/api-keys?projectId="+fx.P.ID+"&limit=1000"),
		fx.same(t, "/access-keys?accountId="+fx.A+"&limit=1000"),
		fx.same(t, "/webhooks?accountId="+fx.A+"&limit=1000"),
		fx.same(t, "/invitations?accountId="+fx.A+"&limit=1000"),
		fx.same(t, "/teammates?accountId="+fx.A),
		fx.same(t, "/notifications?limit=1000"),
		fx.same(t, "/accounts/"+fx.A),
	}
	const unknown = "00000000-0000-7000-8000-000000000000"
	const unknownKey = "live_0000000000000000000000000000000000000000000000000000000000000000"
	const unknownAK = "live_access_0000000000000000000000000000000000000000000000000000000000000000"
	type probe struct {
		method, path, unknownPath string
		body                      any
	}
	key, hook := fx.key.Key, fx.hook.ID
	common := []probe{
		{"GET", ("/api-keys/" + key).Reveal(), "/api-keys/" + unknownKey, nil},
		{"PATCH", ("/api-keys/" + key).Reveal(), "/api-keys/" + unknownKey, map[string]any{"name": "theirs"}},
		{"DELETE", ("/api-keys/" + key).Reveal(), "/api-keys/" + unknownKey, nil},
		{"PATCH", ("/api-keys/" + key + "/reactivate").Reveal(), "/api-keys/" + unknownKey + "/reactivate", nil},
		{"POST", ("/api-keys/" + key + "/rotate").Reveal(), "/api-keys/" + unknownKey + "/rotate", nil},
		{"POST", ("/api-keys/auth/" + key).Reveal(), "/api-keys/auth/" + unknownKey, nil},
		{"GET", ("/api-keys/auth/" + key).Reveal(), "/api-keys/auth/" + unknownKey, nil},
		{"GET", "/projects/" + fx.P.ID, "/projects/" + unknown, nil},
		{"PATCH", "/projects/" + fx.P.ID, "/projects/" + unknown, map[string]any{"name": "theirs"}},
		{"DELETE", "/projects/" + fx.P.ID, "/projects/" + unknown, nil},
		{"PATCH", ("/access-keys/" + ak.Key).Reveal(), "/access-keys/" + unknownAK, map[string]any{"name": "theirs"}},
		{"DELETE", ("/access-keys/" + ak.Key).Reveal(), "/access-keys/" + unknownAK, nil},
		{"PATCH", ("/access-keys/" + ak.Key + "/reactivate").Reveal(), "/access-keys/" + unknownAK + "/reactivate", nil},
		{"GET", "/webhooks/" + hook, "/webhooks/" + unknown, nil},
		{"PATCH", "/webhooks/" + hook, "/webhooks/" + unknown, map[string]any{"name": "theirs"}},
		{"DELETE", "/webhooks/" + hook, "/webhooks/" + unknown, nil},
		{"GET", "/webhooks/" + hook + "/deliveries", "/webhooks/" + unknown + "/deliveries", nil},
		{"POST", "/webhooks/" + hook + "/deliveries/" + fx.delivery.ID + "/retry", "/webhooks/" + unknown + "/deliveries/" + fx.delivery.ID + "/retry", nil},
		{"GET", "/invitations/" + inv.ID, "/invitations/" + unknown, nil},
		{"PATCH", "/invitations/" + inv.ID, "/invitations/" + unknown, map[string]any{"role": "admin"}},
		{"DELETE", "/invitations/" + inv.ID, "/invitations/" + unknown, nil},
		{"PATCH", "/notifications/" + n.ID, "/notifications/" + unknown, nil},
		{"GET", "/accounts/" + fx.A, "/accounts/" + unknown, nil},
		{"PATCH", "/accounts/" + fx.A, "/accounts/" + unknown, map[string]any{"name": "theirs"}},
		{"DELETE", "/accounts/" + fx.A, "/accounts/" + unknown, nil},
		{"POST", "/accounts/" + fx.A + "/users", "/accounts/" + unknown + "/users", map[string]any{"email": "spy@example.com"}},
	}
	for _, c := range []rmCaller{rmOther, rmBootstrap} {
		own := fx.B
		if c == rmBootstrap {
			own = fx.s.AccountID
		}
		paths := common
		// A's delivery through a webhook of the caller's own.
		var theirs keyway.Webhook
		fx.as(t, c, "POST", "/webhooks", map[string]any{"name": "theirs", "url": fx.rcvURL, "topics": []string{keyway.TopicProjectUpdated}, "httpMethod": "POST", "accountId": own}).
			want(t, 201).decode(t, &theirs)
		paths = append(paths[:len(paths):len(paths)],
			probe{"POST", "/webhooks/" + theirs.ID + "/deliveries/" + fx.delivery.ID + "/retry", "/webhooks/" + theirs.ID + "/deliveries/" + unknown + "/retry", nil})
		if c == rmOther {
			paths = append(paths,
				probe{"PATCH", "/users/" + fx.tgt.ID, "/users/" + unknown, map[string]any{"name": "theirs"}},
				// Nor can A's people be pulled into the caller's account.
				probe{"PATCH", "/users/" + fx.tgt.ID + "/roles", "/users/" + unknown + "/roles", map[string]any{"accountId": own, "role": "admin"}})
		}
		for _, p := range paths {
			got := fx.as(t, c, p.method, p.path, p.body)
			none := fx.as(t, c, p.method, p.unknownPath, p.body)
			if got.Status != 404 || none.Status != 404 || string(got.Body) != string(none.Body) {
				t.Errorf("%s: %s %s answers %d %s; an unknown object %d %s; want the same 404",
					rmCallerNames[c], p.method, p.path, got.Status, got.Body, none.Status, none.Body)
			}
		}
		named := []struct {
			method, path string
			body         any
		}{
			{"GET", "/api-keys?projectId=" + fx.P.ID, nil},
			{"GET", "/api-keys?projectId=" + unknown, nil},
			{"POST", "/api-keys", map[string]any{"name": "theirs", "projectId": fx.P.ID}},
			{"GET", "/projects?accountId=" + fx.A, nil},
			{"POST", "/projects", map[string]any{"name": "theirs", "accountId": fx.A, "env": "live"}},
			{"GET", "/access-keys?accountId=" + fx.A, nil},
			{"GET", "/access-keys?accountId=" + own + "&projectId=" + fx.P.ID, nil},
			{"POST", "/access-keys", map[string]any{"name": "theirs", "accountId": fx.A}},
			{"POST", "/access-keys", map[string]any{"name": "theirs", "accountId": own, "projectId": fx.P.ID}},
			{"GET", "/webhooks?accountId=" + fx.A, nil},
			{"GET", "/webhooks?projectId=" + fx.P.ID, nil},
			{"POST", "/webhooks", fx.webhookBody()},
			{"POST", "/webhooks", map[string]any{"name": "theirs", "url": fx.rcvURL, "topics": []string{keyway.TopicAPIKeyCreated}, "httpMethod": "POST", "accountId": own, "projectId": fx.P.ID}},
			{"GET", "/invitations?accountId=" + fx.A, nil},
			{"GET", "/invitations?accountId=" + own + "&projectId=" + fx.P.ID, nil},
			{"POST", "/invitations", map[string]any{"emails": []string{"spy@example.com"}, "role": "admin", "accountId": fx.A}},
			{"POST", "/invitations", map[string]any{"emails": []string{"spy@example.com"}, "role": "admin", "accountId": own, "projectIds": []string{fx.P.ID}}},
			{"PATCH", "/users/" + fx.tgt.ID + "/roles", map[string]any{"accountId": fx.A, "role": "admin"}},
			{"PATCH", "/users/" + fx.tgt.ID + "/roles", map[string]any{"accountId": own, "projectId": fx.P.ID, "role": "admin"}},
			{"DELETE", "/users/" + fx.tgt.ID + "/roles?accountId=" + fx.A, nil},
			{"DELETE", "/users/" + fx.people[rmAdmin].ID + "/roles?accountId=" + fx.A, nil},
			{"GET", "/teammates?accountId=" + fx.A, nil},
			{"GET", "/teammates?accountId=" + own + "&projectId=" + fx.P.ID, nil},
			{"GET", "/user-roles?accountId=" + fx.A, nil},
		}
		for _, rq := range named {
			r := fx.as(t, c, rq.method, rq.path, rq.body)
			if r.Status != 403 {
				t.Errorf("%s: %s %s: status %d, want 403; body %s", rmCallerNames[c], rq.method, rq.path, r.Status, r.Body)
				continue
			}
			matchJSON(t, r.Body, errForbidden)
		}
		// What the caller lists holds nothing of A.
		for _, path := range []string{"/accounts", "/webhooks", "/notifications", "/user-roles", "/teammates", "/projects?accountId=" + own} {
			body := string(fx.as(t, c, "GET", path, nil).want(t, 200).Body)
			for _, id := range []string{fx.A, fx.P.ID, fx.Q.ID, hook, n.ID, fx.tgt.ID} {
				if strings.Contains(body, id) {
					t.Errorf("%s: GET %s shows %s of account A: %s", rmCallerNames[c], path, id, body)
				}
			}
		}
	}
	for _, check := range watch {
		check(t)
	}
	fx.verifies(fx.key.Key.Reveal())(t)
	fx.works(ak.Key.Reveal())(t)
}

// expiredTokens: a user token lasts 15 minutes; past them every user
// caller is 401 (and changes nothing), while access keys go on working and
// a refresh gives a working token again. It advances the clock: run last.
func (fx *rmFixture) expiredTokens(t *testing.T) {
	users := []rmCaller{rmAdmin, rmUser, rmViewer, rmNarrowed, rmOther}
	fx.s.Clock.Advance(15*time.Minute - time.Second)
	for _, c := range users {
		fx.as(t, c, "GET", "/accounts", nil).want(t, 200)
	}
	keyW := string(fx.adm(t, "GET", "/api-keys/"+fx.key.Key.Reveal(), nil, 200).Body)
	fx.s.Clock.Advance(2 * time.Second)
	for _, c := range users {
		for _, rq := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/accounts", nil},
			{"GET", "/user-roles", nil},
			{"GET", ("/api-keys/" + fx.key.Key).Reveal(), nil},
			{"PATCH", ("/api-keys/" + fx.key.Key).Reveal(), map[string]any{"name": "too late"}},
			{"POST", ("/api-keys/auth/" + fx.key.Key).Reveal(), nil},
			{"POST", "/accounts", map[string]any{"name": "too late"}},
			{"POST", "/projects", map[string]any{"name": "too late", "accountId": fx.A, "env": "live"}},
		} {
			r := fx.as(t, c, rq.method, rq.path, rq.body)
			if r.Status != 401 {
				t.Errorf("%s with an expired token: %s %s: status %d, want 401; body %s", rmCallerNames[c], rq.method, rq.path, r.Status, r.Body)
				continue
			}
			matchJSON(t, r.Body, errUnauthorized)
		}
	}
	// Access keys do not expire.
	fx.as(t, rmProjectKey, "GET", "/projects/"+fx.P.ID, nil).want(t, 200)
	fx.as(t, rmBootstrap, "GET", "/accounts", nil).want(t, 200)
	if r := fx.as(t, rmProjectKey, "GET", "/api-keys/"+fx.key.Key.Reveal(), nil).want(t, 200); string(r.Body) != keyW {
		t.Errorf("a refused PATCH changed the key: %s, was %s", r.Body, keyW)
	}
	// A refresh brings the admin back.
	admin := fx.people[rmAdmin]
	var tok keyway.Tokens
	fx.s.withT(t).callAs("", "POST", "/auth/refresh-access-token", map[string]any{"access_token": admin.Tokens.AccessToken.Reveal(), "refresh_token": admin.Tokens.RefreshToken.Reveal()}).
		want(t, 201).decode(t, &tok)
	fx.s.withT(t).callAs("", "GET", "/accounts/"+fx.A, nil, "Authorization", "Bearer "+tok.AccessToken.Reveal()).want(t, 200)
}

// expect sends each request as p and checks its status, and the exact
// body of a 403 or 404.
func (fx *rmFixture) expect(t *testing.T, who string, p person, rqs []rmRequest) {
	t.Helper()
	for _, rq := range rqs {
		r := p.as(fx.s, t, rq.method, rq.path, rq.body)
		if r.Status != rq.status {
			t.Errorf("%s: %s %s: status %d, want %d; body %s", who, rq.method, rq.path, r.Status, rq.status, r.Body)
			continue
		}
		switch {
		case r.Status == 403:
			matchJSON(t, r.Body, errForbidden)
		case r.Status == 404 && rq.notFound != "":
			matchJSON(t, r.Body, rq.notFound)
		}
	}
}

type rmRequest struct {
	method, path string
	body         any
	status       int
	notFound     string
}

// strongestGrant: a member's role over a project is the strongest of its
// account-wide role and its role over that project, whichever is which.
func (fx *rmFixture) strongestGrant(t *testing.T) {
	admin := fx.people[rmAdmin]
	// An account-wide viewer who is a user of P.
	up := fx.s.member(t, admin, fx.A, fx.email("viewer-user-of-p"), keyway.RoleViewer)
	fx.adm(t, "PATCH", "/users/"+up.ID+"/roles", map[string]any{"accountId": fx.A, "projectId": fx.P.ID, "role": "user"}, 200)
	// An account-wide user who is only a viewer of P.
	down := fx.s.member(t, admin, fx.A, fx.email("user-viewer-of-p"), keyway.RoleUser)
	fx.adm(t, "PATCH", "/users/"+down.ID+"/roles", map[string]any{"accountId": fx.A, "projectId": fx.P.ID, "role": "viewer"}, 200)
	for _, who := range []struct {
		name string
		p    person
		// wantQ is the status of managing Q's key: P's grant says nothing
		// of Q, where the account-wide role holds.
		wantQ, wantQCreate int
	}{{"viewer of A, user of P", up, 403, 403}, {"user of A, viewer of P", down, 200, 201}} {
		kp, kq := fx.newKey(t, fx.P.ID), fx.newKey(t, fx.Q.ID)
		fx.expect(t, who.name, who.p, []rmRequest{
			{"PATCH", ("/api-keys/" + kp.Key).Reveal(), map[string]any{"name": "changed"}, 200, ""},
			{"POST", ("/api-keys/" + kp.Key + "/rotate").Reveal(), nil, 201, ""},
			{"POST", "/api-keys", map[string]any{"name": "made", "projectId": fx.P.ID}, 201, ""},
			{"POST", "/webhooks", fx.webhookBody(), 201, ""},
			{"GET", "/access-keys?accountId=" + fx.A + "&projectId=" + fx.P.ID, nil, 200, ""},
			{"PATCH", ("/api-keys/" + kq.Key).Reveal(), map[string]any{"name": "changed"}, who.wantQ, ""},
			{"POST", "/api-keys", map[string]any{"name": "made", "projectId": fx.Q.ID}, who.wantQCreate, ""},
			{"GET", ("/api-keys/" + kq.Key).Reveal(), nil, 200, ""},
			// Never an admin anywhere.
			{"POST", "/access-keys", map[string]any{"name": "made", "accountId": fx.A, "projectId": fx.P.ID}, 403, ""},
			{"PATCH", "/projects/" + fx.P.ID, map[string]any{"name": "changed"}, 403, ""},
		})
	}
}

// adminOfQ: an admin narrowed to Q manages Q (its keys, access keys,
// invitations and roles over Q) and nothing account-wide.
func (fx *rmFixture) adminOfQ(t *testing.T) {
	admin := fx.people[rmAdmin]
	qa := fx.s.member(t, admin, fx.A, fx.email("admin-of-q"), keyway.RoleAdmin, fx.Q.ID)
	accountKey := fx.newAccessKey(t, "")
	accountInv := fx.newInvitation(t)
	watch := []func(*testing.T){
		fx.same(t, "/accounts/"+fx.A), fx.same(t, "/teammates?accountId="+fx.A+"&projectId="+fx.P.ID),
		fx.same(t, "/projects/"+fx.P.ID), fx.same(t, "/invitations/"+accountInv.ID),
	}
	fx.expect(t, "admin of Q", qa, []rmRequest{
		// Q's.
		{"POST", "/access-keys", map[string]any{"name": "q's", "accountId": fx.A, "projectId": fx.Q.ID}, 201, ""},
		{"GET", "/access-keys?accountId=" + fx.A + "&projectId=" + fx.Q.ID, nil, 200, ""},
		{"POST", "/invitations", map[string]any{"emails": []string{fx.email("q-invitee")}, "role": "user", "accountId": fx.A, "projectIds": []string{fx.Q.ID}}, 201, ""},
		{"GET", "/invitations?accountId=" + fx.A + "&projectId=" + fx.Q.ID, nil, 200, ""},
		{"PATCH", "/users/" + fx.tgt.ID + "/roles", map[string]any{"accountId": fx.A, "projectId": fx.Q.ID, "role": "user"}, 200, ""},
		{"PATCH", "/projects/" + fx.Q.ID, map[string]any{"name": fx.Q.Name}, 200, ""},
		// The account's, or P's.
		{"POST", "/access-keys", map[string]any{"name": "account's", "accountId": fx.A}, 403, ""},
		{"GET", "/access-keys?accountId=" + fx.A + "&projectId=" + fx.P.ID, nil, 403, ""},
		{"PATCH", ("/access-keys/" + accountKey.Key).Reveal(), map[string]any{"name": "changed"}, 404, errAKNotFound},
		{"PATCH", "/access-keys/" + fx.pkey, map[string]any{"name": "changed"}, 404, errAKNotFound},
		{"POST", "/projects", map[string]any{"name": "q admin's", "accountId": fx.A, "env": "live"}, 403, ""},
		{"GET", "/projects/" + fx.P.ID, nil, 404, errProjNotFound},
		{"PATCH", "/accounts/" + fx.A, map[string]any{"name": "changed"}, 403, ""},
		{"POST", "/accounts/" + fx.A + "/users", map[string]any{"email": fx.email("account-invitee")}, 403, ""},
		{"POST", "/invitations", map[string]any{"emails": []string{fx.email("account-invitee")}, "role": "admin", "accountId": fx.A}, 403, ""},
		{"POST", "/invitations", map[string]any{"emails": []string{fx.email("p-invitee")}, "role": "user", "accountId": fx.A, "projectIds": []string{fx.P.ID}}, 403, ""},
		{"GET", "/invitations/" + accountInv.ID, nil, 404, ""},
		{"DELETE", "/invitations/" + accountInv.ID, nil, 404, ""},
		{"PATCH", "/users/" + qa.ID + "/roles", map[string]any{"accountId": fx.A, "role": "admin"}, 403, ""},
		{"PATCH", "/users/" + fx.tgt.ID + "/roles", map[string]any{"accountId": fx.A, "projectId": fx.P.ID, "role": "admin"}, 403, ""},
		{"DELETE", "/users/" + fx.tgt.ID + "/roles?accountId=" + fx.A, nil, 403, ""},
	})
	for _, check := range watch {
		check(t)
	}
	// The role given over Q is taken back, as the matrix expects the
	// target account-wide only.
	fx.adm(t, "DELETE", "/users/"+fx.tgt.ID+"/roles?accountId="+fx.A+"&projectId="+fx.Q.ID, nil, 200)
}
