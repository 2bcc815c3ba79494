package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway/keywaytest"
)

// No key or access key reaches the log, whatever the call and its outcome,
// even at debug level.
func TestLogHoldsNoSecrets(t *testing.T) {
	var log keywaytest.SyncBuffer
	s := startServerWithLog(t, keywaytest.SQLiteURL(t), &log)
	p := s.newProject("p", "live")
	k := s.newKey(p.ID, map[string]any{"rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 60}})
	custom := s.newKey(p.ID, map[string]any{"key": "my-custom-key-1234"})
	var rotated struct{ Key string }
	s.call("POST", "/api-keys/"+custom.Key.Reveal()+"/rotate", nil).want(t, 201).decode(t, &rotated)
	var ak struct{ Key string }
	s.call("POST", "/access-keys", map[string]any{"name": "a", "projectId": p.ID}).want(t, 201).decode(t, &ak)

	for range 2 {
		s.call("POST", "/api-keys/auth/"+k.Key.Reveal(), nil)
		s.call("GET", "/api-keys/auth/"+k.Key.Reveal(), nil)
	}
	s.call("POST", "/auth/authenticate", map[string]any{"credentials": map[string]any{"api_key": k.Key.Reveal()}})
	s.call("GET", "/api-keys/"+k.Key.Reveal(), nil)
	s.call("PATCH", "/api-keys/"+k.Key.Reveal(), map[string]any{"name": 5})
	s.call("DELETE", "/api-keys/"+k.Key.Reveal(), nil)
	s.call("DELETE", "/api-keys/"+k.Key.Reveal(), nil)
	s.call("GET", "/api-keys/live_unknown_key_abcdefgh", nil)
	s.callAs("live_access_wrong_credential_xyz", "GET", "/accounts", nil)
	s.callAs(ak.Key, "GET", "/api-keys/"+rotated.Key, nil)
	s.call("GET", "/nope/"+k.Key.Reveal(), nil)

	out := log.String()
	if !strings.Contains(out, `"op":"ApiKeyController_getKey"`) {
		t.Fatalf("the log shows no requests; is it wired?\n%s", out)
	}
	for name, secret := range map[string]string{
		"api key": k.Key.Reveal(), "custom key": custom.Key.Reveal(), "rotated key": rotated.Key,
		"bootstrap access key": s.AccessKey, "created access key": ak.Key,
		"unknown key": "live_unknown_key_abcdefgh", "wrong credential": "live_access_wrong_credential_xyz",
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
}

// A feature turned off (Firebase sign-in without a project id) answers
// anyone 501, which is no server failure: no ERROR line, and at most one
// INFO line per operation a minute, the next one counting those left out.
// Other operations keep their own lines.
func TestDisabledFeatureLogsQuietly(t *testing.T) {
	var log keywaytest.SyncBuffer
	s := startServerWithLog(t, keywaytest.SQLiteURL(t), &log)
	const op = "AuthController_registerUserViaFireBase"
	firebase := func(n int) {
		t.Helper()
		for range n {
			r := s.callAs("", "POST", "/auth/add-user-from-firebase", map[string]any{"idToken": "x.y.z"}).want(t, 501)
			r.wantJSON(t, `{"statusCode":501,"message":"Firebase sign-in is not configured (KEYWAY_FIREBASE_PROJECT_ID)","error":"Not Implemented"}`)
		}
	}
	type line struct {
		Level      string
		Msg        string
		Op         string
		Status     int
		Suppressed *int
	}
	lines := func() []line {
		t.Helper()
		var out []line
		for _, raw := range strings.Split(strings.TrimSpace(log.String()), "\n") {
			var l line
			if err := json.Unmarshal([]byte(raw), &l); err != nil {
				t.Fatalf("log line %q: %v", raw, err)
			}
			if l.Level == "ERROR" {
				t.Errorf("an ERROR line: %s", raw)
			}
			if l.Op == op {
				out = append(out, l)
			}
		}
		return out
	}
	firebase(50)
	got := lines()
	if len(got) != 1 || got[0].Level != "INFO" || got[0].Status != 501 || got[0].Suppressed == nil || *got[0].Suppressed != 0 {
		t.Fatalf("after 50 calls, lines %+v; want one INFO line", got)
	}
	// Other operations are not held back by it.
	const accounts = `"op":"accountsController_getAccountsByUser"`
	before := strings.Count(log.String(), accounts)
	for range 3 {
		s.call("GET", "/accounts", nil).want(t, 200)
	}
	if n := strings.Count(log.String(), accounts) - before; n != 3 {
		t.Errorf("%d lines of GET /accounts, want 3", n)
	}
	s.Clock.Advance(59 * time.Second)
	firebase(1)
	if got := lines(); len(got) != 1 {
		t.Fatalf("within the minute, lines %+v; want still one", got)
	}
	s.Clock.Advance(time.Second)
	firebase(2)
	got = lines()
	if len(got) != 2 || got[1].Suppressed == nil || *got[1].Suppressed != 50 {
		t.Fatalf("a minute on, lines %+v; want a second one counting the 50 left out", got)
	}
}
