package app_test

import (
	"testing"
	"time"
)

func legacyBody(key string) map[string]any {
	return map[string]any{"credentials": map[string]any{"api_key": key}}
}

func TestVerify(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, map[string]any{"name": "v", "customMetaData": map[string]any{"plan": "pro", "seats": 3}, "customAccountId": "acct-9", "customUserId": "user-9"})
		plain := s.createKey(p.ID, nil)
		revoked := s.createKey(p.ID, nil)
		s.call("DELETE", "/api-keys/"+revoked.Key, nil).want(t, 200)
		legacyOK := `{"authenticated":true,"customMetaData":{"plan":"pro","seats":3},"customAccountId":"acct-9","customUserId":"user-9"}`
		run(t, s, []scenario{
			{name: "POST verifies with 200 and the key", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantEvents: evKeyFirstUsed, wantJSON: keyWant(k), wantHeaders: noRate},
			{name: "GET (legacy) verifies with 200 and the key", method: "GET", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantEvents: noEvents, wantJSON: keyWant(k), wantHeaders: noRate},
			{name: "a body is ignored", method: "POST", path: "/api-keys/auth/" + k.Key, body: `{"not":"used"}`, wantStatus: 200, wantEvents: noEvents, wantJSON: keyWant(k)},
			{name: "unknown key", method: "POST", path: "/api-keys/auth/live_unknown", wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "unknown key, legacy GET", method: "GET", path: "/api-keys/auth/live_unknown", wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "revoked key", method: "POST", path: "/api-keys/auth/" + revoked.Key, wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "malformed key", method: "POST", path: "/api-keys/auth/%F0%9F%94%91%20not%20a%20key", wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "key string of another case", method: "POST", path: "/api-keys/auth/" + swapCase(k.Key), wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "an access key is not an API key", method: "POST", path: "/api-keys/auth/" + s.AccessKey, wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "legacy authenticate", method: "POST", path: "/auth/authenticate", body: legacyBody(k.Key), wantStatus: 201, wantEvents: noEvents, wantJSON: legacyOK},
			{name: "legacy authenticate of a plain key", method: "POST", path: "/auth/authenticate", body: legacyBody(plain.Key), wantStatus: 201, wantEvents: evKeyFirstUsed,
				wantJSON: `{"authenticated":true,"customMetaData":{},"customAccountId":null,"customUserId":null}`},
			{name: "legacy authenticate ignores unknown fields", method: "POST", path: "/auth/authenticate",
				body: map[string]any{"credentials": map[string]any{"api_key": k.Key, "other": 1}, "x": true}, wantStatus: 201, wantEvents: noEvents, wantJSON: legacyOK},
			{name: "legacy authenticate of an unknown key", method: "POST", path: "/auth/authenticate", body: legacyBody("live_unknown"), wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "legacy authenticate of a revoked key", method: "POST", path: "/auth/authenticate", body: legacyBody(revoked.Key), wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "legacy authenticate without a key", method: "POST", path: "/auth/authenticate", body: map[string]any{}, wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "legacy authenticate with an empty key", method: "POST", path: "/auth/authenticate", body: legacyBody(""), wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "legacy authenticate with a number", method: "POST", path: "/auth/authenticate", body: `{"credentials":{"api_key":5}}`,
				wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("credentials.api_key must be a string")},
			{name: "legacy authenticate with credentials a string", method: "POST", path: "/auth/authenticate", body: `{"credentials":"x"}`,
				wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("credentials must be an object")},
			{name: "legacy authenticate with an array body", method: "POST", path: "/auth/authenticate", body: `[]`, wantStatus: 400, wantEvents: noEvents, wantJSON: errBodyNotObject},
			{name: "legacy authenticate with malformed JSON", method: "POST", path: "/auth/authenticate", body: `{"credentials":`,
				wantStatus: 400, wantEvents: noEvents, wantJSON: errMalformed},
			{name: "legacy authenticate with a body over 1 MiB", method: "POST", path: "/auth/authenticate",
				body: paddedBody(`{"credentials":{"api_key":"`+k.Key+`"},"pad":"`, `"}`, 1<<20+1), wantStatus: 413, wantEvents: noEvents, wantJSON: errTooLarge},
			// GET /api-keys/{key} is a read, not a verification.
			{name: "get reads a revoked key as 404", method: "GET", path: "/api-keys/" + revoked.Key, wantStatus: 404, wantEvents: noEvents, wantJSON: errKeyNotFound},
		})
	})
}

// swapCase flips the case of ASCII letters, so lookups are shown to be
// exact.
func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 32
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestVerifyExpiry(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		expires := s.Clock.Now().Add(time.Hour)
		k := s.createKey(p.ID, map[string]any{"expiry": iso(expires)})
		v := "/api-keys/auth/" + k.Key
		run(t, s, []scenario{
			{name: "before expiry", method: "POST", path: v, wantStatus: 200, wantJSON: keyWant(k)},
		})
		s.Clock.Advance(time.Hour - time.Millisecond)
		run(t, s, []scenario{
			{name: "a millisecond before expiry", method: "POST", path: v, wantStatus: 200, wantJSON: keyWant(k)},
		})
		s.Clock.Advance(time.Millisecond)
		run(t, s, []scenario{
			{name: "at expiry", method: "POST", path: v, wantStatus: 404, wantJSON: errInvalidKey},
			{name: "at expiry, legacy GET", method: "GET", path: v, wantStatus: 404, wantJSON: errInvalidKey},
			{name: "at expiry, legacy authenticate", method: "POST", path: "/auth/authenticate", body: legacyBody(k.Key), wantStatus: 404, wantJSON: errInvalidKey},
		})
		s.Clock.Advance(24 * time.Hour)
		at := s.now()
		run(t, s, []scenario{
			{name: "long after expiry", method: "POST", path: v, wantStatus: 404, wantJSON: errInvalidKey},
			{name: "reactivate", method: "PATCH", path: "/api-keys/" + k.Key + "/reactivate", wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"expiresAt": nil, "updatedAt": at})},
			{name: "verifies after reactivation", method: "POST", path: v, wantStatus: 200, wantJSON: keyWant(k, map[string]any{"expiresAt": nil, "updatedAt": at})},
			{name: "PATCH an expiry in the past", method: "PATCH", path: "/api-keys/" + k.Key, body: map[string]any{"expiry": "2026-01-01"}, wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"expiresAt": "2026-01-01T00:00:00.000Z", "updatedAt": at})},
			{name: "takes effect on the next verify", method: "POST", path: v, wantStatus: 404, wantJSON: errInvalidKey},
			{name: "PATCH the expiry away", method: "PATCH", path: "/api-keys/" + k.Key, body: map[string]any{"expiry": nil}, wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"expiresAt": nil, "updatedAt": at})},
			{name: "verifies again", method: "POST", path: v, wantStatus: 200, wantJSON: keyWant(k, map[string]any{"expiresAt": nil, "updatedAt": at})},
		})
	})
}

func TestVerifyOrigin(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, map[string]any{"allowedDomains": []string{"*.example.com", "api.other.org"}})
		open := s.createKey(p.ID, nil)
		v := "/api-keys/auth/" + k.Key
		ok := func(name, origin string) scenario {
			return scenario{name: name, method: "POST", path: v, headers: []string{"x-origin-domain", origin}, wantStatus: 200, wantJSON: keyWant(k)}
		}
		denied := func(name, origin string) scenario {
			return scenario{name: name, method: "POST", path: v, headers: []string{"x-origin-domain", origin}, wantStatus: 403, wantJSON: errOriginDenied, wantHeaders: noRate}
		}
		run(t, s, []scenario{
			{name: "no header is allowed", method: "POST", path: v, wantStatus: 200, wantJSON: keyWant(k)},
			ok("wildcard matches the apex", "example.com"),
			ok("wildcard matches a subdomain", "app.example.com"),
			ok("wildcard matches a deep subdomain", "a.b.example.com"),
			ok("host names are case-insensitive", "APP.Example.COM"),
			ok("an origin URL with port and path", "https://app.example.com:8443/login"),
			ok("exact entry", "api.other.org"),
			denied("suffix without a dot", "badexample.com"),
			denied("other domain", "example.org"),
			denied("parent of an exact entry", "other.org"),
			denied("subdomain of an exact entry", "x.api.other.org"),
			denied("apex with a different TLD", "example.com.evil.net"),
			{name: "legacy GET checks the origin too", method: "GET", path: v, headers: []string{"x-origin-domain", "evil.net"}, wantStatus: 403, wantJSON: errOriginDenied},
			{name: "a key without allowed domains allows any origin", method: "POST", path: "/api-keys/auth/" + open.Key, headers: []string{"x-origin-domain", "evil.net"},
				wantStatus: 200, wantJSON: keyWant(open)},
			{name: "an unknown key is 404 whatever the origin", method: "POST", path: "/api-keys/auth/live_unknown", headers: []string{"x-origin-domain", "evil.net"},
				wantStatus: 404, wantJSON: errInvalidKey},
			{name: "PATCH allowedDomains", method: "PATCH", path: "/api-keys/" + k.Key, body: map[string]any{"allowedDomains": []string{"evil.net"}}, wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"allowedDomains": []string{"evil.net"}})},
			{name: "the new list takes effect at once", method: "POST", path: v, headers: []string{"x-origin-domain", "evil.net"}, wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"allowedDomains": []string{"evil.net"}})},
			denied("the old list no longer applies", "app.example.com"),
			{name: "PATCH allowedDomains to none", method: "PATCH", path: "/api-keys/" + k.Key, body: map[string]any{"allowedDomains": []string{}}, wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"allowedDomains": []string{}})},
			{name: "every origin allowed again", method: "POST", path: v, headers: []string{"x-origin-domain", "app.example.com"}, wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"allowedDomains": []string{}})},
		})
	})
}

func TestVerifyRateLimit(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, map[string]any{"rateLimitConfigs": map[string]any{"rateLimit": 2, "rateLimitTtl": 60}, "allowedDomains": []string{"example.com"}})
		v := "/api-keys/auth/" + k.Key
		// The window starts at its first hit, not at creation.
		s.Clock.Advance(10 * time.Second)
		start := s.Clock.Now()
		reset := start.Add(60 * time.Second)
		run(t, s, []scenario{
			{name: "reading the key does not open a window", method: "GET", path: "/api-keys/" + k.Key, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: noRate},
			{name: "first hit", method: "POST", path: v, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: rate(2, 1, 1, reset, "")},
			{name: "reading the key does not consume", method: "GET", path: "/api-keys/" + k.Key, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: noRate},
			{name: "listing does not consume", method: "GET", path: "/api-keys?projectId=" + p.ID, wantStatus: 200, wantJSON: "[" + keyWant(k) + "]", wantHeaders: noRate},
			{name: "a denied origin does not consume", method: "POST", path: v, headers: []string{"x-origin-domain", "evil.net"}, wantStatus: 403,
				wantJSON: errOriginDenied, wantHeaders: rate(2, 1, 1, reset, "")},
		})
		s.Clock.Advance(20 * time.Second)
		run(t, s, []scenario{
			{name: "second hit, same window", method: "GET", path: v, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: rate(2, 0, 2, reset, "")},
			{name: "over the limit", method: "POST", path: v, wantStatus: 429, wantJSON: errTooMany, wantHeaders: rate(2, 0, 2, reset, "40")},
			{name: "legacy authenticate is limited too", method: "POST", path: "/auth/authenticate", body: legacyBody(k.Key), wantStatus: 429, wantJSON: errTooMany},
			{name: "a 429 does not consume", method: "GET", path: v, wantStatus: 429, wantJSON: errTooMany, wantHeaders: rate(2, 0, 2, reset, "40")},
			{name: "management calls are not limited by the key's limit", method: "GET", path: "/api-keys/" + k.Key, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: noRate},
		})
		s.Clock.Advance(39*time.Second + 500*time.Millisecond)
		run(t, s, []scenario{
			{name: "retry-after rounds up", method: "POST", path: v, wantStatus: 429, wantJSON: errTooMany, wantHeaders: rate(2, 0, 2, reset, "1")},
		})
		s.Clock.Advance(500 * time.Millisecond)
		// The window ended; the next one starts at this hit.
		next := s.Clock.Now().Add(60 * time.Second)
		run(t, s, []scenario{
			{name: "a new window at the reset", method: "POST", path: v, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: rate(2, 1, 1, next, "")},
		})
		s.Clock.Advance(5 * time.Minute)
		late := s.Clock.Now().Add(60 * time.Second)
		run(t, s, []scenario{
			{name: "an idle key starts a fresh window at its next hit", method: "POST", path: "/auth/authenticate", body: legacyBody(k.Key), wantStatus: 201,
				wantJSON: `{"authenticated":true,"customMetaData":{},"customAccountId":null,"customUserId":null}`},
			{name: "counted in the same window as POST and GET", method: "GET", path: v, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: rate(2, 0, 2, late, "")},
			{name: "limit reached", method: "POST", path: v, wantStatus: 429, wantJSON: errTooMany, wantHeaders: rate(2, 0, 2, late, "60")},
		})
	})
}

func TestVerifyRateLimitChanges(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, nil)
		v := "/api-keys/auth/" + k.Key
		reset := s.Clock.Now().Add(30 * time.Second)
		limited := keyWant(k, map[string]any{"rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 30}})
		run(t, s, []scenario{
			{name: "unlimited key has no rate headers", method: "POST", path: v, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: noRate},
			{name: "unlimited key again", method: "POST", path: v, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: noRate},
			{name: "PATCH a rate limit", method: "PATCH", path: "/api-keys/" + k.Key, body: map[string]any{"rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 30}},
				wantStatus: 200, wantJSON: limited},
			{name: "takes effect on the next verify", method: "POST", path: v, wantStatus: 200, wantJSON: limited, wantHeaders: rate(1, 0, 1, reset, "")},
			{name: "limited", method: "POST", path: v, wantStatus: 429, wantJSON: errTooMany, wantHeaders: rate(1, 0, 1, reset, "30")},
			{name: "rotation keeps the window", method: "POST", path: "/api-keys/" + k.Key + "/rotate", wantStatus: 201,
				wantJSON: keyWant(k, map[string]any{"key": reLiveKey, "rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 30}}),
				check:    func(t *testing.T, r *response) { r.decode(t, &k); k.raw = r.Body }},
		})
		run(t, s, []scenario{
			{name: "the rotated key is still limited", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 429, wantJSON: errTooMany, wantHeaders: rate(1, 0, 1, reset, "30")},
			{name: "PATCH the rate limit away", method: "PATCH", path: "/api-keys/" + k.Key, body: map[string]any{"rateLimitConfigs": nil}, wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"rateLimitConfigs": nil})},
			{name: "unlimited again", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantHeaders: noRate,
				wantJSON: keyWant(k, map[string]any{"rateLimitConfigs": nil})},
		})
	})
}

// TestVerifyCacheInvalidation: every write changes the next answer at once,
// although answers are cached.
func TestVerifyCacheInvalidation(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		p2 := s.newProject("p2", "live")
		k := s.createKey(p.ID, map[string]any{"name": "cached"})
		k2 := s.createKey(p2.ID, nil)
		v := "/api-keys/auth/" + k.Key
		run(t, s, []scenario{
			// An unknown string is remembered as unknown; creating it must
			// not wait for that memory to fade.
			{name: "unknown custom string", method: "POST", path: "/api-keys/auth/soon-to-exist", wantStatus: 404, wantJSON: errInvalidKey},
			{name: "create it", method: "POST", path: "/api-keys", body: map[string]any{"name": "new", "projectId": p.ID, "key": "soon-to-exist"}, wantStatus: 201,
				wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "new", "key": "soon-to-exist"})},
			{name: "verifies at once", method: "POST", path: "/api-keys/auth/soon-to-exist", wantStatus: 200,
				wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "new", "key": "soon-to-exist"})},
			{name: "unknown string for a rename", method: "GET", path: "/api-keys/auth/renamed-later", wantStatus: 404, wantJSON: errInvalidKey},
			{name: "rename to it", method: "PATCH", path: "/api-keys/soon-to-exist", body: map[string]any{"key": "renamed-later"}, wantStatus: 200,
				wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "new", "key": "renamed-later"})},
			{name: "the new string verifies", method: "POST", path: "/api-keys/auth/renamed-later", wantStatus: 200,
				wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "new", "key": "renamed-later"})},
			{name: "the old string does not", method: "POST", path: "/api-keys/auth/soon-to-exist", wantStatus: 404, wantJSON: errInvalidKey},

			{name: "cached", method: "POST", path: v, wantStatus: 200, wantJSON: keyWant(k)},
			{name: "PATCH metadata", method: "PATCH", path: "/api-keys/" + k.Key, body: map[string]any{"name": "changed", "customMetaData": map[string]any{"v": 2}},
				wantStatus: 200, wantJSON: keyWant(k, map[string]any{"name": "changed", "customMetaData": map[string]any{"v": 2}})},
			{name: "the answer changes at once", method: "POST", path: v, wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"name": "changed", "customMetaData": map[string]any{"v": 2}})},
			{name: "legacy answer too", method: "POST", path: "/auth/authenticate", body: legacyBody(k.Key), wantStatus: 201,
				wantJSON: `{"authenticated":true,"customMetaData":{"v":2},"customAccountId":null,"customUserId":null}`},
			{name: "revoke", method: "DELETE", path: "/api-keys/" + k.Key, wantStatus: 200, wantJSON: `true`},
			{name: "revoked: next verify fails", method: "POST", path: v, wantStatus: 404, wantJSON: errInvalidKey},
			{name: "revoked: legacy fails", method: "POST", path: "/auth/authenticate", body: legacyBody(k.Key), wantStatus: 404, wantJSON: errInvalidKey},
			{name: "reactivate", method: "PATCH", path: "/api-keys/" + k.Key + "/reactivate", wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"name": "changed", "customMetaData": map[string]any{"v": 2}})},
			{name: "reactivated: verifies", method: "POST", path: v, wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"name": "changed", "customMetaData": map[string]any{"v": 2}})},

			{name: "other project's key cached", method: "POST", path: "/api-keys/auth/" + k2.Key, wantStatus: 200, wantJSON: keyWant(k2)},
			{name: "delete the project", method: "DELETE", path: "/projects/" + p.ID, wantStatus: 200,
				wantJSON: s.projectWant(p.ID, "p", "live", map[string]any{"isActive": false})},
			{name: "its keys stop verifying", method: "POST", path: v, wantStatus: 404, wantJSON: errInvalidKey},
			{name: "its renamed key too", method: "POST", path: "/api-keys/auth/renamed-later", wantStatus: 404, wantJSON: errInvalidKey},
			{name: "legacy too", method: "POST", path: "/auth/authenticate", body: legacyBody(k.Key), wantStatus: 404, wantJSON: errInvalidKey},
			{name: "the other project's keys still verify", method: "POST", path: "/api-keys/auth/" + k2.Key, wantStatus: 200, wantJSON: keyWant(k2)},
			{name: "a deleted project's key can still be read", method: "GET", path: "/api-keys/" + k.Key, wantStatus: 200,
				wantJSON: keyWant(k, map[string]any{"name": "changed", "customMetaData": map[string]any{"v": 2}})},
		})
	})
}

// TestVerifyAccountDeletion: deleting an account stops its access keys
// at once, and with them every verification made with them.
func TestVerifyAccountDeletion(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, nil)
		pk := s.projectKey(p.ID)
		otherAcct, otherKey := s.seedAccount()
		otherWant := seededAccountWant(otherAcct, s.now())
		run(t, s, []scenario{
			{name: "account key verifies", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantJSON: keyWant(k)},
			{name: "project key verifies", as: pk, method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantJSON: keyWant(k)},
			{name: "other account works", as: otherKey, method: "GET", path: "/accounts/" + otherAcct, wantStatus: 200, wantJSON: otherWant},
			{name: "delete the account", method: "DELETE", path: "/accounts/" + s.AccountID, wantStatus: 200,
				wantJSON: s.accountWant(map[string]any{"isActive": false, "lastChangedBy": actor(s.AccessKey)})},
			{name: "its access key is refused", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "its access key is refused for management", method: "GET", path: "/accounts", wantStatus: 401, wantJSON: errUnauthorized},
			{name: "its project key is refused", as: pk, method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "legacy authenticate is refused", as: pk, method: "POST", path: "/auth/authenticate", body: legacyBody(k.Key), wantStatus: 401, wantJSON: errUnauthorized},
			{name: "another account cannot verify it either", as: otherKey, method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 404, wantJSON: errInvalidKey},
			{name: "another account is untouched", as: otherKey, method: "GET", path: "/accounts", wantStatus: 200, wantJSON: "[" + otherWant + "]"},
		})
	})
}
