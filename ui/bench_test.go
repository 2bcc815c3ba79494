package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/sqlstore"
)

// BenchmarkKeysPage serves a project's API keys page, first page and a
// search, with 10,000 keys in the project on SQLite (and PostgreSQL when
// KEYWAY_TEST_POSTGRES_URL is set), over a real server.
// It reports the 95th percentile of the server's answer time (the target
// is under 50 ms).
func BenchmarkKeysPage(b *testing.B) { keywaytest.ForEachDatabase(b, benchKeysPage) }

func benchKeysPage(b *testing.B, dbURL string) {
	d := start(b, dbURL)
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

// BenchmarkUsagePages serves the pages that read usage, with 10,000 keys
// in the project on SQLite (and on PostgreSQL when
// KEYWAY_TEST_POSTGRES_URL is set), over a real server, with usage in two
// shapes: "sparse", every key used in two of the last 30 days (one key in
// every hour of them), and "daily", every key used on each of the 30 days.
// Next to them, in the same run, the keys page and two baselines: the
// sign-in page (no store work) and REST's list of the same keys. Each
// reports the 95th percentile of the answer time (the target is under
// 50 ms).
func BenchmarkUsagePages(b *testing.B) {
	for _, shape := range []struct {
		name    string
		usesAgo func(i int) []time.Duration
	}{
		{"sparse", func(i int) []time.Duration {
			return []time.Duration{time.Duration(i%(30*24)) * time.Hour, time.Duration(i%7) * 24 * time.Hour}
		}},
		{"daily", func(i int) []time.Duration {
			// Within the last minute on each day, so that the day still
			// being counted has every key whatever the time of day.
			ago := make([]time.Duration, 30)
			for d := range ago {
				ago[d] = time.Duration(d)*24*time.Hour + time.Duration(i%60)*time.Second
			}
			return ago
		}},
	} {
		b.Run(shape.name, func(b *testing.B) {
			keywaytest.ForEachDatabase(b, func(b *testing.B, dbURL string) { benchUsagePages(b, dbURL, shape.usesAgo) })
		})
	}
}

// benchUsagePages serves the usage pages of a fresh project of 10,000
// keys, key i used at each of usesAgo(i) before now.
func benchUsagePages(b *testing.B, dbURL string, usesAgo func(i int) []time.Duration) {
	d := start(b, dbURL)
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
	keys := make([]*keyway.APIKey, n)
	for i := range n {
		if keys[i], err = svc.CreateAPIKey(ctx, caller, &keyway.APIKeyCreate{Name: fmt.Sprintf("customer %05d", i), ProjectID: pid}); err != nil {
			b.Fatal(err)
		}
	}
	// Usage goes straight into the store, at times spread over 30 days,
	// as flushes would have written it (the sealer is not used for it).
	sealer, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, dbURL, sealer)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Minute)
	var rows []keyway.Usage
	use := func(k *keyway.APIKey, at time.Time, i int) {
		rows = append(rows, keyway.Usage{KeyID: k.ID, ProjectID: pid, AccountID: k.AccountID, At: keyway.NewTime(at),
			Successful: int64(1 + i%50), Failed: int64(i % 7), RateLimited: int64(i % 3)})
	}
	for i, k := range keys {
		for _, ago := range usesAgo(i) {
			use(k, now.Add(-ago), i)
		}
	}
	for h := range 30 * 24 {
		use(keys[0], now.Add(-time.Duration(h)*time.Hour), h)
	}
	for c := range slices.Chunk(rows, 1000) {
		if err := st.RecordUsage(ctx, keyway.UsageChunk{ID: fmt.Sprintf("bench-%d", len(rows)-len(c)), At: keyway.NewTime(now), Rows: c}); err != nil {
			b.Fatal(err)
		}
		rows = rows[len(c):]
	}
	// Every node summarizes each day once it has ended (RunUsageSummaries).
	if _, err := st.SummarizeUsageDays(ctx, time.UnixMilli(0), now.Truncate(24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	project := "/ui/projects/" + pid
	key := "/ui/keys/" + keys[0].ID
	admin.get(project+"/analytics").want(b, 200).has(b, "customer 00000", "Next keys")
	admin.get(key).want(b, 200).has(b, "<svg")
	signin := d.browser()
	signin.get("/ui/signin").want(b, 200)
	restList := func() {
		req, _ := http.NewRequest("GET", d.URL+"/api-keys?projectId="+pid, nil)
		req.Header.Set("x-api-key", d.AccessKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(resp, err)
		}
		resp.Body.Close()
	}
	page := func(c *browser, path string) func() { return func() { c.get(path).want(b, 200) } }
	// The first view of a window adds up its days' summaries and the
	// current day's key rows (the service keeps the past days' totals per
	// window for the views after it): each of these asks for a window not
	// asked before.
	firstViews := 0
	firstView := func() {
		firstViews++
		admin.get(project+"/analytics?from="+now.AddDate(0, 0, -30-firstViews).Format("2006-01-02")).want(b, 200)
	}
	for _, bench := range []struct {
		name string
		run  func()
	}{
		{"baseline-signin", page(signin, "/ui/signin")},
		{"baseline-rest-list", restList},
		{"keys", page(admin, project+"/keys")},
		{"key", page(admin, key)},
		{"key-by-day", page(admin, key+"?by=day")},
		{"analytics", page(admin, project+"/analytics")},
		{"analytics-by-hour", page(admin, project+"/analytics?by=hour&from="+now.AddDate(0, 0, -6).Format("2006-01-02"))},
		{"analytics-first-view", firstView},
	} {
		b.Run(bench.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				bench.run()
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
