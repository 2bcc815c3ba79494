package app_test

import (
	"fmt"
	"testing"

	"github.com/keywayhq/keyway"
)

// Keys created within one millisecond (the injected clock stands still)
// still list newest first, in reverse creation order, on every page.
func TestSameMillisecondKeysListNewestFirst(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		var created []string
		for i := range 5 {
			created = append(created, s.newKey(p.ID, map[string]any{"name": fmt.Sprint("k", i)}).Key.Reveal())
		}
		var listed []keyway.APIKey
		s.call("GET", "/api-keys?projectId="+p.ID, nil).want(t, 200).decode(t, &listed)
		if len(listed) != len(created) {
			t.Fatalf("listed %d keys, want %d", len(listed), len(created))
		}
		for i, k := range listed {
			if want := created[len(created)-1-i]; k.Key.Reveal() != want {
				t.Fatalf("position %d: %s, want %s (newest first)", i, k.Name, keyway.Fingerprint(want))
			}
		}
	})
}

// The legacy POST /auth/authenticate counts against the key's rate limit
// and answers with the same headers as the verification route.
func TestLegacyAuthenticateRateLimitHeaders(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.newKey(p.ID, map[string]any{"rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 60}})
		body := map[string]any{"credentials": map[string]any{"api_key": k.Key.Reveal()}}
		reset := iso(s.Clock.Now().Add(60e9))

		r := s.call("POST", "/auth/authenticate", body).want(t, 201)
		r.wantJSON(t, `{"authenticated":true,"customMetaData":{},"customAccountId":null,"customUserId":null}`)
		for name, want := range map[string]string{"ratelimit-limit": "1", "ratelimit-remaining": "0", "ratelimit-consumed": "1", "ratelimit-reset": reset} {
			if got := r.Header.Get(name); got != want {
				t.Errorf("201: %s = %q, want %q", name, got, want)
			}
		}
		if r.Header.Get("retry-after-seconds") != "" {
			t.Error("201 carries retry-after-seconds")
		}

		s.Clock.Advance(15e9)
		r = s.call("POST", "/auth/authenticate", body).want(t, 429)
		r.wantJSON(t, `{"statusCode":429,"message":"Too many requests"}`)
		for name, want := range map[string]string{"ratelimit-remaining": "0", "ratelimit-consumed": "1", "ratelimit-reset": reset, "retry-after-seconds": "45"} {
			if got := r.Header.Get(name); got != want {
				t.Errorf("429: %s = %q, want %q", name, got, want)
			}
		}
	})
}
