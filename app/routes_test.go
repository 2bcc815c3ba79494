package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/service"
)

func TestPublicRoutes(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		hello := js(map[string]any{"message": "Hello World!", "name": "keyway", "version": service.Version})
		ok := `{"status":"ok"}`
		ready := `{"status":"ok","checks":{"database":"ok","usage":"ok"}}`
		run(t, s, []scenario{
			{name: "root without credential", as: anonymous, method: "GET", path: "/", wantStatus: 200, wantJSON: hello},
			{name: "root with credential", method: "GET", path: "/", wantStatus: 200, wantJSON: hello},
			{name: "root with a wrong credential", as: "wrong", method: "GET", path: "/", wantStatus: 200, wantJSON: hello},
			{name: "healthz", as: anonymous, method: "GET", path: "/healthz", wantStatus: 200, wantJSON: ok},
			{name: "healthz trailing slash", as: anonymous, method: "GET", path: "/healthz/", wantStatus: 200, wantJSON: ok},
			{name: "readyz", as: anonymous, method: "GET", path: "/readyz", wantStatus: 200, wantJSON: ready},
			{name: "healthz is GET only", as: anonymous, method: "POST", path: "/healthz", wantStatus: 404, wantJSON: cannot("POST", "/healthz")},
			{name: "webhook topics", method: "GET", path: "/webhooks/topics", wantStatus: 200,
				wantJSON: `["api-key.created","api-key.updated","api-key.deleted","api-key.firstUsed","api-key.rotated","api-key.reactivated","api-key.revealed","access-key.created","access-key.updated","access-key.deleted","project.updated"]`},
			{name: "webhook topics trailing slash", method: "GET", path: "/webhooks/topics/", wantStatus: 200,
				wantJSON: `["api-key.created","api-key.updated","api-key.deleted","api-key.firstUsed","api-key.rotated","api-key.reactivated","api-key.revealed","access-key.created","access-key.updated","access-key.deleted","project.updated"]`},
			{name: "webhook topics need a credential", as: anonymous, method: "GET", path: "/webhooks/topics", wantStatus: 401, wantJSON: errUnauthorized},
		})
	})
}

func TestOpenAPIDocument(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		r := s.callAs("", "GET", "/openapi.json", nil).want(t, 200)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q", ct)
		}
		var doc struct {
			OpenAPI string                               `json:"openapi"`
			Paths   map[string]map[string]map[string]any `json:"paths"`
		}
		r.decode(t, &doc)
		if doc.OpenAPI != "3.1.0" {
			t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
		}
		// The operation table's closures are not called, so no service is needed.
		ops := api.Declarations()
		contract := 0
		for _, o := range ops {
			if len(o.Tools) > 0 {
				contract++
			}
		}
		if contract != 55 {
			t.Errorf("the operation table has %d contract operations (with MCP tools), the contract 55", contract)
		}
		for _, o := range ops {
			entry, ok := doc.Paths[o.Path][strings.ToLower(o.Method)]
			if !ok {
				t.Errorf("%s %s (%s) missing from /openapi.json", o.Method, o.Path, o.ID)
				continue
			}
			if entry["operationId"] != o.ID {
				t.Errorf("%s %s: operationId %v, want %s", o.Method, o.Path, entry["operationId"], o.ID)
			}
		}
		for _, p := range []string{"/healthz", "/readyz", "/openapi.json", "/metrics"} {
			if _, ok := doc.Paths[p]["get"]; !ok {
				t.Errorf("GET %s missing from /openapi.json", p)
			}
		}
		// Every path the contract names is there.
		for _, p := range []string{"/", "/access-keys", "/access-keys/{key}", "/access-keys/{key}/reactivate", "/projects", "/projects/{id}",
			"/user-roles", "/users/{id}/roles", "/webhooks", "/webhooks/{id}", "/webhooks/ping", "/webhooks/topics", "/accounts", "/accounts/{id}",
			"/accounts/{id}/users", "/auth/signup", "/auth/add-user-from-firebase", "/auth/login", "/auth/email-otc", "/auth/validate-login-code",
			"/auth/refresh-access-token", "/auth/authenticate", "/users/{id}", "/api-keys", "/api-keys/{key}", "/api-keys/auth/{key}",
			"/api-keys/{key}/reactivate", "/api-keys/{key}/rotate", "/analytics/project-totals", "/analytics/api-key-totals", "/notifications",
			"/invitations", "/invitations/{id}", "/invitations/{id}/accept", "/invitations/{id}/info", "/teammates"} {
			if _, ok := doc.Paths[p]; !ok {
				t.Errorf("path %s missing from /openapi.json", p)
			}
		}
		var anyDoc any
		if err := json.Unmarshal(r.Body, &anyDoc); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUnknownRoutes(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		run(t, s, []scenario{
			{name: "unknown path", method: "GET", path: "/nope", wantStatus: 404, wantJSON: cannot("GET", "/nope")},
			{name: "unknown path without credential", as: anonymous, method: "GET", path: "/nope", wantStatus: 404, wantJSON: cannot("GET", "/nope")},
			{name: "unknown nested path", method: "GET", path: "/api-keys/a/b/c", wantStatus: 404, wantJSON: cannot("GET", "/api-keys/a/b/c")},
			{name: "unknown path with trailing slash", method: "GET", path: "/nope/", wantStatus: 404, wantJSON: cannot("GET", "/nope/")},
			{name: "unknown path keeps the query, as Express's originalUrl", method: "GET", path: "/nope?x=1&y=%20", wantStatus: 404, wantJSON: cannot("GET", "/nope?x=1&y=%20")},
			{name: "unknown path as sent, escaped", method: "GET", path: "/no%20pe", wantStatus: 404, wantJSON: cannot("GET", "/no%20pe")},
			{name: "wrong method on a known path is 404, not 405", method: "PUT", path: "/api-keys", wantStatus: 404, wantJSON: cannot("PUT", "/api-keys")},
			{name: "DELETE on a collection", method: "DELETE", path: "/api-keys", wantStatus: 404, wantJSON: cannot("DELETE", "/api-keys")},
			{name: "POST on an item", method: "POST", path: "/projects/x", wantStatus: 404, wantJSON: cannot("POST", "/projects/x")},
			{name: "PATCH on the verification route", method: "PATCH", path: "/api-keys/auth/x", wantStatus: 404, wantJSON: cannot("PATCH", "/api-keys/auth/x")},
			{name: "DELETE on the verification route", method: "DELETE", path: "/api-keys/auth/x", wantStatus: 404, wantJSON: cannot("DELETE", "/api-keys/auth/x")},
			{name: "GET on rotate", method: "GET", path: "/api-keys/x/rotate", wantStatus: 404, wantJSON: cannot("GET", "/api-keys/x/rotate")},
		})
	})
}

// TestTrailingSlash checks that /x/ and /x are the same route for every
// implemented path (the SDK calls /api-keys/?…).
func TestTrailingSlash(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, map[string]any{"name": "slash"})
		pw := s.projectWant(p.ID, "p", "live")
		run(t, s, []scenario{
			{name: "list api keys", method: "GET", path: "/api-keys/?projectId=" + p.ID, wantStatus: 200, wantJSON: "[" + keyWant(k) + "]"},
			{name: "get api key", method: "GET", path: "/api-keys/" + k.Key + "/", wantStatus: 200, wantJSON: keyWant(k)},
			{name: "verify", method: "POST", path: "/api-keys/auth/" + k.Key + "/", wantStatus: 200, wantJSON: keyWant(k)},
			{name: "legacy verify", method: "GET", path: "/api-keys/auth/" + k.Key + "/", wantStatus: 200, wantJSON: keyWant(k)},
			{name: "legacy authenticate", method: "POST", path: "/auth/authenticate/", body: map[string]any{"credentials": map[string]any{"api_key": k.Key}},
				wantStatus: 201, wantJSON: `{"authenticated":true,"customMetaData":{},"customAccountId":null,"customUserId":null}`},
			{name: "list projects", method: "GET", path: "/projects/?accountId=" + s.AccountID, wantStatus: 200, wantJSON: "[" + pw + "]"},
			{name: "get project", method: "GET", path: "/projects/" + p.ID + "/", wantStatus: 200, wantJSON: pw},
			{name: "list accounts", method: "GET", path: "/accounts/", wantStatus: 200, wantJSON: "[" + s.accountWant() + "]"},
			{name: "get account", method: "GET", path: "/accounts/" + s.AccountID + "/", wantStatus: 200, wantJSON: s.accountWant()},
			{name: "list access keys", method: "GET", path: "/access-keys/?accountId=" + s.AccountID, wantStatus: 200, wantJSON: "[" + s.bootstrapAccessKeyWant() + "]"},
			{name: "create api key", method: "POST", path: "/api-keys/", body: map[string]any{"name": "key", "projectId": p.ID},
				wantStatus: 201, wantJSON: s.apiKeyWant(p.ID)},
			{name: "patch api key", method: "PATCH", path: "/api-keys/" + k.Key + "/", body: map[string]any{"name": "renamed"},
				wantStatus: 200, wantJSON: keyWant(k, map[string]any{"name": "renamed"})},
			{name: "delete api key", method: "DELETE", path: "/api-keys/" + k.Key + "/", wantStatus: 200, wantJSON: `true`},
			{name: "reactivate api key", method: "PATCH", path: "/api-keys/" + k.Key + "/reactivate/",
				wantStatus: 200, wantJSON: keyWant(k, map[string]any{"name": "renamed"})},
			{name: "rotate api key", method: "POST", path: "/api-keys/" + k.Key + "/rotate/",
				wantStatus: 201, wantJSON: keyWant(k, map[string]any{"name": "renamed", "key": reLiveKey})},
		})
	})
}
