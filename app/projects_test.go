package app_test

import (
	"strings"
	"testing"
	"time"
)

func TestProjects(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		var live, test map[string]any
		t0 := s.now()
		run(t, s, []scenario{
			{name: "no projects yet", method: "GET", path: "/projects?accountId=" + s.AccountID, wantStatus: 200, wantJSON: `[]`},
			{name: "create live", method: "POST", path: "/projects", body: map[string]any{"name": "Live", "accountId": s.AccountID, "env": "live"},
				wantStatus: 201, wantEvents: noEvents, wantJSON: s.projectWant(reUUID, "Live", "live"), check: func(t *testing.T, r *response) { r.decode(t, &live) }},
		})
		s.Clock.Advance(time.Second)
		t1 := s.now()
		run(t, s, []scenario{
			{name: "create test with a unicode name", method: "POST", path: "/projects", body: map[string]any{"name": "Тест 🧪", "accountId": s.AccountID, "env": "test", "extra": 1},
				wantStatus: 201, wantEvents: noEvents, wantJSON: s.projectWant(reUUID, "Тест 🧪", "test"), check: func(t *testing.T, r *response) { r.decode(t, &test) }},
		})
		liveID, testID := live["id"].(string), test["id"].(string)
		liveW := s.projectWant(liveID, "Live", "live", map[string]any{"createdAt": t0, "updatedAt": t0})
		testW := s.projectWant(testID, "Тест 🧪", "test", map[string]any{"createdAt": t1, "updatedAt": t1})
		s.Clock.Advance(time.Second)
		t2 := s.now()
		renamed := s.projectWant(liveID, "Renamed", "live", map[string]any{"createdAt": t0, "updatedAt": t2})
		deleted := s.projectWant(liveID, "Renamed", "live", map[string]any{"createdAt": t0, "updatedAt": t2, "isActive": false})
		run(t, s, []scenario{
			{name: "list, oldest first", method: "GET", path: "/projects?accountId=" + s.AccountID, wantStatus: 200, wantJSON: "[" + liveW + "," + testW + "]"},
			{name: "list with limit", method: "GET", path: "/projects?accountId=" + s.AccountID + "&limit=1", wantStatus: 200, wantJSON: "[" + liveW + "]"},
			{name: "list with offset", method: "GET", path: "/projects?accountId=" + s.AccountID + "&offset=1", wantStatus: 200, wantJSON: "[" + testW + "]"},
			{name: "list needs accountId", method: "GET", path: "/projects", wantStatus: 400, wantJSON: badRequest("accountId should not be empty")},
			{name: "list of an unknown account", method: "GET", path: "/projects?accountId=nope", wantStatus: 403, wantJSON: errForbidden},
			{name: "list with a bad limit", method: "GET", path: "/projects?accountId=" + s.AccountID + "&limit=0", wantStatus: 400, wantJSON: badRequest("limit must be between 1 and 1000")},
			{name: "get", method: "GET", path: "/projects/" + liveID, wantStatus: 200, wantJSON: liveW},
			{name: "get unknown", method: "GET", path: "/projects/nope", wantStatus: 404, wantJSON: errProjNotFound},
			{name: "rename", method: "PATCH", path: "/projects/" + liveID, body: map[string]any{"name": "Renamed", "env": "test", "accountId": "ignored"},
				wantStatus: 200, wantEvents: evProjectUpdated, wantJSON: renamed},
			{name: "reads back renamed", method: "GET", path: "/projects/" + liveID, wantStatus: 200, wantJSON: renamed},
			{name: "rename unknown", method: "PATCH", path: "/projects/nope", body: map[string]any{"name": "x"}, wantStatus: 404, wantEvents: noEvents, wantJSON: errProjNotFound},
			{name: "rename with an empty name", method: "PATCH", path: "/projects/" + liveID, body: map[string]any{"name": ""}, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("name should not be empty")},
			{name: "rename with a blank name", method: "PATCH", path: "/projects/" + liveID, body: map[string]any{"name": " \t\n"}, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("name should not be empty")},
			{name: "rename without a name", method: "PATCH", path: "/projects/" + liveID, body: map[string]any{}, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("name should not be empty")},
			{name: "rename with a null name", method: "PATCH", path: "/projects/" + liveID, body: `{"name":null}`, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("name should not be empty")},
			{name: "rename with a number", method: "PATCH", path: "/projects/" + liveID, body: `{"name":5}`, wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("name must be a string")},
			{name: "rename with an array body", method: "PATCH", path: "/projects/" + liveID, body: `[{"name":"x"}]`, wantStatus: 400, wantEvents: noEvents, wantJSON: errBodyNotObject},
			{name: "rename with malformed JSON", method: "PATCH", path: "/projects/" + liveID, body: `{"name":"x"`, wantStatus: 400, wantEvents: noEvents, wantJSON: errMalformed},
			{name: "rename with a body over 1 MiB", method: "PATCH", path: "/projects/" + liveID, body: paddedBody(`{"name":"`, `"}`, 1<<20+1), wantStatus: 413, wantEvents: noEvents, wantJSON: errTooLarge},
			unchanged("unchanged after rejected renames", "/projects/"+liveID, renamed),
			{name: "delete returns the project", method: "DELETE", path: "/projects/" + liveID, wantStatus: 200, wantEvents: evProjectUpdated, wantJSON: deleted},
			{name: "get a deleted project", method: "GET", path: "/projects/" + liveID, wantStatus: 404, wantJSON: errProjNotFound},
			{name: "rename a deleted project", method: "PATCH", path: "/projects/" + liveID, body: map[string]any{"name": "x"}, wantStatus: 404, wantEvents: noEvents, wantJSON: errProjNotFound},
			{name: "delete again", method: "DELETE", path: "/projects/" + liveID, wantStatus: 404, wantEvents: noEvents, wantJSON: errProjNotFound},
			{name: "delete unknown", method: "DELETE", path: "/projects/nope", wantStatus: 404, wantEvents: noEvents, wantJSON: errProjNotFound},
			{name: "no new keys in a deleted project", method: "POST", path: "/api-keys", body: map[string]any{"name": "k", "projectId": liveID},
				wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("projectId refers to a deleted project")},
			{name: "no access keys for a deleted project", method: "POST", path: "/access-keys", body: map[string]any{"name": "k", "projectId": liveID},
				wantStatus: 400, wantEvents: noEvents, wantJSON: badRequest("projectId refers to a deleted project")},
			{name: "the other project is untouched", method: "GET", path: "/projects/" + testID, wantStatus: 200, wantJSON: testW},
			{name: "a deleted project is no longer listed", method: "GET", path: "/projects?accountId=" + s.AccountID, wantStatus: 200, wantJSON: "[" + testW + "]"},
		})
	})
}

func TestProjectCreateBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		bad := func(name string, body any, want string) scenario {
			return scenario{name: name, method: "POST", path: "/projects", body: body, wantStatus: 400, wantEvents: noEvents, wantJSON: want}
		}
		a := s.AccountID
		run(t, s, []scenario{
			bad("empty body", nil, badRequest("name should not be empty", "accountId should not be empty", "env must be one of the following values: live, test")),
			bad("empty object", map[string]any{}, badRequest("name should not be empty", "accountId should not be empty", "env must be one of the following values: live, test")),
			bad("nulls", `{"name":null,"accountId":null,"env":null}`, badRequest("name should not be empty", "accountId should not be empty", "env must be one of the following values: live, test")),
			bad("missing env", map[string]any{"name": "p", "accountId": a}, badRequest("env must be one of the following values: live, test")),
			bad("bad env", map[string]any{"name": "p", "accountId": a, "env": "prod"}, badRequest("env must be one of the following values: live, test")),
			bad("env in upper case", map[string]any{"name": "p", "accountId": a, "env": "LIVE"}, badRequest("env must be one of the following values: live, test")),
			bad("env a number", `{"name":"p","accountId":"`+a+`","env":1}`, badRequest("env must be a string")),
			bad("missing accountId", map[string]any{"name": "p", "env": "live"}, badRequest("accountId should not be empty")),
			bad("blank name", map[string]any{"name": "   ", "accountId": a, "env": "live"}, badRequest("name should not be empty")),
			bad("name a number", `{"name":5,"accountId":"`+a+`","env":"live"}`, badRequest("name must be a string")),
			bad("name too long", map[string]any{"name": strings.Repeat("é", 256), "accountId": a, "env": "live"}, badRequest("name must be shorter than or equal to 255 characters")),
			bad("array body", `[]`, errBodyNotObject),
			bad("string body", `"x"`, errBodyNotObject),
			bad("number body", `5`, errBodyNotObject),
			bad("malformed JSON", `{"name":"p",}`, errMalformed),
			{name: "another account", method: "POST", path: "/projects", body: map[string]any{"name": "p", "accountId": "other", "env": "live"}, wantStatus: 403, wantEvents: noEvents, wantJSON: errForbidden},
			{name: "too large", method: "POST", path: "/projects", body: paddedBody(`{"name":"p","accountId":"`+a+`","env":"live","pad":"`, `"}`, 1<<20+1), wantStatus: 413, wantEvents: noEvents, wantJSON: errTooLarge},
			{name: "nothing was created", method: "GET", path: "/projects?accountId=" + a, wantStatus: 200, wantJSON: `[]`},
			{name: "255 characters is fine", method: "POST", path: "/projects", body: map[string]any{"name": strings.Repeat("é", 255), "accountId": a, "env": "live"},
				wantStatus: 201, wantEvents: noEvents, wantJSON: s.projectWant(reUUID, strings.Repeat("é", 255), "live")},
		})
	})
}
