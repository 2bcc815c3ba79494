package app_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAPIKeyCreate(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		tp := s.newProject("t", "test")
		gone := s.newProject("gone", "live")
		s.call("DELETE", "/projects/"+gone.ID, nil).want(t, 200)
		meta := `{"plan":"pro","n":1.5,"ok":true,"none":null,"nested":{"list":[1,"two",{"three":[]}]}}`
		run(t, s, []scenario{
			{name: "generated key", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": p.ID},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID)},
			{name: "test project issues test_ keys", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": tp.ID},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(tp.ID, map[string]any{"key": reTestKey, "env": "test"})},
			{name: "custom key", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": p.ID, "key": "my-Custom_key.v1~"},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID, map[string]any{"key": "my-Custom_key.v1~"})},
			{name: "duplicate custom key", method: "POST", path: "/api-keys", body: map[string]any{"name": "other", "projectId": p.ID, "key": "my-Custom_key.v1~"},
				wantStatus: 409, wantEvents: noEvents, wantJSON: errKeyConflict},
			{name: "duplicate custom key in another project", method: "POST", path: "/api-keys", body: map[string]any{"name": "other", "projectId": tp.ID, "key": "my-Custom_key.v1~"},
				wantStatus: 409, wantEvents: noEvents, wantJSON: errKeyConflict},
			{name: "the original is unchanged", method: "GET", path: "/api-keys/my-Custom_key.v1~", wantStatus: 200,
				wantJSON: s.apiKeyWant(p.ID, map[string]any{"key": "my-Custom_key.v1~"})},
			{name: "every field", method: "POST", path: "/api-keys", body: map[string]any{
				"name": "full", "projectId": p.ID, "customMetaData": raw(meta), "customAccountId": "acct-1", "customUserId": "user-1",
				"expiry": "2026-12-01T00:00:00.000Z", "rateLimitConfigs": map[string]any{"rateLimit": 10, "rateLimitTtl": 60},
				"allowedDomains": []string{"Example.COM", "*.example.org", "api.example.net"}},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID, map[string]any{
					"name": "full", "customMetaData": raw(meta), "customAccountId": "acct-1", "customUserId": "user-1",
					"expiresAt": "2026-12-01T00:00:00.000Z", "rateLimitConfigs": map[string]any{"rateLimit": 10, "rateLimitTtl": 60},
					"allowedDomains": []string{"example.com", "*.example.org", "api.example.net"}})},
			{name: "expiry as a date", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": p.ID, "expiry": "2026-12-01"},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID, map[string]any{"expiresAt": "2026-12-01T00:00:00.000Z"})},
			{name: "expiry as date and time", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": p.ID, "expiry": "2026-12-01 10:00:00"},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID, map[string]any{"expiresAt": "2026-12-01T10:00:00.000Z"})},
			{name: "expiry with an offset", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": p.ID, "expiry": "2026-12-01T12:00:00+02:00"},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID, map[string]any{"expiresAt": "2026-12-01T10:00:00.000Z"})},
			{name: "expiry null", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": p.ID, "expiry": nil},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID)},
			{name: "null optional fields", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": p.ID,
				"customMetaData": nil, "customAccountId": nil, "customUserId": nil, "rateLimitConfigs": nil, "allowedDomains": nil},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID)},
			{name: "empty metadata object", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": p.ID, "customMetaData": map[string]any{}},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID)},
			{name: "unicode name kept exactly", method: "POST", path: "/api-keys", body: map[string]any{"name": "ключ 🔑", "projectId": p.ID},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "ключ 🔑"})},
			{name: "name with inner and outer spaces kept", method: "POST", path: "/api-keys", body: map[string]any{"name": "  a  b ", "projectId": p.ID},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "  a  b "})},
			{name: "unknown fields ignored", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": p.ID, "isActive": false, "env": "test", "bogus": []int{1}},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID)},
			{name: "projectId required for an account-level key", method: "POST", path: "/api-keys", body: map[string]any{"name": "key"},
				wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("projectId should not be empty")},
			{name: "unknown project", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": "no-such-project"},
				wantStatus: 403, wantEvents: noEvents, wantJSON: errForbidden},
			{name: "deleted project", method: "POST", path: "/api-keys", body: map[string]any{"name": "key", "projectId": gone.ID},
				wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("projectId refers to a deleted project")},
			{name: "nothing was created by the failures", method: "GET", path: "/api-keys?projectId=" + tp.ID, wantStatus: 200,
				wantJSON: "[" + s.apiKeyWant(tp.ID, map[string]any{"key": reTestKey, "env": "test"}) + "]"},
		})
	})
}

func TestAPIKeyList(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		other := s.newProject("other", "live")
		s.createKey(other.ID, map[string]any{"name": "Alpha"}) // never listed with p
		// Distinct creation times make "newest first" observable.
		mk := func(fields map[string]any) keywayAPIKey {
			s.Clock.Advance(time.Second)
			return s.createKey(p.ID, fields)
		}
		k1 := mk(map[string]any{"name": "Alpha", "customAccountId": "acct-1", "customUserId": "user-1"})
		k2 := mk(map[string]any{"name": "beta", "customAccountId": "acct-1"})
		k3 := mk(map[string]any{"name": "alpha"})
		k4 := mk(map[string]any{"name": "gamma", "customUserId": "user-2"})
		k5 := mk(map[string]any{"name": "revoked", "customAccountId": "acct-1"})
		s.call("DELETE", "/api-keys/"+k5.Key, nil).want(t, 200)
		k5w := keyWant(k5, map[string]any{"isActive": false, "updatedAt": s.now()})
		list := func(ks ...string) string { return "[" + strings.Join(ks, ",") + "]" }
		w1, w2, w3, w4 := keyWant(k1), keyWant(k2), keyWant(k3), keyWant(k4)
		base := "/api-keys?projectId=" + p.ID
		ok := func(name, query, want string) scenario {
			return scenario{name: name, method: "GET", path: base + query, wantStatus: 200, wantJSON: want, wantHeaders: map[string]string{"x-next-cursor": ""}}
		}
		run(t, s, []scenario{
			{name: "projectId required for an account-level key", method: "GET", path: "/api-keys", wantStatus: 400, wantJSON: badRequest("projectId should not be empty")},
			{name: "empty projectId", method: "GET", path: "/api-keys?projectId=", wantStatus: 400, wantJSON: badRequest("projectId should not be empty")},
			{name: "unknown project", method: "GET", path: "/api-keys?projectId=nope", wantStatus: 403, wantJSON: errForbidden},
			ok("active only by default, newest first", "", list(w4, w3, w2, w1)),
			ok("isActive=true", "&isActive=true", list(w4, w3, w2, w1)),
			ok("isActive=false lists revoked ones", "&isActive=false", list(k5w)),
			ok("name matches exactly, case-insensitively", "&name=ALPHA", list(w3, w1)),
			ok("name is not a prefix match", "&name=alp", "[]"),
			ok("name with a revoked key", "&name=revoked&isActive=false", list(k5w)),
			ok("customAccountId", "&customAccountId=acct-1", list(w2, w1)),
			ok("customAccountId=null", "&customAccountId=null", list(w4, w3)),
			ok("customUserId", "&customUserId=user-2", list(w4)),
			ok("customUserId=null", "&customUserId=null", list(w3, w2)),
			ok("both null", "&customAccountId=null&customUserId=null", list(w3)),
			ok("customAccountId and customUserId=null", "&customAccountId=acct-1&customUserId=null", list(w2)),
			ok("filters combine with isActive", "&customAccountId=acct-1&isActive=false", list(k5w)),
			ok("no match", "&customUserId=nobody", "[]"),
			ok("limit", "&limit=2", list(w4, w3)),
			ok("limit and offset", "&limit=2&offset=2", list(w2, w1)),
			ok("offset alone", "&offset=3", list(w1)),
			ok("offset past the end", "&offset=10", "[]"),
			ok("limit 1000", "&limit=1000", list(w4, w3, w2, w1)),
			{name: "trailing slash and unknown parameters", method: "GET", path: "/api-keys/?projectId=" + p.ID + "&foo=bar", wantStatus: 200, wantJSON: list(w4, w3, w2, w1)},
		})

		// Cursor pagination: the first page is asked with an empty cursor,
		// each page names the next in x-next-cursor, the last page none.
		t.Run("cursor", func(t *testing.T) {
			var pages [][]string
			cursor := ""
			for i := 0; ; i++ {
				if i > 4 {
					t.Fatal("cursor pagination does not end")
				}
				r := s.call("GET", base+"&limit=3&cursor="+url.QueryEscape(cursor), nil).want(t, 200)
				var items []keywayAPIKey
				r.decode(t, &items)
				var keys []string
				for _, k := range items {
					keys = append(keys, k.Key)
				}
				pages = append(pages, keys)
				next, has := r.Header["X-Next-Cursor"]
				if !has {
					break
				}
				if len(next) != 1 || next[0] == "" {
					t.Fatalf("x-next-cursor %q", next)
				}
				cursor = next[0]
			}
			want := [][]string{{k4.Key, k3.Key, k2.Key}, {k1.Key}}
			if js(pages) != js(want) {
				t.Fatalf("pages %v, want %v", pages, want)
			}
			// A full last page has no next cursor either.
			r := s.call("GET", base+"&limit=4&cursor=", nil).want(t, 200)
			if _, has := r.Header["X-Next-Cursor"]; has {
				t.Fatalf("x-next-cursor on the only page: %q", r.Header["X-Next-Cursor"])
			}
			matchJSON(t, r.Body, list(w4, w3, w2, w1))
			// The cursor is stable across new keys: a key created after the
			// first page does not shift the second.
			r = s.call("GET", base+"&limit=2&cursor=", nil).want(t, 200)
			next := r.Header.Get("X-Next-Cursor")
			mk(map[string]any{"name": "late"})
			s.call("GET", base+"&limit=2&cursor="+url.QueryEscape(next), nil).want(t, 200).wantJSON(t, list(w2, w1))
		})
		run(t, s, []scenario{
			{name: "bad cursor", method: "GET", path: base + "&cursor=abc", wantStatus: 400, wantJSON: badRequest("cursor is not valid")},
		})
	})
}

func TestAPIKeyGetUpdateDelete(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, map[string]any{"name": "orig", "customMetaData": map[string]any{"a": 1}, "customAccountId": "acct", "customUserId": "user",
			"expiry": "2027-01-01", "rateLimitConfigs": map[string]any{"rateLimit": 5, "rateLimitTtl": 10}, "allowedDomains": []string{"example.com"}})
		other := s.createKey(p.ID, map[string]any{"name": "other", "key": "taken-key-1"})
		s.Clock.Advance(time.Minute)
		at := s.now()
		path := "/api-keys/" + k.Key
		w := func(o map[string]any) string { return keyWant(k, o, map[string]any{"updatedAt": at}) }
		run(t, s, []scenario{
			{name: "get", method: "GET", path: path, wantStatus: 200, wantJSON: keyWant(k)},
			{name: "get unknown", method: "GET", path: "/api-keys/live_nope", wantStatus: 404, wantJSON: errKeyNotFound},
			{name: "get with an escaped path", method: "GET", path: "/api-keys/taken%2Dkey%2D1", wantStatus: 200, wantJSON: keyWant(other)},
			{name: "empty patch only touches updatedAt", method: "PATCH", path: path, body: map[string]any{}, wantStatus: 200, wantEvents: evKeyUpdated, wantJSON: w(nil)},
			{name: "patch without a body", method: "PATCH", path: path, wantStatus: 200, wantEvents: evKeyUpdated, wantJSON: w(nil)},
			{name: "rename", method: "PATCH", path: path, body: map[string]any{"name": "ключ 🔑"}, wantStatus: 200, wantEvents: evKeyUpdated, wantJSON: w(map[string]any{"name": "ключ 🔑"})},
			{name: "partial: other fields kept", method: "PATCH", path: path, body: map[string]any{"customUserId": "user-2"}, wantStatus: 200, wantEvents: evKeyUpdated,
				wantJSON: w(map[string]any{"name": "ключ 🔑", "customUserId": "user-2"})},
			{name: "replace metadata with any object", method: "PATCH", path: path, body: map[string]any{"customMetaData": raw(`{"b":[1,{"c":null}]}`)}, wantStatus: 200, wantEvents: evKeyUpdated,
				wantJSON: w(map[string]any{"name": "ключ 🔑", "customUserId": "user-2", "customMetaData": raw(`{"b":[1,{"c":null}]}`)})},
			{name: "set every field", method: "PATCH", path: path, body: map[string]any{"expiry": "2026-12-01 10:00:00", "rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 1},
				"allowedDomains": []string{"*.Example.org"}, "customAccountId": "acct-2"}, wantStatus: 200, wantEvents: evKeyUpdated,
				wantJSON: w(map[string]any{"name": "ключ 🔑", "customUserId": "user-2", "customMetaData": raw(`{"b":[1,{"c":null}]}`),
					"expiresAt": "2026-12-01T10:00:00.000Z", "rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 1},
					"allowedDomains": []string{"*.example.org"}, "customAccountId": "acct-2"})},
			{name: "null clears", method: "PATCH", path: path, body: map[string]any{"customMetaData": nil, "customAccountId": nil, "customUserId": nil,
				"expiry": nil, "rateLimitConfigs": nil, "allowedDomains": nil}, wantStatus: 200, wantEvents: evKeyUpdated,
				wantJSON: w(map[string]any{"name": "ключ 🔑", "customMetaData": map[string]any{}, "customAccountId": nil, "customUserId": nil,
					"expiresAt": nil, "rateLimitConfigs": nil, "allowedDomains": []string{}})},
			{name: "the cleared key reads back", method: "GET", path: path, wantStatus: 200,
				wantJSON: w(map[string]any{"name": "ключ 🔑", "customMetaData": map[string]any{}, "customAccountId": nil, "customUserId": nil,
					"expiresAt": nil, "rateLimitConfigs": nil, "allowedDomains": []string{}})},
			{name: "allowedDomains set again", method: "PATCH", path: path, body: map[string]any{"allowedDomains": []string{"a.example"}}, wantStatus: 200, wantEvents: evKeyUpdated,
				wantJSON: w(map[string]any{"name": "ключ 🔑", "customMetaData": map[string]any{}, "customAccountId": nil, "customUserId": nil,
					"expiresAt": nil, "rateLimitConfigs": nil, "allowedDomains": []string{"a.example"}})},
			{name: "name null is refused", method: "PATCH", path: path, body: map[string]any{"name": nil}, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("name should not be empty")},
			{name: "key null is refused", method: "PATCH", path: path, body: map[string]any{"key": nil}, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("key should not be empty")},
			{name: "new custom key taken", method: "PATCH", path: path, body: map[string]any{"key": "taken-key-1", "name": "should not stick"}, wantStatus: 409, wantEvents: noEvents, wantJSON: errKeyConflict},
			unchanged("unchanged after the conflict", path, w(map[string]any{"name": "ключ 🔑", "customMetaData": map[string]any{}, "customAccountId": nil,
				"customUserId": nil, "expiresAt": nil, "rateLimitConfigs": nil, "allowedDomains": []string{"a.example"}})),
			{name: "patch unknown", method: "PATCH", path: "/api-keys/live_nope", body: map[string]any{"name": "x"}, wantStatus: 404, wantEvents: noEvents, wantJSON: errKeyNotFound},
			{name: "new custom key", method: "PATCH", path: path, body: map[string]any{"key": "renamed-key-1"}, wantStatus: 200, wantEvents: evKeyUpdated,
				wantJSON: w(map[string]any{"key": "renamed-key-1", "name": "ключ 🔑", "customMetaData": map[string]any{}, "customAccountId": nil,
					"customUserId": nil, "expiresAt": nil, "rateLimitConfigs": nil, "allowedDomains": []string{"a.example"}})},
			{name: "the old string is gone", method: "GET", path: path, wantStatus: 404, wantJSON: errKeyNotFound},
			{name: "the new string reads", method: "GET", path: "/api-keys/renamed-key-1", wantStatus: 200,
				wantJSON: w(map[string]any{"key": "renamed-key-1", "name": "ключ 🔑", "customMetaData": map[string]any{}, "customAccountId": nil,
					"customUserId": nil, "expiresAt": nil, "rateLimitConfigs": nil, "allowedDomains": []string{"a.example"}})},
			{name: "same key string is allowed", method: "PATCH", path: "/api-keys/renamed-key-1", body: map[string]any{"key": "renamed-key-1"}, wantStatus: 200, wantEvents: evKeyUpdated,
				wantJSON: w(map[string]any{"key": "renamed-key-1", "name": "ключ 🔑", "customMetaData": map[string]any{}, "customAccountId": nil,
					"customUserId": nil, "expiresAt": nil, "rateLimitConfigs": nil, "allowedDomains": []string{"a.example"}})},
			{name: "delete returns true", method: "DELETE", path: "/api-keys/renamed-key-1", wantStatus: 200, wantEvents: evKeyDeleted, wantJSON: `true`},
			{name: "get after delete", method: "GET", path: "/api-keys/renamed-key-1", wantStatus: 404, wantJSON: errKeyNotFound},
			{name: "patch after delete", method: "PATCH", path: "/api-keys/renamed-key-1", body: map[string]any{"name": "x"}, wantStatus: 404, wantEvents: noEvents, wantJSON: errKeyNotFound},
			{name: "delete again", method: "DELETE", path: "/api-keys/renamed-key-1", wantStatus: 404, wantEvents: noEvents, wantJSON: errKeyNotFound},
			{name: "rotate after delete", method: "POST", path: "/api-keys/renamed-key-1/rotate", wantStatus: 404, wantEvents: noEvents, wantJSON: errKeyNotFound},
			{name: "delete unknown", method: "DELETE", path: "/api-keys/live_nope", wantStatus: 404, wantEvents: noEvents, wantJSON: errKeyNotFound},
			{name: "the revoked key is listed as inactive", method: "GET", path: "/api-keys?isActive=false&projectId=" + p.ID, wantStatus: 200,
				wantJSON: "[" + w(map[string]any{"key": "renamed-key-1", "name": "ключ 🔑", "customMetaData": map[string]any{}, "customAccountId": nil,
					"customUserId": nil, "expiresAt": nil, "rateLimitConfigs": nil, "allowedDomains": []string{"a.example"}, "isActive": false}) + "]"},
			{name: "and no longer as active", method: "GET", path: "/api-keys?projectId=" + p.ID, wantStatus: 200, wantJSON: "[" + keyWant(other) + "]"},
		})
	})
}

func TestAPIKeyReactivate(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		active := s.createKey(p.ID, map[string]any{"name": "active"})
		future := s.createKey(p.ID, map[string]any{"name": "future", "expiry": "2027-01-01"})
		expiring := s.createKey(p.ID, map[string]any{"name": "expiring", "expiry": iso(s.Clock.Now().Add(time.Hour))})
		revoked := s.createKey(p.ID, map[string]any{"name": "revoked", "expiry": "2027-01-01"})
		revokedExpired := s.createKey(p.ID, map[string]any{"name": "revokedExpired", "expiry": iso(s.Clock.Now().Add(time.Hour))})
		s.call("DELETE", "/api-keys/"+revoked.Key, nil).want(t, 200)
		s.call("DELETE", "/api-keys/"+revokedExpired.Key, nil).want(t, 200)
		s.Clock.Advance(2 * time.Hour)
		at := s.now()
		re := func(k keywayAPIKey) string { return "/api-keys/" + k.Key + "/reactivate" }
		verify := func(k keywayAPIKey) string { return "/api-keys/auth/" + k.Key }
		run(t, s, []scenario{
			{name: "active key", method: "PATCH", path: re(active), wantStatus: 409, wantEvents: noEvents, wantJSON: errKeyActive},
			{name: "active key with a future expiry", method: "PATCH", path: re(future), wantStatus: 409, wantEvents: noEvents, wantJSON: errKeyActive},
			{name: "unknown key", method: "PATCH", path: "/api-keys/live_nope/reactivate", wantStatus: 404, wantEvents: noEvents, wantJSON: errKeyNotFound},
			{name: "expired key does not verify", method: "POST", path: verify(expiring), wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "expired key is still readable", method: "GET", path: "/api-keys/" + expiring.Key, wantStatus: 200, wantJSON: keyWant(expiring)},
			{name: "expired key counts as inactive: reactivation clears its expiry", method: "PATCH", path: re(expiring), wantStatus: 200, wantEvents: evKeyReactivated,
				wantJSON: keyWant(expiring, map[string]any{"expiresAt": nil, "updatedAt": at})},
			{name: "and it verifies", method: "POST", path: verify(expiring), wantStatus: 200, wantEvents: evKeyFirstUsed, wantJSON: keyWant(expiring, map[string]any{"expiresAt": nil, "updatedAt": at})},
			{name: "now active again", method: "PATCH", path: re(expiring), wantStatus: 409, wantEvents: noEvents, wantJSON: errKeyActive},
			{name: "revoked key with a future expiry keeps it", method: "PATCH", path: re(revoked), wantStatus: 200, wantEvents: evKeyReactivated,
				wantJSON: keyWant(revoked, map[string]any{"updatedAt": at})},
			{name: "revoked key verifies again", method: "POST", path: verify(revoked), wantStatus: 200, wantEvents: evKeyFirstUsed, wantJSON: keyWant(revoked, map[string]any{"updatedAt": at})},
			{name: "revoked and expired key with a new expiry", method: "PATCH", path: re(revokedExpired), body: map[string]any{"expiry": "2026-12-24"}, wantStatus: 200, wantEvents: evKeyReactivated,
				wantJSON: keyWant(revokedExpired, map[string]any{"expiresAt": "2026-12-24T00:00:00.000Z", "updatedAt": at})},
			{name: "reactivated with the new expiry verifies", method: "POST", path: verify(revokedExpired), wantStatus: 200, wantEvents: evKeyFirstUsed,
				wantJSON: keyWant(revokedExpired, map[string]any{"expiresAt": "2026-12-24T00:00:00.000Z", "updatedAt": at})},
			{name: "listed as active", method: "GET", path: "/api-keys?projectId=" + p.ID + "&name=revokedExpired", wantStatus: 200,
				wantJSON: "[" + keyWant(revokedExpired, map[string]any{"expiresAt": "2026-12-24T00:00:00.000Z", "updatedAt": at}) + "]"},
		})
	})
}

func TestAPIKeyRotate(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		tp := s.newProject("t", "test")
		k := s.createKey(p.ID, map[string]any{"name": "rot", "key": "custom-rotating-key", "customMetaData": map[string]any{"x": 1}, "customUserId": "u",
			"expiry": "2027-01-01", "rateLimitConfigs": map[string]any{"rateLimit": 3, "rateLimitTtl": 60}, "allowedDomains": []string{"example.com"}})
		tk := s.createKey(tp.ID, nil)
		s.Clock.Advance(time.Second)
		at := s.now()
		var rotated keywayAPIKey
		run(t, s, []scenario{
			{name: "rotate", method: "POST", path: "/api-keys/" + k.Key + "/rotate", wantStatus: 201, wantEvents: evKeyRotated,
				wantJSON: keyWant(k, map[string]any{"key": reLiveKey, "updatedAt": at}),
				check: func(t *testing.T, r *response) {
					r.decode(t, &rotated)
					rotated.raw = r.Body
				}},
		})
		run(t, s, []scenario{
			{name: "old string fails verification at once", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 404, wantEvents: noEvents, wantJSON: errInvalidKey},
			{name: "old string is not found", method: "GET", path: "/api-keys/" + k.Key, wantStatus: 404, wantJSON: errKeyNotFound},
			{name: "old string cannot be rotated again", method: "POST", path: "/api-keys/" + k.Key + "/rotate", wantStatus: 404, wantEvents: noEvents, wantJSON: errKeyNotFound},
			{name: "new string verifies with the same settings", method: "POST", path: "/api-keys/auth/" + rotated.Key, wantStatus: 200, wantEvents: evKeyFirstUsed, wantJSON: keyWant(rotated)},
			{name: "new string reads", method: "GET", path: "/api-keys/" + rotated.Key, wantStatus: 200, wantJSON: keyWant(rotated)},
			{name: "the list shows only the new string", method: "GET", path: "/api-keys?projectId=" + p.ID, wantStatus: 200, wantJSON: "[" + keyWant(rotated) + "]"},
			{name: "the old string is free for a new key", method: "POST", path: "/api-keys", body: map[string]any{"name": "reuse", "projectId": p.ID, "key": k.Key},
				wantStatus: 201, wantEvents: evKeyCreated, wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "reuse", "key": k.Key})},
			{name: "test project keys rotate to test_", method: "POST", path: "/api-keys/" + tk.Key + "/rotate", wantStatus: 201, wantEvents: evKeyRotated,
				wantJSON: keyWant(tk, map[string]any{"key": reTestKey, "updatedAt": at})},
			{name: "rotate unknown", method: "POST", path: "/api-keys/live_nope/rotate", wantStatus: 404, wantEvents: noEvents, wantJSON: errKeyNotFound},
			{name: "rotate ignores a body", method: "POST", path: "/api-keys/" + rotated.Key + "/rotate", body: map[string]any{"key": "ignored-key-1"}, wantStatus: 201, wantEvents: evKeyRotated,
				wantJSON: keyWant(rotated, map[string]any{"key": reLiveKey})},
		})
		if rotated.Key == k.Key || !strings.HasPrefix(rotated.Key, "live_") {
			t.Fatalf("rotated key %q", rotated.Key)
		}
	})
}
