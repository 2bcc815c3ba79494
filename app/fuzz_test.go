package app_test

import (
	"testing"

	"github.com/keywayhq/keyway/keywaytest"
)

// FuzzWriteBodies sends arbitrary bodies to every write of the API-key
// surface. Whatever the bytes, the answer is a 2xx or a 4xx, never a 5xx.
// `go test` runs the seeds; `go test -fuzz FuzzWriteBodies ./app/` explores.
func FuzzWriteBodies(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `1`, `{"name":"k"}`, `{"name":5}`, `{"name":null}`,
		`{"name":"k","expiry":"2026-13-45"}`, `{"name":"k","expiry":null}`, `{"name":"k","expiry":12}`,
		`{"name":"k","rateLimitConfigs":{"rateLimit":-1,"rateLimitTtl":1e30}}`,
		`{"name":"k","rateLimitConfigs":{"rateLimit":1.5,"rateLimitTtl":"x"}}`,
		`{"name":"k","allowedDomains":["*.","*.*.x","a..b",""]}`, `{"name":"k","allowedDomains":[1]}`,
		`{"name":"k","customMetaData":{"a":{"b":[1,2,{"c":null}]}}}`, `{"name":"k","customMetaData":"s"}`,
		`{"name":"k","key":"../../etc"}`, `{"name":"k","key":"` + "\u0000" + `"}`, `{"name":"\ud800"}`,
		`{"name":"k","customUserId":{"$gt":""}}`, `{"name":"k"`, `{"name":"k"}}`, `{"credentials":{"api_key":7}}`,
	} {
		f.Add(seed)
	}
	s := startServer(f, keywaytest.SQLiteURL(f))
	p := s.newProject("fuzz", "live")
	k := s.newKey(p.ID, nil)
	f.Fuzz(func(t *testing.T, body string) {
		for _, c := range []struct{ method, path string }{
			{"POST", "/api-keys"},
			{"PATCH", "/api-keys/" + k.Key},
			{"PATCH", "/api-keys/" + k.Key + "/reactivate"},
			{"POST", "/projects"},
			{"PATCH", "/projects/" + p.ID},
			{"POST", "/access-keys"},
			{"POST", "/auth/authenticate"},
		} {
			r := s.withT(t).call(c.method, c.path, body)
			if r.Status >= 500 {
				t.Fatalf("%s %s with %q: %d %s", c.method, c.path, body, r.Status, r.Body)
			}
		}
	})
}
