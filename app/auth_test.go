package app_test

import (
	"testing"
)

// TestManagementCredentials covers every header a management credential
// may come in, and the 401 for missing, wrong and deactivated ones.
func TestManagementCredentials(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, nil)
		accounts := "[" + s.accountWant() + "]"
		// as: anonymous, so only the listed headers carry a credential.
		with := func(name string, headers ...string) scenario {
			return scenario{name: name, as: anonymous, method: "GET", path: "/accounts", headers: headers, wantStatus: 200, wantJSON: accounts}
		}
		denied := func(name string, headers ...string) scenario {
			return scenario{name: name, as: anonymous, method: "GET", path: "/accounts", headers: headers, wantStatus: 401, wantJSON: errUnauthorized}
		}
		const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
		run(t, s, []scenario{
			with("x-api-key", "x-api-key", s.AccessKey),
			with("api-key", "api-key", s.AccessKey),
			with("api_key", "api_key", s.AccessKey),
			with("access_key", "access_key", s.AccessKey),
			with("Authorization raw", "Authorization", s.AccessKey),
			with("Authorization Bearer", "Authorization", "Bearer "+s.AccessKey),
			with("Authorization bearer in lower case", "Authorization", "bearer "+s.AccessKey),
			with("x-api-key wins over a wrong api-key", "x-api-key", s.AccessKey, "api-key", "wrong"),
			with("x-api-key wins over a wrong Authorization", "x-api-key", s.AccessKey, "Authorization", "Bearer wrong"),
			with("api-key wins over a wrong Authorization", "api-key", s.AccessKey, "Authorization", "wrong"),
			denied("no credential"),
			denied("wrong x-api-key", "x-api-key", "live_access_wrong"),
			denied("wrong api-key", "api-key", "wrong"),
			denied("wrong api_key", "api_key", "wrong"),
			denied("wrong access_key", "access_key", "wrong"),
			denied("wrong Authorization raw", "Authorization", "wrong"),
			denied("wrong Authorization Bearer", "Authorization", "Bearer wrong"),
			denied("empty Bearer", "Authorization", "Bearer "),
			denied("JWT-shaped Authorization is a user token, none valid yet", "Authorization", "Bearer "+jwt),
			denied("a wrong x-api-key is not rescued by a right api-key", "x-api-key", "wrong", "api-key", s.AccessKey),
			denied("an API key is not an access key", "x-api-key", k.Key),
			// Every kind of operation asks for the credential.
			{name: "verify without credential", as: anonymous, method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 401, wantJSON: errUnauthorized, wantHeaders: noRate},
			{name: "legacy verify without credential", as: anonymous, method: "GET", path: "/api-keys/auth/" + k.Key, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "verify with a wrong credential", as: "wrong", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "legacy authenticate without credential", as: anonymous, method: "POST", path: "/auth/authenticate",
				body: map[string]any{"credentials": map[string]any{"api_key": k.Key}}, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "create without credential", as: anonymous, method: "POST", path: "/api-keys", body: map[string]any{"name": "x", "projectId": p.ID},
				wantStatus: 401, wantJSON: errUnauthorized},
			{name: "credential is checked before the body", as: anonymous, method: "POST", path: "/api-keys", body: `{"name":`,
				wantStatus: 401, wantJSON: errUnauthorized},
			{name: "list without credential", as: anonymous, method: "GET", path: "/api-keys?projectId=" + p.ID, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "get without credential", as: anonymous, method: "GET", path: "/api-keys/" + k.Key, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "patch without credential", as: anonymous, method: "PATCH", path: "/api-keys/" + k.Key, body: map[string]any{"name": "x"}, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "delete without credential", as: anonymous, method: "DELETE", path: "/api-keys/" + k.Key, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "reactivate without credential", as: anonymous, method: "PATCH", path: "/api-keys/" + k.Key + "/reactivate", wantStatus: 401, wantJSON: errUnauthorized},
			{name: "rotate without credential", as: anonymous, method: "POST", path: "/api-keys/" + k.Key + "/rotate", wantStatus: 401, wantJSON: errUnauthorized},
			{name: "projects without credential", as: anonymous, method: "GET", path: "/projects?accountId=" + s.AccountID, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "project without credential", as: anonymous, method: "GET", path: "/projects/" + p.ID, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "create project without credential", as: anonymous, method: "POST", path: "/projects",
				body: map[string]any{"name": "x", "accountId": s.AccountID, "env": "live"}, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "access keys without credential", as: anonymous, method: "GET", path: "/access-keys?accountId=" + s.AccountID, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "create access key without credential", as: anonymous, method: "POST", path: "/access-keys", body: map[string]any{"name": "x"}, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "account without credential", as: anonymous, method: "GET", path: "/accounts/" + s.AccountID, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "delete account without credential", as: anonymous, method: "DELETE", path: "/accounts/" + s.AccountID, wantStatus: 401, wantJSON: errUnauthorized},
		})

		// A deactivated access key is refused in every header.
		ak := s.accessKey(map[string]any{"name": "temp"})
		run(t, s, []scenario{
			{name: "new access key works", as: ak, method: "GET", path: "/accounts", wantStatus: 200, wantJSON: accounts},
			{name: "deactivate it", method: "DELETE", path: "/access-keys/" + ak, wantStatus: 200, wantEmpty: true},
			{name: "deactivated: x-api-key", as: ak, method: "GET", path: "/accounts", wantStatus: 401, wantJSON: errUnauthorized},
			denied("deactivated: api-key", "api-key", ak),
			denied("deactivated: api_key", "api_key", ak),
			denied("deactivated: access_key", "access_key", ak),
			denied("deactivated: Authorization", "Authorization", ak),
			denied("deactivated: Authorization Bearer", "Authorization", "Bearer "+ak),
			{name: "deactivated: verification", as: ak, method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "deactivated: legacy authenticate", as: ak, method: "POST", path: "/auth/authenticate",
				body: map[string]any{"credentials": map[string]any{"api_key": k.Key}}, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "reactivate it", method: "PATCH", path: "/access-keys/" + ak + "/reactivate", wantStatus: 200,
				wantJSON: s.accessKeyWant(map[string]any{"key": ak, "name": "temp"})},
			with("reactivated: Authorization Bearer", "Authorization", "Bearer "+ak),
			{name: "reactivated: verification", as: ak, method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantJSON: keyWant(k)},
		})
	})
}
