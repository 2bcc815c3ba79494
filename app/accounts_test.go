package app_test

import (
	"testing"
	"time"
)

// accountWant is the bootstrapped account as the wire shows it.
func (s *server) accountWant(overrides ...map[string]any) string {
	t0 := iso(startTime)
	return obj(map[string]any{
		"id": s.AccountID, "name": "Default account", "isActive": true,
		"createdBy": "bootstrap", "createdByType": "ACCESS_KEY", "createdIn": "self-hosted",
		"lastChangedBy": "bootstrap", "lastChangedByType": "ACCESS_KEY", "createdAt": t0, "updatedAt": t0,
	}, overrides...)
}

// startTime is where every test server's clock starts (keywaytest.NewClock).
var startTime = time.Date(2026, 11, 26, 17, 9, 1, 623_000_000, time.UTC)

func TestAccounts(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		if !s.Clock.Now().Equal(startTime) {
			t.Fatalf("the test clock starts at %v, not %v", s.Clock.Now(), startTime)
		}
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, nil)
		pk := s.projectKey(p.ID)
		s.Clock.Advance(time.Minute)
		renamed := s.accountWant(map[string]any{"name": "Acme ✓", "lastChangedBy": actor(s.AccessKey), "updatedAt": s.now()})
		deleted := s.accountWant(map[string]any{"name": "Acme ✓", "lastChangedBy": actor(s.AccessKey), "updatedAt": s.now(), "isActive": false})
		run(t, s, []scenario{
			{name: "list", method: "GET", path: "/accounts", wantStatus: 200, wantJSON: "[" + s.accountWant() + "]"},
			{name: "list ignores pagination parameters", method: "GET", path: "/accounts?limit=1&offset=5", wantStatus: 200, wantJSON: "[" + s.accountWant() + "]"},
			{name: "list as a project key", as: pk, method: "GET", path: "/accounts", wantStatus: 200, wantJSON: "[" + s.accountWant() + "]"},
			{name: "get", method: "GET", path: "/accounts/" + s.AccountID, wantStatus: 200, wantJSON: s.accountWant()},
			{name: "get as a project key", as: pk, method: "GET", path: "/accounts/" + s.AccountID, wantStatus: 200, wantJSON: s.accountWant()},
			{name: "get unknown", method: "GET", path: "/accounts/nope", wantStatus: 404, wantJSON: errAcctNotFound},
			{name: "create is for users only", method: "POST", path: "/accounts", body: map[string]any{"name": "New"}, wantStatus: 403, wantJSON: errForbidden},
			{name: "create is refused before validation", method: "POST", path: "/accounts", body: map[string]any{}, wantStatus: 403, wantJSON: errForbidden},
			{name: "create as a project key", as: pk, method: "POST", path: "/accounts", body: map[string]any{"name": "New"}, wantStatus: 403, wantJSON: errForbidden},
			{name: "still one account", method: "GET", path: "/accounts", wantStatus: 200, wantJSON: "[" + s.accountWant() + "]"},
			{name: "rename: empty name", method: "PATCH", path: "/accounts/" + s.AccountID, body: map[string]any{"name": ""}, wantStatus: 400, wantJSON: badRequest("name should not be empty")},
			{name: "rename: blank name", method: "PATCH", path: "/accounts/" + s.AccountID, body: map[string]any{"name": "  "}, wantStatus: 400, wantJSON: badRequest("name should not be empty")},
			{name: "rename: no body", method: "PATCH", path: "/accounts/" + s.AccountID, wantStatus: 400, wantJSON: badRequest("name should not be empty")},
			{name: "rename: null name", method: "PATCH", path: "/accounts/" + s.AccountID, body: `{"name":null}`, wantStatus: 400, wantJSON: badRequest("name should not be empty")},
			{name: "rename: name a number", method: "PATCH", path: "/accounts/" + s.AccountID, body: `{"name":1}`, wantStatus: 400, wantJSON: badRequest("name must be a string")},
			{name: "rename: name an object", method: "PATCH", path: "/accounts/" + s.AccountID, body: `{"name":{}}`, wantStatus: 400, wantJSON: badRequest("name must be a string")},
			{name: "rename: array body", method: "PATCH", path: "/accounts/" + s.AccountID, body: `["x"]`, wantStatus: 400, wantJSON: errBodyNotObject},
			{name: "rename: malformed", method: "PATCH", path: "/accounts/" + s.AccountID, body: `{name:"x"}`, wantStatus: 400, wantJSON: errMalformed},
			{name: "rename: too large", method: "PATCH", path: "/accounts/" + s.AccountID, body: paddedBody(`{"name":"`, `"}`, 1<<20+1), wantStatus: 413, wantJSON: errTooLarge},
			{name: "rename as a project key", as: pk, method: "PATCH", path: "/accounts/" + s.AccountID, body: map[string]any{"name": "x"}, wantStatus: 403, wantJSON: errForbidden},
			{name: "rename unknown", method: "PATCH", path: "/accounts/nope", body: map[string]any{"name": "x"}, wantStatus: 404, wantJSON: errAcctNotFound},
			unchanged("unchanged after rejected renames", "/accounts/"+s.AccountID, s.accountWant()),
			{name: "rename", method: "PATCH", path: "/accounts/" + s.AccountID, body: map[string]any{"name": "Acme ✓", "isActive": false}, wantStatus: 200, wantJSON: renamed},
			{name: "reads back", method: "GET", path: "/accounts/" + s.AccountID, wantStatus: 200, wantJSON: renamed},
			{name: "delete as a project key", as: pk, method: "DELETE", path: "/accounts/" + s.AccountID, wantStatus: 403, wantJSON: errForbidden},
			{name: "delete unknown", method: "DELETE", path: "/accounts/nope", wantStatus: 404, wantJSON: errAcctNotFound},
			unchanged("unchanged after rejected deletes", "/accounts/"+s.AccountID, renamed),
			{name: "delete returns the account", method: "DELETE", path: "/accounts/" + s.AccountID, wantStatus: 200, wantJSON: deleted},
			{name: "its access key stops at once", method: "GET", path: "/accounts", wantStatus: 401, wantJSON: errUnauthorized},
			{name: "its project key too", as: pk, method: "GET", path: "/accounts", wantStatus: 401, wantJSON: errUnauthorized},
			{name: "verification with it too", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 401, wantJSON: errUnauthorized},
		})
	})
}
