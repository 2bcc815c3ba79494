package app_test

import (
	"testing"
	"time"
)

func TestAccessKeys(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		tp := s.newProject("t", "test")
		bootstrap := s.bootstrapAccessKeyWant()
		var akAccount, akTest, akLimited map[string]any
		decodeInto := func(m *map[string]any) func(t *testing.T, r *response) {
			return func(t *testing.T, r *response) { r.decode(t, m) }
		}
		s.Clock.Advance(time.Second)
		t1 := s.now()
		run(t, s, []scenario{
			{name: "create account-level", method: "POST", path: "/access-keys", body: map[string]any{"name": "ak"}, wantStatus: 201, wantEvents: evAccessKeyCreated,
				wantJSON: s.accessKeyWant(), check: decodeInto(&akAccount)},
		})
		s.Clock.Advance(time.Second)
		t2 := s.now()
		run(t, s, []scenario{
			{name: "create project-level in a test project", method: "POST", path: "/access-keys", body: map[string]any{"name": "ключ 🔑", "accountId": s.AccountID, "projectId": tp.ID},
				wantStatus: 201, wantEvents: evAccessKeyCreated, wantJSON: s.accessKeyWant(map[string]any{"key": reTestAccessKey, "name": "ключ 🔑", "projectId": tp.ID}), check: decodeInto(&akTest)},
		})
		s.Clock.Advance(time.Second)
		t3 := s.now()
		run(t, s, []scenario{
			{name: "create project-level with a rate limit", method: "POST", path: "/access-keys", body: map[string]any{"name": "ak", "projectId": p.ID, "rateLimit": 5, "rateLimitTtl": 60},
				wantStatus: 201, wantEvents: evAccessKeyCreated, wantJSON: s.accessKeyWant(map[string]any{"projectId": p.ID, "rateLimit": 5, "rateLimitTtl": 60}), check: decodeInto(&akLimited)},
		})
		a1, a2, a3 := akAccount["key"].(string), akTest["key"].(string), akLimited["key"].(string)
		w1 := s.accessKeyWant(map[string]any{"key": a1, "createdAt": t1, "updatedAt": t1})
		w2 := s.accessKeyWant(map[string]any{"key": a2, "name": "ключ 🔑", "projectId": tp.ID, "createdAt": t2, "updatedAt": t2})
		w3 := s.accessKeyWant(map[string]any{"key": a3, "projectId": p.ID, "rateLimit": 5, "rateLimitTtl": 60, "createdAt": t3, "updatedAt": t3})
		s.Clock.Advance(time.Second)
		t4 := s.now()
		w1renamed := s.accessKeyWant(map[string]any{"key": a1, "name": "renamed", "createdAt": t1, "updatedAt": t4})
		w1off := s.accessKeyWant(map[string]any{"key": a1, "name": "renamed", "createdAt": t1, "updatedAt": t4, "isActive": false})
		list := "/access-keys?accountId=" + s.AccountID
		run(t, s, []scenario{
			{name: "list, newest first", method: "GET", path: list, wantStatus: 200, wantJSON: "[" + w3 + "," + w2 + "," + w1 + "," + bootstrap + "]"},
			{name: "list one project", method: "GET", path: list + "&projectId=" + tp.ID, wantStatus: 200, wantJSON: "[" + w2 + "]"},
			{name: "list with limit and offset", method: "GET", path: list + "&limit=2&offset=1", wantStatus: 200, wantJSON: "[" + w2 + "," + w1 + "]"},
			{name: "list active", method: "GET", path: list + "&isActive=true&limit=1", wantStatus: 200, wantJSON: "[" + w3 + "]"},
			{name: "list inactive: none yet", method: "GET", path: list + "&isActive=false", wantStatus: 200, wantJSON: `[]`},
			{name: "list needs accountId", method: "GET", path: "/access-keys", wantStatus: 400, wantJSON: badRequest("accountId should not be empty")},
			{name: "list another account", method: "GET", path: "/access-keys?accountId=other", wantStatus: 403, wantJSON: errForbidden},
			{name: "list an unknown project", method: "GET", path: list + "&projectId=nope", wantStatus: 403, wantJSON: errForbidden},
			{name: "list with a bad isActive", method: "GET", path: list + "&isActive=yes", wantStatus: 400, wantJSON: badRequest("isActive must be a boolean value")},
			{name: "the new key works", as: a1, method: "GET", path: "/access-keys?accountId=" + s.AccountID + "&limit=1", wantStatus: 200, wantJSON: "[" + w3 + "]"},
			{name: "rename", method: "PATCH", path: "/access-keys/" + a1, body: map[string]any{"name": "renamed", "projectId": p.ID, "rateLimit": 1},
				wantStatus: 200, wantEvents: evAccessKeyUpdated, wantJSON: w1renamed},
			{name: "rename unknown", method: "PATCH", path: "/access-keys/live_access_nope", body: map[string]any{"name": "x"}, wantStatus: 404, wantEvents: noEvents, wantJSON: errAKNotFound},
			{name: "rename with an empty name", method: "PATCH", path: "/access-keys/" + a1, body: map[string]any{"name": ""}, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("name should not be empty")},
			{name: "rename without a body", method: "PATCH", path: "/access-keys/" + a1, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("name should not be empty")},
			{name: "rename with a number", method: "PATCH", path: "/access-keys/" + a1, body: `{"name":7}`, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("name must be a string")},
			{name: "rename with an array body", method: "PATCH", path: "/access-keys/" + a1, body: `[{"name":"x"}]`, wantStatus: 400, wantEvents: noEvents, wantJSON: errBodyNotObject},
			{name: "rename with malformed JSON", method: "PATCH", path: "/access-keys/" + a1, body: `{"name":"x"`, wantStatus: 400, wantEvents: noEvents, wantJSON: errMalformed},
			{name: "rename with a null name", method: "PATCH", path: "/access-keys/" + a1, body: `{"name":null}`, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("name should not be empty")},
			{name: "rename with a body over 1 MiB", method: "PATCH", path: "/access-keys/" + a1, body: paddedBody(`{"name":"`, `"}`, 1<<20+1), wantStatus: 413, wantEvents: noEvents, wantJSON: errTooLarge},
			{name: "list shows the rename", method: "GET", path: list + "&limit=1&offset=2", wantStatus: 200, wantJSON: "[" + w1renamed + "]"},
			{name: "reactivate an active key", method: "PATCH", path: "/access-keys/" + a1 + "/reactivate", wantStatus: 409, wantEvents: noEvents, wantJSON: errAKActive},
			{name: "deactivate: empty 200", method: "DELETE", path: "/access-keys/" + a1, wantStatus: 200, wantEvents: evAccessKeyDeleted, wantEmpty: true,
				wantHeaders: map[string]string{"content-length": "0"}},
			{name: "the deactivated key is refused", as: a1, method: "GET", path: "/accounts", wantStatus: 401, wantJSON: errUnauthorized},
			{name: "listed as inactive", method: "GET", path: list + "&isActive=false", wantStatus: 200, wantJSON: "[" + w1off + "]"},
			{name: "deactivate again", method: "DELETE", path: "/access-keys/" + a1, wantStatus: 404, wantEvents: noEvents, wantJSON: errAKNotFound},
			{name: "deactivate unknown", method: "DELETE", path: "/access-keys/live_access_nope", wantStatus: 404, wantEvents: noEvents, wantJSON: errAKNotFound},
			{name: "reactivate unknown", method: "PATCH", path: "/access-keys/live_access_nope/reactivate", wantStatus: 404, wantEvents: noEvents, wantJSON: errAKNotFound},
			{name: "reactivate", method: "PATCH", path: "/access-keys/" + a1 + "/reactivate", wantStatus: 200, wantEvents: evAccessKeyUpdated, wantJSON: w1renamed},
			{name: "the reactivated key works", as: a1, method: "GET", path: list + "&isActive=false", wantStatus: 200, wantJSON: `[]`},
			{name: "an API key is not an access key", method: "DELETE", path: "/access-keys/" + s.createKey(p.ID, nil).Key, wantStatus: 404, wantEvents: noEvents, wantJSON: errAKNotFound},
			{name: "a key may deactivate itself", as: a1, method: "DELETE", path: "/access-keys/" + a1, wantStatus: 200, wantEvents: evAccessKeyDeleted, wantEmpty: true},
			{name: "and is refused right after", as: a1, method: "GET", path: "/accounts", wantStatus: 401, wantJSON: errUnauthorized},
		})
	})
}

func TestAccessKeyCreateBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		bad := func(name string, body any, want string) scenario {
			return scenario{name: name, method: "POST", path: "/access-keys", body: body, wantStatus: 400, wantEvents: noEvents, wantJSON: want}
		}
		both := "rateLimit and rateLimitTtl must be given together"
		ttl := "rateLimitTtl must be a whole number of seconds between 1 and 31622400"
		run(t, s, []scenario{
			bad("no body", nil, badRequest("name should not be empty")),
			bad("null name", `{"name":null}`, badRequest("name should not be empty")),
			bad("blank name", map[string]any{"name": "\t "}, badRequest("name should not be empty")),
			bad("name a number", `{"name":5}`, badRequest("name must be a string")),
			bad("rateLimit without ttl", map[string]any{"name": "x", "rateLimit": 5}, badRequest(both)),
			bad("ttl without rateLimit", map[string]any{"name": "x", "rateLimitTtl": 5}, badRequest(both)),
			bad("rateLimit zero", map[string]any{"name": "x", "rateLimit": 0, "rateLimitTtl": 5}, badRequest("rateLimit must be a positive integer")),
			bad("ttl negative", map[string]any{"name": "x", "rateLimit": 1, "rateLimitTtl": -1}, badRequest(ttl)),
			bad("ttl too long", map[string]any{"name": "x", "rateLimit": 1, "rateLimitTtl": 31622401}, badRequest(ttl)),
			bad("rateLimit a string", `{"name":"x","rateLimit":"5","rateLimitTtl":5}`, badRequest("rateLimit must be an integer number")),
			bad("rateLimit a fraction", `{"name":"x","rateLimit":1.5,"rateLimitTtl":5}`, badRequest("rateLimit must be an integer number")),
			bad("projectId a number", `{"name":"x","projectId":5}`, badRequest("projectId must be a string")),
			bad("array body", `[]`, errBodyNotObject),
			bad("string body", `"name"`, errBodyNotObject),
			bad("malformed", `{"name":"x"`, errMalformed),
			{name: "too large", method: "POST", path: "/access-keys", body: paddedBody(`{"name":"`, `"}`, 1<<20+1), wantStatus: 413, wantEvents: noEvents, wantJSON: errTooLarge},
			{name: "another account", method: "POST", path: "/access-keys", body: map[string]any{"name": "x", "accountId": "other"}, wantStatus: 403, wantEvents: noEvents, wantJSON: errForbidden},
			{name: "unknown project", method: "POST", path: "/access-keys", body: map[string]any{"name": "x", "projectId": "nope"}, wantStatus: 403, wantEvents: noEvents, wantJSON: errForbidden},
			{name: "nothing was created", method: "GET", path: "/access-keys?accountId=" + s.AccountID + "&projectId=" + p.ID + "&isActive=false", wantStatus: 200, wantJSON: `[]`},
			{name: "still only the bootstrap key", method: "GET", path: "/access-keys?accountId=" + s.AccountID, wantStatus: 200, wantJSON: "[" + s.bootstrapAccessKeyWant() + "]"},
			{name: "the longest window is fine", method: "POST", path: "/access-keys", body: map[string]any{"name": "x", "rateLimit": 1, "rateLimitTtl": 31622400},
				wantStatus: 201, wantEvents: evAccessKeyCreated, wantJSON: s.accessKeyWant(map[string]any{"name": "x", "rateLimit": 1, "rateLimitTtl": 31622400})},
		})
	})
}

// TestAccessKeyRateLimit: an access key's own rateLimit/rateLimitTtl limit
// the management calls made with it, not the verifications.
func TestAccessKeyRateLimit(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, nil)
		ak := s.accessKey(map[string]any{"name": "limited", "rateLimit": 2, "rateLimitTtl": 60})
		me := "[" + s.accountWant() + "]"
		s.Clock.Advance(5 * time.Second)
		reset := s.Clock.Now().Add(60 * time.Second)
		var sc []scenario
		// Verifications first: none of them consumes the management window.
		for i := range 3 {
			sc = append(sc,
				scenario{name: "verify " + string(rune('1'+i)), as: ak, method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: noRate},
				scenario{name: "legacy verify " + string(rune('1'+i)), as: ak, method: "GET", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: noRate},
				scenario{name: "legacy authenticate " + string(rune('1'+i)), as: ak, method: "POST", path: "/auth/authenticate", body: legacyBody(k.Key), wantStatus: 201,
					wantJSON: `{"authenticated":true,"customMetaData":{},"customAccountId":null,"customUserId":null}`, wantHeaders: noRate},
			)
		}
		sc = append(sc,
			scenario{name: "first management call", as: ak, method: "GET", path: "/accounts", wantStatus: 200, wantJSON: me, wantHeaders: rate(2, 1, 1, reset, "")},
			scenario{name: "a failing call consumes too", as: ak, method: "GET", path: "/projects/nope", wantStatus: 404, wantJSON: errProjNotFound, wantHeaders: rate(2, 0, 2, reset, "")},
			scenario{name: "over the limit", as: ak, method: "GET", path: "/accounts", wantStatus: 429, wantJSON: errTooMany, wantHeaders: rate(2, 0, 2, reset, "60")},
			scenario{name: "over the limit for writes too", as: ak, method: "POST", path: "/api-keys", body: map[string]any{"name": "x", "projectId": p.ID},
				wantStatus: 429, wantJSON: errTooMany, wantHeaders: rate(2, 0, 2, reset, "60")},
			scenario{name: "the limit comes before validation", as: ak, method: "POST", path: "/api-keys", body: `[]`,
				wantStatus: 429, wantJSON: errTooMany, wantHeaders: rate(2, 0, 2, reset, "60")},
			scenario{name: "verification still works", as: ak, method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantJSON: keyWant(k), wantHeaders: noRate},
			scenario{name: "legacy authenticate still works", as: ak, method: "POST", path: "/auth/authenticate", body: legacyBody(k.Key), wantStatus: 201,
				wantJSON: `{"authenticated":true,"customMetaData":{},"customAccountId":null,"customUserId":null}`, wantHeaders: noRate},
			scenario{name: "public routes are not limited", as: ak, method: "GET", path: "/", wantStatus: 200,
				wantJSON: `{"message":"Hello World!","name":"keyway","version":"~any"}`, wantHeaders: noRate},
			scenario{name: "other access keys are not limited", method: "GET", path: "/accounts", wantStatus: 200, wantJSON: me, wantHeaders: noRate},
		)
		run(t, s, sc)
		// No key was created by the refused POST.
		s.call("GET", "/api-keys?projectId="+p.ID, nil).want(t, 200).wantJSON(t, "["+keyWant(k)+"]")
		s.Clock.Advance(60 * time.Second)
		next := s.Clock.Now().Add(60 * time.Second)
		run(t, s, []scenario{
			{name: "a new window after the reset", as: ak, method: "GET", path: "/accounts", wantStatus: 200, wantJSON: me, wantHeaders: rate(2, 1, 1, next, "")},
		})
	})
}
