package ui_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
)

// BenchmarkKeysPage serves a project's API keys page, first page and a
// search, with 10,000 keys in the project on SQLite, over a real server.
// It reports the 95th percentile of the server's answer time (the target
// is under 50 ms).
func BenchmarkKeysPage(b *testing.B) {
	d := start(b, keywaytest.SQLiteURL(b))
	admin := d.setUp(b, "bench@example.com")
	admin.post("/ui/projects", url.Values{"name": {"Big"}, "env": {"live"}}).want(b, 303)
	pid := projectRE.FindStringSubmatch(admin.get("/ui/?env=live").Body)[1]
	var session string
	for _, c := range admin.jar.Cookies(mustURL(d.URL + "/ui/")) {
		if c.Name == "keyway_session" {
			session = c.Value
		}
	}
	svc, ctx := d.App.Service(), context.Background()
	caller, _, err := svc.SessionCaller(ctx, session)
	if err != nil {
		b.Fatal(err)
	}
	const n = 10000
	for i := range n {
		if _, err := svc.CreateAPIKey(ctx, caller, &keyway.APIKeyCreate{Name: fmt.Sprintf("customer %05d", i), ProjectID: pid}); err != nil {
			b.Fatal(err)
		}
	}
	paths := []string{"/ui/projects/" + pid + "/keys", "/ui/projects/" + pid + "/keys?q=customer+09999", "/ui/projects/" + pid + "/keys?status=all"}
	admin.get(paths[0]).want(b, 200).has(b, "Next page")
	var took []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		admin.get(paths[i%len(paths)]).want(b, 200)
		took = append(took, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
}
