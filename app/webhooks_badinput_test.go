package app_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// The validation messages of webhooks.go.
const (
	whMsgName      = "name should not be empty"
	whMsgURL       = "url should not be empty"
	whMsgScheme    = "url must be an http or https URL"
	whMsgCreds     = "url must not contain credentials"
	whMsgURLLong   = "url must be shorter than or equal to 2048 characters"
	whMsgTopics    = "topics should not be empty"
	whMsgTopic     = "topics must contain only known topics (GET /webhooks/topics), got %q"
	whMsgMethod    = "httpMethod must be one of the following values: POST, PUT, PATCH"
	whMsgHeader    = "%s must contain valid HTTP header names and values, got %q"
	whMsgHeaderN   = "%s must contain no more than 20 headers"
	whMsgHeaderLen = "%s must be smaller than 4096 bytes"
	whMsgStatus    = "status must be one of the following values: live, paused"
	whMsgPingBody  = "body must be an object"
)

// whManyHeaders is n distinct valid headers.
func whManyHeaders(n int) map[string]string {
	h := map[string]string{}
	for i := range n {
		h[fmt.Sprintf("X-H%d", i)] = "v"
	}
	return h
}

// whBody is a valid create body for url with fields replaced; a nil value
// removes the field.
func whBody(url string, fields map[string]any) map[string]any {
	m := map[string]any{"name": "hook", "url": url, "topics": []string{keyway.TopicAPIKeyCreated}, "httpMethod": "POST"}
	for k, v := range fields {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

// whRaw is a valid create body as raw JSON, with extra raw members.
func whRaw(url, members string) string {
	return `{"name":"hook","url":"` + url + `","topics":["api-key.created"],"httpMethod":"POST"` + members + `}`
}

// whWant is the expected webhook for one as returned earlier (raw JSON),
// with overrides.
func whWant(t *testing.T, raw string, overrides ...map[string]any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	return obj(m, overrides...)
}

// whFreshWant is the webhook a POST creates now with the bootstrap key.
func (s *server) whFreshWant(overrides ...map[string]any) string {
	now := s.now()
	return obj(map[string]any{
		"id": reUUID, "name": "hook", "url": "~any", "httpMethod": "POST", "topics": []string{keyway.TopicAPIKeyCreated},
		"accountId": s.AccountID, "projectId": nil, "customHeaders": map[string]any{}, "status": "live", "isActive": true,
		"secret": "~re:^whsec_[A-Za-z0-9+/]{43}=$", "createdBy": actor(s.AccessKey), "createdByType": "ACCESS_KEY",
		"failingSince": nil, "failingAt": nil, "createdAt": now, "updatedAt": now,
	}, overrides...)
}

// badCreateCases are the create bodies refused with a 400, for POST
// /webhooks; url is a valid target.
func whBadCreateCases(url string) []struct {
	name string
	body any
	want string
} {
	bad := func(messages ...string) string { return badRequest(messages...) }
	long := "http://127.0.0.1/" + strings.Repeat("x", 2048-len("http://127.0.0.1/")+1)
	return []struct {
		name string
		body any
		want string
	}{
		// The body itself.
		{"malformed JSON", `{"name":"hook",`, errMalformed},
		{"truncated JSON", `{"name":`, errMalformed},
		{"trailing garbage", whRaw(url, "") + " x", errMalformed},
		{"array body", `[` + whRaw(url, "") + `]`, errBodyNotObject},
		{"string body", `"hook"`, errBodyNotObject},
		{"number body", `1`, errBodyNotObject},
		{"null body", `null`, bad(whMsgName, whMsgURL, whMsgTopics, whMsgMethod)},
		{"empty body", nil, bad(whMsgName, whMsgURL, whMsgTopics, whMsgMethod)},
		{"empty object", `{}`, bad(whMsgName, whMsgURL, whMsgTopics, whMsgMethod)},
		// name.
		{"name missing", whBody(url, map[string]any{"name": nil}), bad(whMsgName)},
		{"name empty", whBody(url, map[string]any{"name": ""}), bad(whMsgName)},
		{"name blank", whBody(url, map[string]any{"name": " \t "}), bad(whMsgName)},
		{"name null", whBody(url, map[string]any{"name": raw(`null`)}), bad(whMsgName)},
		{"name a number", whBody(url, map[string]any{"name": raw(`5`)}), bad("name must be a string")},
		{"name too long", whBody(url, map[string]any{"name": strings.Repeat("n", 256)}), bad("name must be shorter than or equal to 255 characters")},
		{"name with NUL", whBody(url, map[string]any{"name": "a\x00b"}), bad("name must be valid UTF-8 text without NUL characters")},
		// url.
		{"url missing", whBody(url, map[string]any{"url": nil}), bad(whMsgURL)},
		{"url empty", whBody(url, map[string]any{"url": ""}), bad(whMsgURL)},
		{"url a number", whBody(url, map[string]any{"url": raw(`5`)}), bad("url must be a string")},
		{"url ftp", whBody(url, map[string]any{"url": "ftp://127.0.0.1/hook"}), bad(whMsgScheme)},
		{"url javascript", whBody(url, map[string]any{"url": "javascript:alert(1)"}), bad(whMsgScheme)},
		{"url file", whBody(url, map[string]any{"url": "file:///etc/passwd"}), bad(whMsgScheme)},
		{"url relative", whBody(url, map[string]any{"url": "/hooks/in"}), bad(whMsgScheme)},
		{"url scheme-relative", whBody(url, map[string]any{"url": "//127.0.0.1/hook"}), bad(whMsgScheme)},
		{"url without a host", whBody(url, map[string]any{"url": "http:///hook"}), bad(whMsgScheme)},
		{"url not a URL", whBody(url, map[string]any{"url": "not a url"}), bad(whMsgScheme)},
		{"url unparsable", whBody(url, map[string]any{"url": "http://[::1"}), bad(whMsgScheme)},
		{"url with user and password", whBody(url, map[string]any{"url": strings.Replace(url, "http://", "http://user:pass@", 1)}), bad(whMsgCreds)},
		{"url with a user", whBody(url, map[string]any{"url": strings.Replace(url, "http://", "http://user@", 1)}), bad(whMsgCreds)},
		{"url too long", whBody(url, map[string]any{"url": long}), bad(whMsgURLLong)},
		// topics.
		{"topics missing", whBody(url, map[string]any{"topics": nil}), bad(whMsgTopics)},
		{"topics empty", whBody(url, map[string]any{"topics": []string{}}), bad(whMsgTopics)},
		{"topics null", whBody(url, map[string]any{"topics": raw(`null`)}), bad(whMsgTopics)},
		{"topics unknown", whBody(url, map[string]any{"topics": []string{"api-key.exploded"}}), bad(fmt.Sprintf(whMsgTopic, "api-key.exploded"))},
		{"topics one unknown among known", whBody(url, map[string]any{"topics": []string{keyway.TopicAPIKeyCreated, "API-KEY.CREATED"}}),
			bad(fmt.Sprintf(whMsgTopic, "API-KEY.CREATED"))},
		{"topics each unknown listed", whBody(url, map[string]any{"topics": []string{"a", "b"}}), bad(fmt.Sprintf(whMsgTopic, "a"), fmt.Sprintf(whMsgTopic, "b"))},
		{"topics a string", whBody(url, map[string]any{"topics": raw(`"api-key.created"`)}), bad("topics must be an array")},
		{"topics an object", whBody(url, map[string]any{"topics": raw(`{"api-key.created":true}`)}), bad("topics must be an array")},
		{"topics of numbers", whBody(url, map[string]any{"topics": raw(`[1]`)}), bad("topics must be a string")},
		// httpMethod.
		{"httpMethod missing", whBody(url, map[string]any{"httpMethod": nil}), bad(whMsgMethod)},
		{"httpMethod GET", whBody(url, map[string]any{"httpMethod": "GET"}), bad(whMsgMethod)},
		{"httpMethod DELETE", whBody(url, map[string]any{"httpMethod": "DELETE"}), bad(whMsgMethod)},
		{"httpMethod HEAD", whBody(url, map[string]any{"httpMethod": "HEAD"}), bad(whMsgMethod)},
		{"httpMethod nonsense", whBody(url, map[string]any{"httpMethod": "P OST"}), bad(whMsgMethod)},
		{"httpMethod a number", whBody(url, map[string]any{"httpMethod": raw(`1`)}), bad("httpMethod must be a string")},
		// customHeaders.
		{"customHeaders bad name", whBody(url, map[string]any{"customHeaders": map[string]string{"Bad Header": "x"}}),
			bad(fmt.Sprintf(whMsgHeader, "customHeaders", "Bad Header"))},
		{"customHeaders name with a colon", whBody(url, map[string]any{"customHeaders": map[string]string{"X-A:": "x"}}),
			bad(fmt.Sprintf(whMsgHeader, "customHeaders", "X-A:"))},
		{"customHeaders empty name", whBody(url, map[string]any{"customHeaders": map[string]string{"": "x"}}),
			bad(fmt.Sprintf(whMsgHeader, "customHeaders", ""))},
		{"customHeaders CRLF in a value", whBody(url, map[string]any{"customHeaders": map[string]string{"X-A": "a\r\nX-Injected: 1"}}),
			bad(fmt.Sprintf(whMsgHeader, "customHeaders", "X-A"))},
		{"customHeaders LF in a value", whBody(url, map[string]any{"customHeaders": map[string]string{"X-A": "a\nb"}}),
			bad(fmt.Sprintf(whMsgHeader, "customHeaders", "X-A"))},
		{"customHeaders NUL in a value", whBody(url, map[string]any{"customHeaders": map[string]string{"X-A": "a\x00b"}}),
			bad(fmt.Sprintf(whMsgHeader, "customHeaders", "X-A"))},
		{"customHeaders too many", whBody(url, map[string]any{"customHeaders": whManyHeaders(21)}), bad(fmt.Sprintf(whMsgHeaderN, "customHeaders"))},
		{"customHeaders too large", whBody(url, map[string]any{"customHeaders": map[string]string{"X-Big": strings.Repeat("v", 4096)}}),
			bad(fmt.Sprintf(whMsgHeaderLen, "customHeaders"))},
		{"customHeaders a string", whBody(url, map[string]any{"customHeaders": raw(`"X-A: 1"`)}), bad("customHeaders must be an object")},
		{"customHeaders an array", whBody(url, map[string]any{"customHeaders": raw(`[["X-A","1"]]`)}), bad("customHeaders must be an object")},
		{"customHeaders with a number value", whBody(url, map[string]any{"customHeaders": raw(`{"X-A":1}`)}), bad("customHeaders must be a string")},
		// status.
		{"status unknown", whBody(url, map[string]any{"status": "deleted"}), bad(whMsgStatus)},
		// "" is not a status, nor a way of asking for the default one.
		{"status empty", whBody(url, map[string]any{"status": ""}), bad(whMsgStatus)},
		{"status blank", whBody(url, map[string]any{"status": " "}), bad(whMsgStatus)},
		{"status upper case", whBody(url, map[string]any{"status": "LIVE"}), bad(whMsgStatus)},
		{"status a boolean", whBody(url, map[string]any{"status": raw(`true`)}), bad("status must be a string")},
		// projectId and accountId.
		{"projectId a number", whBody(url, map[string]any{"projectId": raw(`5`)}), bad("projectId must be a string")},
		// Blank is not "the whole account", which leaving it out means.
		{"projectId empty", whBody(url, map[string]any{"projectId": ""}), bad("projectId should not be empty")},
		{"accountId with NUL", whBody(url, map[string]any{"accountId": raw(`"a\u0000"`)}), bad("accountId must be valid UTF-8 text without NUL characters")},
		// Every problem is listed, in a fixed order.
		{"every problem listed", map[string]any{"name": "", "url": "ftp://x", "topics": []string{"nope"}, "httpMethod": "GET",
			"customHeaders": map[string]string{"Bad Header": "x"}, "status": "off"},
			bad(whMsgName, whMsgScheme, fmt.Sprintf(whMsgTopic, "nope"), whMsgMethod, fmt.Sprintf(whMsgHeader, "customHeaders", "Bad Header"), whMsgStatus)},
	}
}

// TestWebhookCreateBadInput: every malformed POST /webhooks answers a
// clear 400 (413 for a body over 1 MiB), never a 5xx, and creates nothing.
func TestWebhookCreateBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv := newReceiver(t)
		url := rcv.URL + "/in"
		var sc []scenario
		for _, c := range whBadCreateCases(url) {
			sc = append(sc, scenario{name: c.name, method: "POST", path: "/webhooks", body: c.body, wantStatus: 400, wantJSON: c.want})
		}
		p := s.newProject("p", "live")
		gone := s.newProject("gone", "live")
		s.call("DELETE", "/projects/"+gone.ID, nil).want(t, 200)
		sc = append(sc,
			scenario{name: "body over 1 MiB", method: "POST", path: "/webhooks", body: paddedBody(`{"name":"hook","url":"`+url+`","topics":["api-key.created"],"httpMethod":"POST","pad":"`, `"}`, 1<<20+1),
				wantStatus: 413, wantJSON: errTooLarge},
			scenario{name: "a deleted project", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"projectId": gone.ID}),
				wantStatus: 400, wantJSON: badRequest("projectId refers to a deleted project")},
			scenario{name: "an unknown project", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"projectId": "no-such-project"}),
				wantStatus: 403, wantJSON: errForbidden},
			scenario{name: "an unreachable target", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"url": "http://10.1.2.3/hook"}),
				wantStatus: 400, wantJSON: badRequest("url host is a private, loopback, link-local or reserved address (10.1.2.3), which webhooks may not reach")},
			scenario{name: "port zero", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"url": "http://127.0.0.1:0/hook"}),
				wantStatus: 400, wantJSON: badRequest("url port must be between 1 and 65535")},
			scenario{name: "nothing was created", method: "GET", path: "/webhooks", wantStatus: 200, wantJSON: `[]`},
		)
		run(t, s, sc)

		// What is accepted, and how it is normalized.
		run(t, s, []scenario{
			{name: "lower-case post is POST", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"httpMethod": "post"}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url})},
			{name: "padded put is PUT", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"httpMethod": " put "}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url, "httpMethod": "PUT"})},
			{name: "patch", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"httpMethod": "PATCH"}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url, "httpMethod": "PATCH"})},
			{name: "topics deduplicated and ordered", method: "POST", path: "/webhooks",
				body:       whBody(url, map[string]any{"topics": []string{keyway.TopicProjectUpdated, keyway.TopicAPIKeyCreated, keyway.TopicProjectUpdated}}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url, "topics": []string{keyway.TopicAPIKeyCreated, keyway.TopicProjectUpdated}})},
			{name: "every topic", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"topics": keyway.Topics}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url, "topics": keyway.Topics})},
			{name: "20 headers, a project, paused", method: "POST", path: "/webhooks",
				body:       whBody(url, map[string]any{"customHeaders": whManyHeaders(20), "projectId": p.ID, "status": "paused"}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url, "customHeaders": whManyHeaders(20), "projectId": p.ID, "status": "paused"})},
			{name: "customHeaders null is {}", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"customHeaders": raw(`null`)}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url})},
			{name: "status null is live", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"status": raw(`null`)}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url})},
			{name: "status live", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"status": "live"}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url})},
			{name: "naming its own account", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"accountId": s.AccountID}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url})},
			{name: "https", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"url": strings.Replace(url, "http://", "https://", 1)}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": strings.Replace(url, "http://", "https://", 1)})},
			{name: "unknown fields are ignored", method: "POST", path: "/webhooks", body: whBody(url, map[string]any{"secret": "whsec_mine", "isActive": false, "id": "mine", "createdBy": "me", "failingAt": "2026-01-01T00:00:00.000Z"}),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url})},
			{name: "a body of exactly 1 MiB", method: "POST", path: "/webhooks",
				body:       paddedBody(`{"name":"hook","url":"`+url+`","topics":["api-key.created"],"httpMethod":"POST","pad":"`, `"}`, 1<<20),
				wantStatus: 201, wantJSON: s.whFreshWant(map[string]any{"url": url})},
		})
	})
}

// TestWebhookUpdateBadInput: a refused PATCH changes nothing, not even
// the valid fields of its body; every field updates alone; null clears
// customHeaders only.
func TestWebhookUpdateBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv, rcv2 := newReceiver(t), newReceiver(t)
		url := rcv.URL + "/in"
		w := s.newWebhook(t, url, []string{keyway.TopicAPIKeyCreated}, map[string]any{"name": "orig", "customHeaders": map[string]string{"X-Orig": "1"}})
		path := "/webhooks/" + w.ID
		s.Clock.Advance(time.Second)
		orig := s.get(path)

		var sc []scenario
		addBad := func(name string, body any, status int, want string) {
			sc = append(sc,
				scenario{name: name, method: "PATCH", path: path, body: body, wantStatus: status, wantJSON: want},
				unchanged(name+": unchanged", path, orig))
		}
		for _, c := range whBadCreateCases(url) {
			body := c.body
			switch c.name {
			case "null body", "empty body", "empty object":
				continue // a valid, empty update
			case "name missing", "url missing", "topics missing", "httpMethod missing":
				continue // a valid partial update
			case "projectId a number", "projectId empty", "accountId with NUL":
				continue // not fields of an update: ignored
			}
			if m, ok := body.(map[string]any); ok {
				// Keep only the fields the case is about, plus a valid name
				// change that must not happen either.
				m = maps.Clone(m)
				for k, v := range whBody(url, nil) {
					if fmt.Sprint(m[k]) == fmt.Sprint(v) {
						delete(m, k)
					}
				}
				if _, ok := m["name"]; !ok {
					m["name"] = "changed"
				}
				body = m
			}
			addBad(c.name, body, 400, c.want)
		}
		bad := badRequest
		addBad("url null", `{"url":null}`, 400, bad(whMsgURL))
		addBad("httpMethod null", `{"httpMethod":null}`, 400, bad(whMsgMethod))
		addBad("status null", `{"status":null}`, 400, bad(whMsgStatus))
		addBad("status empty", `{"status":""}`, 400, bad(whMsgStatus))
		addBad("a valid name with a bad url", map[string]any{"name": "changed", "url": "ftp://127.0.0.1/"}, 400, bad(whMsgScheme))
		addBad("a valid status with bad headers", map[string]any{"status": "paused", "customHeaders": map[string]string{"X-A": "1\r\n"}}, 400,
			bad(fmt.Sprintf(whMsgHeader, "customHeaders", "X-A")))
		addBad("an unreachable url", map[string]any{"name": "changed", "url": "http://169.254.169.254/latest"}, 400,
			bad("url host is a private, loopback, link-local or reserved address (169.254.169.254), which webhooks may not reach"))
		addBad("body over 1 MiB", paddedBody(`{"name":"`, `"}`, 1<<20+1), 413, errTooLarge)
		sc = append(sc,
			scenario{name: "an unknown webhook", method: "PATCH", path: "/webhooks/no-such-webhook", body: map[string]any{"name": "x"}, wantStatus: 404, wantJSON: whErrNotFound},
		)
		run(t, s, sc)

		// Partial updates: each field alone.
		cur := orig
		step := func(name string, body any, changes map[string]any) {
			t.Helper()
			s.Clock.Advance(time.Second)
			changes = maps.Clone(changes)
			changes["updatedAt"] = s.now()
			want := whWant(t, cur, changes)
			run(t, s, []scenario{
				{name: name, method: "PATCH", path: path, body: body, wantStatus: 200, wantJSON: want},
				unchanged(name+": read back", path, want),
			})
			cur = s.get(path)
		}
		step("name alone", map[string]any{"name": "renamed"}, map[string]any{"name": "renamed"})
		step("url alone", map[string]any{"url": rcv2.URL + "/other"}, map[string]any{"url": rcv2.URL + "/other"})
		step("topics replaced, deduplicated and ordered", map[string]any{"topics": []string{keyway.TopicAPIKeyDeleted, keyway.TopicAPIKeyUpdated, keyway.TopicAPIKeyDeleted}},
			map[string]any{"topics": []string{keyway.TopicAPIKeyUpdated, keyway.TopicAPIKeyDeleted}})
		step("httpMethod lower case", map[string]any{"httpMethod": "put"}, map[string]any{"httpMethod": "PUT"})
		step("customHeaders replaced", map[string]any{"customHeaders": map[string]string{"X-New": "2", "X-Other": "3"}},
			map[string]any{"customHeaders": map[string]any{"X-New": "2", "X-Other": "3"}})
		step("customHeaders null clears", `{"customHeaders":null}`, map[string]any{"customHeaders": map[string]any{}})
		step("customHeaders set again", map[string]any{"customHeaders": map[string]string{"X-A": "1"}}, map[string]any{"customHeaders": map[string]any{"X-A": "1"}})
		step("customHeaders {} clears", map[string]any{"customHeaders": map[string]string{}}, map[string]any{"customHeaders": map[string]any{}})
		step("status paused", map[string]any{"status": "paused"}, map[string]any{"status": "paused"})
		step("status live", map[string]any{"status": "live"}, map[string]any{"status": "live"})
		step("an empty body changes nothing else", `{}`, map[string]any{})
		step("unknown fields are ignored", `{"secret":"whsec_mine","accountId":"other","projectId":"other","isActive":false,"id":"x"}`, map[string]any{})
		step("several fields at once", map[string]any{"name": "final", "url": url, "topics": []string{keyway.TopicAPIKeyCreated}, "httpMethod": "PATCH",
			"customHeaders": map[string]string{"X-Final": "yes"}, "status": "live"},
			map[string]any{"name": "final", "url": url, "topics": []string{keyway.TopicAPIKeyCreated}, "httpMethod": "PATCH", "customHeaders": map[string]any{"X-Final": "yes"}})

		// The stored settings are the ones deliveries use.
		p := s.newProject("p", "live")
		k := s.newKey(p.ID, nil)
		whAwaitKey(t, rcv, keyway.TopicAPIKeyCreated, k.Key.Reveal())
		d := rcv.deliveries()[0]
		if d.method != "PATCH" || d.header.Get("X-Final") != "yes" || d.header.Get("X-Orig") != "" || d.header.Get("X-A") != "" {
			t.Fatalf("delivery after the updates: %s with headers %v", d.method, d.header)
		}
		d.verify(t, w.Secret.Reveal(), s.Clock.Now())
		if n := len(rcv2.deliveries()); n != 0 {
			t.Fatalf("the webhook's former url got %d deliveries", n)
		}
	})
}

// TestWebhookPausedByUpdateMissesEvents: events emitted while a webhook is
// paused are never delivered to it, not even after it is live again.
func TestWebhookPausedByUpdateMissesEvents(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv := newReceiver(t)
		p := s.newProject("p", "live")
		w := s.newWebhook(t, rcv.URL, []string{keyway.TopicAPIKeyCreated}, nil)
		s.call("PATCH", "/webhooks/"+w.ID, map[string]any{"status": "paused"}).want(t, 200)
		missed := s.newKey(p.ID, map[string]any{"name": "while paused"})
		s.Clock.Advance(time.Millisecond)
		s.call("PATCH", "/webhooks/"+w.ID, map[string]any{"status": "live"}).want(t, 200)
		s.Clock.Advance(time.Millisecond)
		heard := s.newKey(p.ID, map[string]any{"name": "when live"})
		whAwaitKey(t, rcv, keyway.TopicAPIKeyCreated, heard.Key.Reveal())
		s.whAwaitDelivered(t, "", w.ID, 1)
		for _, got := range whKeys(t, rcv) {
			if strings.HasSuffix(got, missed.Key.Reveal()) {
				t.Fatal("an event emitted while the webhook was paused was delivered")
			}
		}
	})
}

// TestWebhookDeleteAndList: DELETE answers true, then every path lookup
// of the webhook is 404, a second DELETE too, it is no longer listed and
// receives nothing; ?topic= filters the list.
func TestWebhookDeleteAndList(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv, control := newReceiver(t), newReceiver(t)
		p := s.newProject("p", "live")
		created := s.newWebhook(t, rcv.URL, []string{keyway.TopicAPIKeyCreated, keyway.TopicAPIKeyDeleted}, nil)
		s.Clock.Advance(time.Second)
		updated := s.newWebhook(t, control.URL, []string{keyway.TopicAPIKeyUpdated, keyway.TopicAPIKeyCreated}, nil)
		s.Clock.Advance(time.Second)
		proj := s.newWebhook(t, control.URL, []string{keyway.TopicProjectUpdated}, nil)
		cW, uW, pW := s.get("/webhooks/"+created.ID), s.get("/webhooks/"+updated.ID), s.get("/webhooks/"+proj.ID)
		k := s.newKey(p.ID, nil)
		whAwaitKey(t, rcv, keyway.TopicAPIKeyCreated, k.Key.Reveal())
		ds := s.whAwaitDelivered(t, "", created.ID, 1)
		path := "/webhooks/" + created.ID
		run(t, s, []scenario{
			{name: "list", method: "GET", path: "/webhooks", wantStatus: 200, wantJSON: whList(cW, uW, pW)},
			{name: "by topic api-key.created", method: "GET", path: "/webhooks?topic=api-key.created", wantStatus: 200, wantJSON: whList(cW, uW)},
			{name: "by topic api-key.updated", method: "GET", path: "/webhooks?topic=api-key.updated", wantStatus: 200, wantJSON: whList(uW)},
			{name: "by topic project.updated", method: "GET", path: "/webhooks?topic=project.updated", wantStatus: 200, wantJSON: whList(pW)},
			{name: "by a topic nobody listens to", method: "GET", path: "/webhooks?topic=access-key.created", wantStatus: 200, wantJSON: `[]`},
			{name: "by an unknown topic", method: "GET", path: "/webhooks?topic=nope", wantStatus: 200, wantJSON: `[]`},
			{name: "by topic and account", method: "GET", path: "/webhooks?topic=api-key.deleted&accountId=" + s.AccountID, wantStatus: 200, wantJSON: whList(cW)},
			{name: "paged", method: "GET", path: "/webhooks?limit=1&offset=1", wantStatus: 200, wantJSON: whList(uW)},
			{name: "delete", method: "DELETE", path: path, wantStatus: 200, wantJSON: `true`},
			{name: "get after delete", method: "GET", path: path, wantStatus: 404, wantJSON: whErrNotFound},
			{name: "delete again", method: "DELETE", path: path, wantStatus: 404, wantJSON: whErrNotFound},
			{name: "patch after delete", method: "PATCH", path: path, body: map[string]any{"status": "live"}, wantStatus: 404, wantJSON: whErrNotFound},
			{name: "deliveries after delete", method: "GET", path: path + "/deliveries", wantStatus: 404, wantJSON: whErrNotFound},
			{name: "retry after delete", method: "POST", path: path + "/deliveries/" + ds[0].ID + "/retry", wantStatus: 404, wantJSON: whErrNotFound},
			{name: "no longer listed", method: "GET", path: "/webhooks", wantStatus: 200, wantJSON: whList(uW, pW)},
			{name: "no longer listed by topic", method: "GET", path: "/webhooks?topic=api-key.deleted", wantStatus: 200, wantJSON: `[]`},
		})
		// A deleted webhook receives nothing: the control, made after, arrives.
		s.Clock.Advance(time.Millisecond)
		s.call("DELETE", "/api-keys/"+k.Key.Reveal(), nil).want(t, 200) // api-key.deleted: only the deleted webhook listened
		s.Clock.Advance(time.Millisecond)
		k2 := s.newKey(p.ID, nil)
		whAwaitKey(t, control, keyway.TopicAPIKeyCreated, k2.Key.Reveal())
		if got := whKeys(t, rcv); len(got) != 1 {
			t.Fatalf("the deleted webhook got %v after its deletion", got)
		}
	})
}

// TestWebhookPingBadInput: POST /webhooks/ping refuses what a webhook
// would refuse, with the same 400s, and sends nothing then.
func TestWebhookPingBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		rcv := newReceiver(t)
		url := rcv.URL + "/ping"
		ping := func(fields map[string]any) map[string]any {
			m := map[string]any{"url": url, "httpMethod": "POST"}
			for k, v := range fields {
				if v == nil {
					delete(m, k)
					continue
				}
				m[k] = v
			}
			return m
		}
		bad := func(name string, body any, want ...string) scenario {
			return scenario{name: name, method: "POST", path: "/webhooks/ping", body: body, wantStatus: 400, wantJSON: badRequest(want...)}
		}
		run(t, s, []scenario{
			{name: "malformed JSON", method: "POST", path: "/webhooks/ping", body: `{"url":`, wantStatus: 400, wantJSON: errMalformed},
			{name: "array body", method: "POST", path: "/webhooks/ping", body: `[]`, wantStatus: 400, wantJSON: errBodyNotObject},
			{name: "body over 1 MiB", method: "POST", path: "/webhooks/ping", body: paddedBody(`{"url":"`+url+`","httpMethod":"POST","body":{"pad":"`, `"}}`, 1<<20+1),
				wantStatus: 413, wantJSON: errTooLarge},
			bad("empty body", nil, whMsgURL, whMsgMethod),
			bad("url missing", ping(map[string]any{"url": nil}), whMsgURL),
			bad("url ftp", ping(map[string]any{"url": "ftp://127.0.0.1/"}), whMsgScheme),
			bad("url javascript", ping(map[string]any{"url": "javascript:alert(1)"}), whMsgScheme),
			bad("url relative", ping(map[string]any{"url": "/ping"}), whMsgScheme),
			bad("url with credentials", ping(map[string]any{"url": strings.Replace(url, "http://", "http://u:p@", 1)}), whMsgCreds),
			bad("httpMethod missing", ping(map[string]any{"httpMethod": nil}), whMsgMethod),
			bad("httpMethod GET", ping(map[string]any{"httpMethod": "GET"}), whMsgMethod),
			bad("httpMethod DELETE", ping(map[string]any{"httpMethod": "DELETE"}), whMsgMethod),
			bad("headers bad name", ping(map[string]any{"headers": map[string]string{"Bad Header": "x"}}), fmt.Sprintf(whMsgHeader, "headers", "Bad Header")),
			bad("headers CRLF", ping(map[string]any{"headers": map[string]string{"X-A": "1\r\nX-B: 2"}}), fmt.Sprintf(whMsgHeader, "headers", "X-A")),
			bad("customHeaders CRLF", ping(map[string]any{"customHeaders": map[string]string{"X-A": "1\r\nX-B: 2"}}), fmt.Sprintf(whMsgHeader, "customHeaders", "X-A")),
			bad("headers too many", ping(map[string]any{"headers": whManyHeaders(21)}), fmt.Sprintf(whMsgHeaderN, "headers")),
			bad("customHeaders too many", ping(map[string]any{"customHeaders": whManyHeaders(21)}), fmt.Sprintf(whMsgHeaderN, "customHeaders")),
			bad("headers a string", `{"url":"`+url+`","httpMethod":"POST","headers":"X-A: 1"}`, "headers must be an object"),
			// body is an object (TestWebhookDTO), nothing else.
			bad("body a string", ping(map[string]any{"body": "ping"}), whMsgPingBody),
			bad("body an empty string", ping(map[string]any{"body": ""}), whMsgPingBody),
			bad("body a number", ping(map[string]any{"body": 42}), whMsgPingBody),
			bad("body a boolean", ping(map[string]any{"body": true}), whMsgPingBody),
			bad("body an array", ping(map[string]any{"body": []any{map[string]any{"ping": true}}}), whMsgPingBody),
			bad("body an empty array", ping(map[string]any{"body": []any{}}), whMsgPingBody),
			bad("an unreachable target", ping(map[string]any{"url": "http://192.168.0.1/"}),
				"url host is a private, loopback, link-local or reserved address (192.168.0.1), which webhooks may not reach"),
			bad("every problem listed", map[string]any{"url": "ftp://x", "httpMethod": "GET", "headers": map[string]string{"a b": "1"}, "customHeaders": whManyHeaders(21)},
				whMsgScheme, whMsgMethod, fmt.Sprintf(whMsgHeader, "headers", "a b"), fmt.Sprintf(whMsgHeaderN, "customHeaders")),
		})
		if n := len(rcv.deliveries()); n != 0 {
			t.Fatalf("refused pings sent %d requests", n)
		}
		// Lower-case post is POST, and the default body is sent.
		var res keyway.PingResult
		s.call("POST", "/webhooks/ping", ping(map[string]any{"httpMethod": "post"})).want(t, 200).decode(t, &res)
		if !res.OK || res.Status != 204 {
			t.Fatalf("ping %+v", res)
		}
		got := rcv.await(t, 1)
		if len(got) != 1 || got[0].method != "POST" || string(got[0].body) != `{"ping":true}` {
			t.Fatalf("ping sent %+v", got)
		}
		// A null body is no body; an object is sent as given.
		for i, c := range []struct{ body, sent string }{
			{`null`, `{"ping":true}`},
			{`{}`, `{}`},
			{`{"hello":["world",1]}`, `{"hello":["world",1]}`},
		} {
			s.call("POST", "/webhooks/ping", `{"url":"`+url+`","httpMethod":"POST","body":`+c.body+`}`).want(t, 200)
			got := rcv.await(t, i+2)
			if sent := string(got[i+1].body); sent != c.sent {
				t.Errorf("body %s sent as %s, want %s", c.body, sent, c.sent)
			}
		}
	})
}
