package app_test

import (
	"strings"
	"testing"

	"github.com/keywayhq/keyway/keywaytest"
)

// /metrics counts what happened: requests by operation and status,
// verification outcomes, cache hits and misses.
func TestMetrics(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	// The key filter is built in the background; once it is, the unknown
	// key below is refused by it, not loaded.
	keywaytest.Eventually(t, "the key filter to be built", func() bool {
		return strings.Contains(string(s.call("GET", "/metrics", nil, "x-api-key", "").Body), "\nkeyway_key_filter_builds_total 1\n")
	})
	p := s.newProject("p", "live")
	k := s.newKey(p.ID, map[string]any{"rateLimitConfigs": map[string]any{"rateLimit": 2, "rateLimitTtl": 60}})
	for range 3 {
		s.call("POST", "/api-keys/auth/"+k.Key.Reveal(), nil)
	}
	s.call("POST", "/api-keys/auth/live_unknown_0123456789", nil).want(t, 404)
	s.call("GET", "/api-keys/"+k.Key.Reveal(), nil).want(t, 200)

	r := s.call("GET", "/metrics", nil, "x-api-key", "").want(t, 200)
	body := string(r.Body)
	for _, line := range []string{
		`keyway_verifications_total{outcome="valid"} 2`,
		`keyway_verifications_total{outcome="rate_limited"} 1`,
		`keyway_verifications_total{outcome="invalid"} 1`,
		`keyway_verifications_total{outcome="origin_denied"} 0`,
		`keyway_cache_lookups_total{cache="api_key",result="hit"} 2`,
		`keyway_cache_lookups_total{cache="api_key",result="miss"} 1`,
		`keyway_key_filter_refusals_total 1`,
		`keyway_http_requests_total{code="200",op="ApiKeyController_authenticateKey"} 2`,
		`keyway_http_requests_total{code="429",op="ApiKeyController_authenticateKey"} 1`,
		`keyway_http_requests_total{code="404",op="ApiKeyController_authenticateKey"} 1`,
		`keyway_http_requests_total{code="200",op="ApiKeyController_getKey"} 1`,
		`keyway_http_requests_total{code="201",op="ApiKeyController_generateClientKey"} 1`,
		`keyway_invalidations_received_total 0`,
		// Verification latency is sampled; management calls are all timed.
		`keyway_http_request_duration_seconds_count{op="ApiKeyController_getKey"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
	if strings.Contains(body, k.Key.Reveal()) || strings.Contains(body, s.AccessKey) {
		t.Error("/metrics shows a key")
	}
}
