package app_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
)

const (
	msgDomains = "allowedDomains must contain host names such as example.com or *.example.com, got %q"
	msgKey     = "key must be 8 to 256 characters of A-Z, a-z, 0-9, '-', '_', '.' or '~'"
	msgTTL     = "rateLimitConfigs.rateLimitTtl must be a whole number of seconds between 1 and 31622400"
	msgExpiry  = "expiry must be a valid ISO 8601 date string"
	msgText    = "%s must be valid UTF-8 text without NUL characters"
)

// TestAPIKeyCreateBadInput: every malformed create answers a clear 4xx
// (400 with the list of problems for validation), never 500, and creates
// nothing.
func TestAPIKeyCreateBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		pid := `"projectId":"` + p.ID + `"`
		// with builds a body from a raw JSON member list plus the project.
		with := func(members string) string { return "{" + pid + "," + members + "}" }
		bad := func(name string, body any, want ...string) scenario {
			return scenario{name: name, method: "POST", path: "/api-keys", body: body, wantStatus: 400, wantJSON: badRequest(want...)}
		}
		raw400 := func(name string, body any, want string) scenario {
			return scenario{name: name, method: "POST", path: "/api-keys", body: body, wantStatus: 400, wantJSON: want}
		}
		manyDomains := make([]string, 101)
		for i := range manyDomains {
			manyDomains[i] = fmt.Sprintf("d%d.example.com", i)
		}
		run(t, s, []scenario{
			// The body itself.
			raw400("malformed JSON", `{"name":"x",`+pid, errMalformed),
			raw400("truncated JSON", `{"name":`, errMalformed),
			raw400("single quotes", `{'name':'x'}`, errMalformed),
			raw400("trailing garbage", with(`"name":"x"`)+` garbage`, errMalformed),
			raw400("two objects", with(`"name":"x"`)+`{}`, errMalformed),
			raw400("array body", `[`+with(`"name":"x"`)+`]`, errBodyNotObject),
			raw400("string body", `"x"`, errBodyNotObject),
			raw400("number body", `42`, errBodyNotObject),
			raw400("boolean body", `true`, errBodyNotObject),
			bad("null body", `null`, "name should not be empty"),
			bad("empty body", nil, "name should not be empty"),
			bad("empty object", `{}`, "name should not be empty"),
			{name: "body over 1 MiB", method: "POST", path: "/api-keys", body: paddedBody(with(`"name":"x","customMetaData":{"pad":"`), `"}}`, 1<<20+1),
				wantStatus: 413, wantJSON: errTooLarge},
			// name.
			bad("name missing", with(`"key":"abcdefgh"`), "name should not be empty"),
			bad("name null", with(`"name":null`), "name should not be empty"),
			bad("name empty", with(`"name":""`), "name should not be empty"),
			bad("name whitespace", with(`"name":" \t\n\u00a0"`), "name should not be empty"),
			bad("name a number", with(`"name":5`), "name must be a string"),
			bad("name a boolean", with(`"name":false`), "name must be a string"),
			bad("name an array", with(`"name":["x"]`), "name must be a string"),
			bad("name an object", with(`"name":{"x":1}`), "name must be a string"),
			bad("name too long", map[string]any{"name": strings.Repeat("🔑", 256), "projectId": p.ID}, "name must be shorter than or equal to 255 characters"),
			bad("name with NUL", with(`"name":"a\u0000b"`), fmt.Sprintf(msgText, "name")),
			// projectId.
			bad("projectId a number", `{"name":"x","projectId":5}`, "projectId must be a string"),
			bad("projectId null", `{"name":"x","projectId":null}`, "projectId should not be empty"),
			bad("projectId with NUL", `{"name":"x","projectId":"a\u0000"}`, fmt.Sprintf(msgText, "projectId")),
			// key.
			bad("key too short", with(`"name":"x","key":"short"`), msgKey),
			bad("key with a space", with(`"name":"x","key":"has a space"`), msgKey),
			bad("key with a slash", with(`"name":"x","key":"has/slash/in"`), msgKey),
			bad("key with unicode", with(`"name":"x","key":"ключ-ключ-ключ"`), msgKey),
			bad("key too long", map[string]any{"name": "x", "projectId": p.ID, "key": strings.Repeat("k", 257)}, msgKey),
			bad("key a number", with(`"name":"x","key":12345678`), "key must be a string"),
			// customMetaData: any JSON object, nothing else.
			bad("customMetaData a string", with(`"name":"x","customMetaData":"x"`), "customMetaData must be an object"),
			bad("customMetaData an array", with(`"name":"x","customMetaData":[]`), "customMetaData must be an object"),
			bad("customMetaData an array of objects", with(`"name":"x","customMetaData":[{}]`), "customMetaData must be an object"),
			bad("customMetaData a number", with(`"name":"x","customMetaData":1`), "customMetaData must be an object"),
			bad("customMetaData a boolean", with(`"name":"x","customMetaData":true`), "customMetaData must be an object"),
			// customAccountId and customUserId.
			bad("customAccountId a number", with(`"name":"x","customAccountId":5`), "customAccountId must be a string"),
			bad("customUserId an object", with(`"name":"x","customUserId":{}`), "customUserId must be a string"),
			bad("customUserId too long", map[string]any{"name": "x", "projectId": p.ID, "customUserId": strings.Repeat("u", 256)},
				"customUserId must be shorter than or equal to 255 characters"),
			bad("customAccountId with NUL", with(`"name":"x","customAccountId":"\u0000"`), fmt.Sprintf(msgText, "customAccountId")),
			// rateLimitConfigs.
			bad("rateLimit a string", with(`"name":"x","rateLimitConfigs":{"rateLimit":"a","rateLimitTtl":60}`), "rateLimitConfigs.rateLimit must be an integer number"),
			bad("rateLimit a fraction", with(`"name":"x","rateLimitConfigs":{"rateLimit":1.5,"rateLimitTtl":60}`), "rateLimitConfigs.rateLimit must be an integer number"),
			bad("rateLimit huge", with(`"name":"x","rateLimitConfigs":{"rateLimit":1e40,"rateLimitTtl":60}`), "rateLimitConfigs.rateLimit must be an integer number"),
			bad("rateLimitTtl a string", with(`"name":"x","rateLimitConfigs":{"rateLimit":1,"rateLimitTtl":"60"}`), "rateLimitConfigs.rateLimitTtl must be an integer number"),
			bad("rateLimit zero", with(`"name":"x","rateLimitConfigs":{"rateLimit":0,"rateLimitTtl":60}`), "rateLimitConfigs.rateLimit must be a positive integer"),
			bad("rateLimit negative", with(`"name":"x","rateLimitConfigs":{"rateLimit":-1,"rateLimitTtl":60}`), "rateLimitConfigs.rateLimit must be a positive integer"),
			bad("rateLimitTtl missing", with(`"name":"x","rateLimitConfigs":{"rateLimit":10}`), msgTTL),
			bad("rateLimitTtl too long", with(`"name":"x","rateLimitConfigs":{"rateLimit":10,"rateLimitTtl":31622401}`), msgTTL),
			bad("rateLimitConfigs empty", with(`"name":"x","rateLimitConfigs":{}`), "rateLimitConfigs.rateLimit must be a positive integer", msgTTL),
			bad("rateLimitConfigs a string", with(`"name":"x","rateLimitConfigs":"x"`), "rateLimitConfigs must be an object"),
			bad("rateLimitConfigs an array", with(`"name":"x","rateLimitConfigs":[10,60]`), "rateLimitConfigs must be an object"),
			// allowedDomains.
			bad("allowedDomains a string", with(`"name":"x","allowedDomains":"x"`), "allowedDomains must be an array"),
			bad("allowedDomains an object", with(`"name":"x","allowedDomains":{}`), "allowedDomains must be an array"),
			bad("allowedDomains of numbers", with(`"name":"x","allowedDomains":[5]`), "allowedDomains must be a string"),
			bad("allowedDomains not a host", with(`"name":"x","allowedDomains":["not a host!"]`), fmt.Sprintf(msgDomains, "not a host!")),
			bad("allowedDomains a URL", with(`"name":"x","allowedDomains":["https://example.com"]`), fmt.Sprintf(msgDomains, "https://example.com")),
			bad("allowedDomains empty entry", with(`"name":"x","allowedDomains":[""]`), fmt.Sprintf(msgDomains, "")),
			bad("allowedDomains bare wildcard", with(`"name":"x","allowedDomains":["*."]`), fmt.Sprintf(msgDomains, "*.")),
			bad("allowedDomains inner wildcard", with(`"name":"x","allowedDomains":["a.*.example.com"]`), fmt.Sprintf(msgDomains, "a.*.example.com")),
			bad("allowedDomains every bad entry listed", with(`"name":"x","allowedDomains":["ok.example.com","bad host","-bad.example.com"]`),
				fmt.Sprintf(msgDomains, "bad host"), fmt.Sprintf(msgDomains, "-bad.example.com")),
			bad("allowedDomains more than 100", map[string]any{"name": "x", "projectId": p.ID, "allowedDomains": manyDomains}, "allowedDomains must contain no more than 100 elements"),
			// expiry.
			bad("expiry in words", with(`"name":"x","expiry":"yesterday"`), msgExpiry),
			bad("expiry empty", with(`"name":"x","expiry":""`), msgExpiry),
			bad("expiry impossible date", with(`"name":"x","expiry":"2026-13-45"`), msgExpiry),
			bad("expiry in another format", with(`"name":"x","expiry":"01/12/2026"`), msgExpiry),
			bad("expiry a number", with(`"name":"x","expiry":1764547200000`), msgExpiry),
			bad("expiry an object", with(`"name":"x","expiry":{}`), msgExpiry),
			// Several problems at once are all listed.
			bad("every problem listed", with(`"name":"","key":"bad key","customMetaData":[],"customUserId":"`+strings.Repeat("u", 256)+`","rateLimitConfigs":{"rateLimit":0,"rateLimitTtl":0},"allowedDomains":["bad host"]`),
				"name should not be empty", msgKey, "customMetaData must be an object", "customUserId must be shorter than or equal to 255 characters",
				"rateLimitConfigs.rateLimit must be a positive integer", msgTTL, fmt.Sprintf(msgDomains, "bad host")),
			// Nothing of the above was created.
			{name: "nothing was created", method: "GET", path: "/api-keys?projectId=" + p.ID, wantStatus: 200, wantJSON: `[]`},
			{name: "nothing was created, not even revoked", method: "GET", path: "/api-keys?isActive=false&projectId=" + p.ID, wantStatus: 200, wantJSON: `[]`},
			// The limits themselves are accepted.
			{name: "name of 255 characters", method: "POST", path: "/api-keys", body: map[string]any{"name": strings.Repeat("🔑", 255), "projectId": p.ID},
				wantStatus: 201, wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": strings.Repeat("🔑", 255)})},
			{name: "key of 8 characters", method: "POST", path: "/api-keys", body: map[string]any{"name": "x", "projectId": p.ID, "key": "12345678"},
				wantStatus: 201, wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "x", "key": "12345678"})},
			{name: "100 allowed domains", method: "POST", path: "/api-keys", body: map[string]any{"name": "x", "projectId": p.ID, "allowedDomains": manyDomains[:100]},
				wantStatus: 201, wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "x", "allowedDomains": manyDomains[:100]})},
			{name: "customMetaData with a NUL inside is still an object", method: "POST", path: "/api-keys", body: with(`"name":"x","customMetaData":{"a\u0000":"b\u0000"}`),
				wantStatus: 201, wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "x", "customMetaData": map[string]any{"a\x00": "b\x00"}})},
			{name: "a body of exactly 1 MiB", method: "POST", path: "/api-keys", body: paddedBody(with(`"name":"big","customMetaData":{"pad":"`), `"}}`, 1<<20),
				wantStatus: 201, check: func(t *testing.T, r *response) {
					var k map[string]any
					r.decode(t, &k)
					if k["name"] != "big" || len(k["customMetaData"].(map[string]any)["pad"].(string)) < 1<<20-200 {
						t.Fatalf("key %.200s", r.Body)
					}
				}},
		})
	})
}

// TestAPIKeyUpdateBadInput: a rejected PATCH changes nothing, not even the
// fields of the same body that were valid.
func TestAPIKeyUpdateBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, map[string]any{"name": "orig", "customMetaData": map[string]any{"a": 1}, "customUserId": "u",
			"expiry": "2027-01-01", "rateLimitConfigs": map[string]any{"rateLimit": 5, "rateLimitTtl": 10}, "allowedDomains": []string{"example.com"}})
		s.createKey(p.ID, map[string]any{"name": "other", "key": "other-key-1"})
		path := "/api-keys/" + k.Key
		orig := keyWant(k)
		bad := func(name string, body any, want ...string) scenario {
			return scenario{name: name, method: "PATCH", path: path, body: body, wantStatus: 400, wantJSON: badRequest(want...)}
		}
		same := func(name string) scenario { return unchanged(name+": unchanged", path, orig) }
		run(t, s, []scenario{
			bad("name empty with a valid field", `{"name":"","customUserId":"new"}`, "name should not be empty"), same("name empty"),
			bad("name null", `{"name":null,"customUserId":"new"}`, "name should not be empty"), same("name null"),
			bad("name blank", `{"name":"   "}`, "name should not be empty"), same("name blank"),
			bad("name a number", `{"name":5}`, "name must be a string"), same("name a number"),
			bad("bad domain with a valid name", `{"name":"new","allowedDomains":["not a host!"]}`, fmt.Sprintf(msgDomains, "not a host!")), same("bad domain"),
			bad("allowedDomains a string", `{"name":"new","allowedDomains":"x"}`, "allowedDomains must be an array"), same("allowedDomains a string"),
			bad("bad expiry with a valid name", `{"name":"new","expiry":"yesterday"}`, msgExpiry), same("bad expiry"),
			bad("bad rate limit with a valid name", `{"name":"new","rateLimitConfigs":{"rateLimit":"a"}}`, "rateLimitConfigs.rateLimit must be an integer number"), same("bad rate limit"),
			bad("zero rate limit", `{"rateLimitConfigs":{"rateLimit":0,"rateLimitTtl":10}}`, "rateLimitConfigs.rateLimit must be a positive integer"), same("zero rate limit"),
			bad("customMetaData a string", `{"name":"new","customMetaData":"x"}`, "customMetaData must be an object"), same("customMetaData a string"),
			bad("customMetaData an array", `{"customMetaData":[]}`, "customMetaData must be an object"), same("customMetaData an array"),
			bad("customUserId too long", map[string]any{"name": "new", "customUserId": strings.Repeat("u", 256)}, "customUserId must be shorter than or equal to 255 characters"),
			same("customUserId too long"),
			bad("key invalid", `{"name":"new","key":"bad"}`, msgKey), same("key invalid"),
			bad("key null", `{"name":"new","key":null}`, "key should not be empty"), same("key null"),
			{name: "key taken", method: "PATCH", path: path, body: `{"name":"new","key":"other-key-1"}`, wantStatus: 409, wantJSON: errKeyConflict}, same("key taken"),
			{name: "array body", method: "PATCH", path: path, body: `[{"name":"new"}]`, wantStatus: 400, wantJSON: errBodyNotObject}, same("array body"),
			{name: "string body", method: "PATCH", path: path, body: `"new"`, wantStatus: 400, wantJSON: errBodyNotObject}, same("string body"),
			{name: "malformed", method: "PATCH", path: path, body: `{"name":"new"`, wantStatus: 400, wantJSON: errMalformed}, same("malformed"),
			{name: "too large", method: "PATCH", path: path, body: paddedBody(`{"name":"new","customMetaData":{"pad":"`, `"}}`, 1<<20+1), wantStatus: 413, wantJSON: errTooLarge},
			same("too large"),
			{name: "still verifies as before", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 200, wantJSON: orig},
		})
	})
}

func TestAPIKeyReactivateBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, map[string]any{"expiry": "2027-01-01"})
		s.call("DELETE", "/api-keys/"+k.Key, nil).want(t, 200)
		revoked := "[" + keyWant(k, map[string]any{"isActive": false}) + "]"
		path := "/api-keys/" + k.Key + "/reactivate"
		stillRevoked := func(name string) scenario {
			return unchanged(name+": still revoked", "/api-keys?isActive=false&projectId="+p.ID, revoked)
		}
		run(t, s, []scenario{
			{name: "bad expiry", method: "PATCH", path: path, body: `{"expiry":"yesterday"}`, wantStatus: 400, wantJSON: badRequest(msgExpiry)}, stillRevoked("bad expiry"),
			{name: "expiry a number", method: "PATCH", path: path, body: `{"expiry":5}`, wantStatus: 400, wantJSON: badRequest(msgExpiry)}, stillRevoked("expiry a number"),
			{name: "array body", method: "PATCH", path: path, body: `[]`, wantStatus: 400, wantJSON: errBodyNotObject}, stillRevoked("array body"),
			{name: "malformed", method: "PATCH", path: path, body: `{`, wantStatus: 400, wantJSON: errMalformed}, stillRevoked("malformed"),
			{name: "too large", method: "PATCH", path: path, body: paddedBody(`{"pad":"`, `"}`, 1<<20+1), wantStatus: 413, wantJSON: errTooLarge}, stillRevoked("too large"),
			{name: "still fails verification", method: "POST", path: "/api-keys/auth/" + k.Key, wantStatus: 404, wantJSON: errInvalidKey},
			{name: "null expiry is no expiry change", method: "PATCH", path: path, body: `{"expiry":null,"other":1}`, wantStatus: 200, wantJSON: keyWant(k)},
		})
	})
}

func TestListBadQuery(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		base := "/api-keys?projectId=" + p.ID
		bad := func(name, path string, want ...string) scenario {
			return scenario{name: name, method: "GET", path: path, wantStatus: 400, wantJSON: badRequest(want...)}
		}
		const (
			boolMsg   = "isActive must be a boolean value"
			limitMsg  = "limit must be between 1 and 1000"
			intLimit  = "limit must be a non-negative integer"
			intOffset = "offset must be a non-negative integer"
		)
		run(t, s, []scenario{
			bad("isActive=maybe", base+"&isActive=maybe", boolMsg),
			bad("isActive=1", base+"&isActive=1", boolMsg),
			bad("isActive=TRUE", base+"&isActive=TRUE", boolMsg),
			bad("limit=-1", base+"&limit=-1", intLimit),
			bad("limit=abc", base+"&limit=abc", intLimit),
			bad("limit=1.5", base+"&limit=1.5", intLimit),
			bad("limit=0", base+"&limit=0", limitMsg),
			bad("limit=1001", base+"&limit=1001", limitMsg),
			bad("limit=100000", base+"&limit=100000", limitMsg),
			bad("limit too big for an int", base+"&limit=99999999999999999999999", intLimit),
			bad("offset=-1", base+"&offset=-1", intOffset),
			bad("offset=abc", base+"&offset=abc", intOffset),
			bad("all at once", base+"&isActive=maybe&limit=abc&offset=-1", boolMsg, intLimit, intOffset),
			bad("name with NUL", base+"&name=a%00b", fmt.Sprintf(msgText, "name")),
			bad("customUserId with invalid UTF-8", base+"&customUserId=%FF", fmt.Sprintf(msgText, "customUserId")),
			bad("projectId with NUL", "/api-keys?projectId=a%00b", fmt.Sprintf(msgText, "projectId")),
			bad("projects: limit=0", "/projects?accountId="+s.AccountID+"&limit=0", limitMsg),
			bad("projects: offset=x", "/projects?accountId="+s.AccountID+"&offset=x", intOffset),
			bad("access keys: isActive=maybe", "/access-keys?accountId="+s.AccountID+"&isActive=maybe", boolMsg),
			bad("access keys: limit=100000", "/access-keys?accountId="+s.AccountID+"&limit=100000", limitMsg),
			bad("access keys: bad cursor", "/access-keys?accountId="+s.AccountID+"&cursor=%21", "cursor is not valid"),
			bad("projects: bad cursor", "/projects?accountId="+s.AccountID+"&cursor=bm9wZQ", "cursor is not valid"),
			// Empty values count as absent.
			{name: "empty values", method: "GET", path: base + "&isActive=&limit=&offset=&name=", wantStatus: 200, wantJSON: `[]`},
		})
	})
}

// TestPathBadInput: ids and keys in paths that no store can hold answer
// 400, never 500.
func TestPathBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		run(t, s, []scenario{
			{name: "project id with NUL", method: "GET", path: "/projects/a%00b", wantStatus: 400, wantJSON: badRequest(fmt.Sprintf(msgText, "id"))},
			{name: "project id with invalid UTF-8", method: "DELETE", path: "/projects/%FF", wantStatus: 400, wantJSON: badRequest(fmt.Sprintf(msgText, "id"))},
			{name: "account id with NUL", method: "PATCH", path: "/accounts/a%00b", body: map[string]any{"name": "x"}, wantStatus: 400, wantJSON: badRequest(fmt.Sprintf(msgText, "id"))},
			{name: "api key with NUL", method: "GET", path: "/api-keys/a%00b", wantStatus: 400, wantJSON: badRequest(fmt.Sprintf(msgText, "key"))},
			{name: "access key with invalid UTF-8", method: "DELETE", path: "/access-keys/%FF", wantStatus: 400, wantJSON: badRequest(fmt.Sprintf(msgText, "key"))},
			// Verification answers a malformed key like any invalid one.
			{name: "verify a key with NUL", method: "POST", path: "/api-keys/auth/a%00b", wantStatus: 404, wantJSON: errInvalidKey},
			{name: "verify a key with invalid UTF-8", method: "GET", path: "/api-keys/auth/%FF", wantStatus: 404, wantJSON: errInvalidKey},
			{name: "legacy authenticate a key with NUL", method: "POST", path: "/auth/authenticate", body: `{"credentials":{"api_key":"a\u0000"}}`, wantStatus: 404, wantJSON: errInvalidKey},
			{name: "project body with NUL", method: "POST", path: "/projects", body: `{"name":"a\u0000","accountId":"` + s.AccountID + `","env":"live"}`,
				wantStatus: 400, wantJSON: badRequest(fmt.Sprintf(msgText, "name"))},
			{name: "access key body with NUL", method: "POST", path: "/access-keys", body: `{"name":"x","projectId":"\u0000"}`,
				wantStatus: 400, wantJSON: badRequest(fmt.Sprintf(msgText, "projectId"))},
		})
	})
}

const msgUTF8 = "body must be valid UTF-8"

// TestBodyInvalidUTF8: a body with invalid UTF-8 anywhere (a name, a key
// or value nested in customMetaData, a field nobody reads) is 400 for
// every operation, before anything is stored; encoding/json alone would
// have stored U+FFFD in its place. Valid UTF-8 of any length passes.
func TestBodyInvalidUTF8(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv := newReceiver(t)
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, map[string]any{"name": "orig"})
		pid := `"projectId":"` + p.ID + `"`
		bad := func(name, as, method, path, body string) scenario {
			return scenario{name: name, as: as, method: method, path: path, body: body, wantStatus: 400, wantJSON: badRequest(msgUTF8)}
		}
		const email = "utf8@example.com"
		run(t, s, []scenario{
			bad("a byte that starts nothing", "", "POST", "/api-keys", `{"name":"a`+"\xff"+`b",`+pid+`}`),
			bad("a lone continuation byte", "", "POST", "/api-keys", `{"name":"`+"\x80"+`",`+pid+`}`),
			bad("an overlong slash", "", "POST", "/api-keys", `{"name":"`+"\xc0\xaf"+`",`+pid+`}`),
			bad("a surrogate encoded", "", "POST", "/api-keys", `{"name":"`+"\xed\xa0\x80"+`",`+pid+`}`),
			bad("beyond U+10FFFF", "", "POST", "/api-keys", `{"name":"`+"\xf4\x90\x80\x80"+`",`+pid+`}`),
			bad("a sequence cut short", "", "POST", "/api-keys", `{"name":"ключ`+"\xd0"+`",`+pid+`}`),
			bad("a key of customMetaData", "", "POST", "/api-keys", `{"name":"x",`+pid+`,"customMetaData":{"`+"\xfe"+`":"v"}}`),
			bad("a value nested deep", "", "POST", "/api-keys", `{"name":"x",`+pid+`,"customMetaData":{"a":[{"b":{"c":["ok","`+"\xff"+`"]}}]}}`),
			bad("a field nobody reads", "", "POST", "/api-keys", `{"name":"x",`+pid+`,"ignored":"`+"\xff"+`"}`),
			bad("between the members", "", "POST", "/api-keys", `{"name":"x",`+"\xff"+pid+`}`),
			bad("a rename of a key", "", "PATCH", "/api-keys/"+k.Key, `{"name":"`+"\xff"+`"}`),
			bad("a project", "", "POST", "/projects", `{"name":"`+"\xff"+`","accountId":"`+s.AccountID+`","env":"live"}`),
			bad("a project's env", "", "POST", "/projects", `{"name":"x","accountId":"`+s.AccountID+`","env":"live`+"\xff"+`"}`),
			bad("a rename of a project", "", "PATCH", "/projects/"+p.ID, `{"name":"`+"\xff"+`"}`),
			bad("an access key", "", "POST", "/access-keys", `{"name":"`+"\xff"+`",`+pid+`}`),
			bad("a webhook's header", "", "POST", "/webhooks", whRaw(rcv.URL, `,"customHeaders":{"X-A":"`+"\xff"+`"}`)),
			bad("a ping's body", "", "POST", "/webhooks/ping", `{"url":"`+rcv.URL+`","httpMethod":"POST","body":{"a":"`+"\xff"+`"}}`),
			bad("a sign-up", anonymous, "POST", "/auth/signup", `{"email":"`+email+`","password":"long enough pw","name":"`+"\xff"+`"}`),
			// Nothing of it was stored.
			unchanged("the key", "/api-keys/"+k.Key, keyWant(k)),
			{name: "no key was made", method: "GET", path: "/api-keys?projectId=" + p.ID, wantStatus: 200, wantJSON: "[" + keyWant(k) + "]"},
			{name: "no project was made or renamed", method: "GET", path: "/projects?accountId=" + s.AccountID, wantStatus: 200,
				check: func(t *testing.T, r *response) {
					var ps []keyway.Project
					r.decode(t, &ps)
					if len(ps) != 1 || ps[0].ID != p.ID || ps[0].Name != "p" {
						t.Fatalf("projects %+v", ps)
					}
				}},
			{name: "no access key was made", method: "GET", path: "/access-keys?accountId=" + s.AccountID, wantStatus: 200,
				check: func(t *testing.T, r *response) {
					if strings.Contains(string(r.Body), "\ufffd") || strings.Contains(string(r.Body), p.ID) {
						t.Fatalf("access keys %s", r.Body)
					}
				}},
			{name: "no webhook was made", method: "GET", path: "/webhooks", wantStatus: 200, wantJSON: `[]`},
			// The address is still free, so no user was stored.
			{name: "the sign-up stored no one", as: anonymous, method: "POST", path: "/auth/signup",
				body: map[string]any{"email": email, "password": "long enough pw", "name": "Ютф 🔑"}, wantStatus: 201, wantEmpty: true},
			// Valid UTF-8, raw or escaped, is kept as sent.
			{name: "raw multi-byte text", method: "POST", path: "/api-keys", body: `{"name":"ключ 🔑 é",` + pid + `,"customMetaData":{"ключ":["🔑"]}}`,
				wantStatus: 201, wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "ключ 🔑 é", "customMetaData": map[string]any{"ключ": []string{"🔑"}}})},
			{name: "escaped multi-byte text", method: "POST", path: "/api-keys", body: `{"name":"\u043a\ud83d\udd11",` + pid + `}`,
				wantStatus: 201, wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "к🔑"})},
		})
		if n := len(rcv.deliveries()); n != 0 {
			t.Fatalf("a refused ping sent %d requests", n)
		}
	})
}

// TestRefreshBadInput: POST /auth/refresh-access-token needs both tokens
// (UserAccessTokenDto); a refused call spends nothing, so the refresh
// token works afterwards.
func TestRefreshBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p, _ := s.founder(t, "refresh@example.com")
		rt := p.Tokens.RefreshToken
		bad := func(name string, body any, want ...string) scenario {
			return scenario{name: name, as: anonymous, method: "POST", path: "/auth/refresh-access-token", body: body, wantStatus: 400, wantJSON: badRequest(want...)}
		}
		run(t, s, []scenario{
			bad("access_token missing", map[string]any{"refresh_token": rt.Reveal()}, "access_token should not be empty"),
			bad("access_token empty", map[string]any{"access_token": "", "refresh_token": rt.Reveal()}, "access_token should not be empty"),
			bad("access_token null", `{"access_token":null,"refresh_token":"`+rt.Reveal()+`"}`, "access_token should not be empty"),
			bad("access_token a number", `{"access_token":5,"refresh_token":"`+rt.Reveal()+`"}`, "access_token must be a string"),
			bad("both missing", `{}`, "access_token should not be empty", "refresh_token should not be empty"),
			bad("no body", nil, "access_token should not be empty", "refresh_token should not be empty"),
			bad("refresh_token missing", map[string]any{"access_token": p.Tokens.AccessToken.Reveal()}, "refresh_token should not be empty"),
		})
		var tok keyway.Tokens
		s.callAs("", "POST", "/auth/refresh-access-token", map[string]any{"access_token": p.Tokens.AccessToken.Reveal(), "refresh_token": rt.Reveal()}).want(t, 201).decode(t, &tok)
		if tok.RefreshToken == "" || tok.RefreshToken == rt {
			t.Fatalf("refresh gave %+v", tok)
		}
	})
}

// TestEmptyReferencesRefused: where leaving projectId out means the whole
// account (an access key, a webhook, an MCP server, a role, removing a
// role), a blank projectId is 400, not the account: a blank variable on
// the caller's side must not widen what it makes or takes away. A blank
// custom key is no key to generate from either. Null stays "absent", and
// nothing refused is stored or changed.
func TestEmptyReferencesRefused(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv := newReceiver(t)
		p := s.newProject("p", "live")
		admin, acct := s.founder(t, "blank-admin@example.com")
		var q keyway.Project
		admin.as(s, t, "POST", "/projects", map[string]any{"name": "q", "accountId": acct, "env": "live"}).want(t, 201).decode(t, &q)
		member := s.member(t, admin, acct, "blank-member@example.com", keyway.RoleViewer)
		admin.as(s, t, "PATCH", "/users/"+member.ID+"/roles", map[string]any{"accountId": acct, "projectId": q.ID, "role": "user"}).want(t, 200)
		roles := "/users/" + member.ID + "/roles"
		before := string(admin.as(s, t, "GET", "/teammates?accountId="+acct, nil).want(t, 200).Body)
		teamSame := func(t *testing.T) {
			t.Helper()
			if after := string(admin.as(s, t, "GET", "/teammates?accountId="+acct, nil).want(t, 200).Body); after != before {
				t.Fatalf("a refused request changed the team: %s, was %s", after, before)
			}
		}
		empty := badRequest("projectId should not be empty")
		run(t, s, []scenario{
			{name: "an access key", method: "POST", path: "/access-keys", body: `{"name":"x","projectId":""}`, wantStatus: 400, wantJSON: empty},
			{name: "a webhook", method: "POST", path: "/webhooks", body: whRaw(rcv.URL, `,"projectId":""`), wantStatus: 400, wantJSON: empty},
			{name: "an MCP server", method: "POST", path: "/mcp-servers", body: `{"name":"x","projectId":"","config":{"methods":["read"]}}`, wantStatus: 400, wantJSON: empty},
			{name: "an API key of a blank key", method: "POST", path: "/api-keys", body: `{"name":"x","projectId":"` + p.ID + `","key":""}`, wantStatus: 400, wantJSON: badRequest(msgKey)},
			{name: "no access key was made", method: "GET", path: "/access-keys?accountId=" + s.AccountID, wantStatus: 200,
				check: func(t *testing.T, r *response) {
					var ks []keyway.AccessKey
					r.decode(t, &ks)
					if len(ks) != 1 || ks[0].Key.Reveal() != s.AccessKey {
						t.Fatalf("access keys %s, want only the bootstrap one", r.Body)
					}
				}},
			{name: "no webhook was made", method: "GET", path: "/webhooks", wantStatus: 200, wantJSON: `[]`},
			{name: "no MCP server was made", method: "GET", path: "/mcp-servers", wantStatus: 200, wantJSON: `[]`},
			{name: "no API key was made", method: "GET", path: "/api-keys?projectId=" + p.ID, wantStatus: 200, wantJSON: `[]`},
			// Null is absent: the account's, and a generated key.
			{name: "an access key of null project", method: "POST", path: "/access-keys", body: `{"name":"x","projectId":null}`, wantStatus: 201,
				check: func(t *testing.T, r *response) {
					var k keyway.AccessKey
					r.decode(t, &k)
					if k.ProjectID != nil || k.AccountID != s.AccountID {
						t.Fatalf("access key %+v", k)
					}
				}},
			{name: "an API key of null key", method: "POST", path: "/api-keys", body: `{"name":"x","projectId":"` + p.ID + `","key":null}`, wantStatus: 201,
				wantJSON: s.apiKeyWant(p.ID, map[string]any{"name": "x"})},
		})
		// Roles, as the admin of the second account.
		for _, rq := range []struct {
			name, method, path string
			body               any
		}{
			{"a role", "PATCH", roles, map[string]any{"accountId": acct, "projectId": "", "role": "admin"}},
			{"removing a role", "DELETE", roles + "?accountId=" + acct + "&projectId=", nil},
		} {
			r := admin.as(s, t, rq.method, rq.path, rq.body).want(t, 400)
			matchJSON(t, r.Body, empty)
			teamSame(t)
		}
		// Without the blank, each does what it says.
		admin.as(s, t, "DELETE", roles+"?accountId="+acct+"&projectId="+q.ID, nil).want(t, 200)
		admin.as(s, t, "DELETE", roles+"?accountId="+acct, nil).want(t, 200)
		var after []keyway.Teammate
		admin.as(s, t, "GET", "/teammates?accountId="+acct, nil).want(t, 200).decode(t, &after)
		for _, m := range after {
			if m.UserID == member.ID {
				t.Fatalf("the member is still in the account: %+v", after)
			}
		}
	})
}
