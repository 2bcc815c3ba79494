package app_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/keywayhq/keyway/keywaytest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// No key or access key reaches the log, whatever the call and its outcome,
// even at debug level.
func TestLogHoldsNoSecrets(t *testing.T) {
	var log syncBuffer
	s := startServerWithLog(t, keywaytest.SQLiteURL(t), &log)
	p := s.newProject("p", "live")
	k := s.newKey(p.ID, map[string]any{"rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 60}})
	custom := s.newKey(p.ID, map[string]any{"key": "my-custom-key-1234"})
	var rotated struct{ Key string }
	s.call("POST", "/api-keys/"+custom.Key+"/rotate", nil).want(t, 201).decode(t, &rotated)
	var ak struct{ Key string }
	s.call("POST", "/access-keys", map[string]any{"name": "a", "projectId": p.ID}).want(t, 201).decode(t, &ak)

	for range 2 {
		s.call("POST", "/api-keys/auth/"+k.Key, nil)
		s.call("GET", "/api-keys/auth/"+k.Key, nil)
	}
	s.call("POST", "/auth/authenticate", map[string]any{"credentials": map[string]any{"api_key": k.Key}})
	s.call("GET", "/api-keys/"+k.Key, nil)
	s.call("PATCH", "/api-keys/"+k.Key, map[string]any{"name": 5})
	s.call("DELETE", "/api-keys/"+k.Key, nil)
	s.call("DELETE", "/api-keys/"+k.Key, nil)
	s.call("GET", "/api-keys/live_unknown_key_abcdefgh", nil)
	s.callAs("live_access_wrong_credential_xyz", "GET", "/accounts", nil)
	s.callAs(ak.Key, "GET", "/api-keys/"+rotated.Key, nil)
	s.call("GET", "/nope/"+k.Key, nil)

	out := log.String()
	if !strings.Contains(out, `"op":"ApiKeyController_getKey"`) {
		t.Fatalf("the log shows no requests; is it wired?\n%s", out)
	}
	for name, secret := range map[string]string{
		"api key": k.Key, "custom key": custom.Key, "rotated key": rotated.Key,
		"bootstrap access key": s.AccessKey, "created access key": ak.Key,
		"unknown key": "live_unknown_key_abcdefgh", "wrong credential": "live_access_wrong_credential_xyz",
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
}
