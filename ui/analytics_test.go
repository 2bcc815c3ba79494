package ui_test

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/service"
)

// startFlushing is start with usage flushed every 20 ms, as app's own
// tests run it, so verifications reach the charts at once (a real
// server flushes every 10 s).
func startFlushing(t testing.TB, dbURL string) *dash {
	return start(t, dbURL, func(_ *app.Config, o *app.Options) { o.FlushInterval = 20 * time.Millisecond })
}

// verifyFrom verifies a key over REST as a browser page of origin would
// (no x-origin-domain when origin is "").
func verifyFrom(t testing.TB, d *dash, key, origin string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", d.URL+"/api-keys/auth/"+url.PathEscape(key), nil)
	req.Header.Set("x-api-key", d.AccessKey)
	if origin != "" {
		req.Header.Set("x-origin-domain", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// counts are a chart's totals as the page shows them: successful,
// failed, rate-limited, total.
type counts [4]string

var countsRE = regexp.MustCompile(`data-testid="successful" data-num>(\d+)</dd>[\s\S]*?data-testid="failed" data-num>(\d+)</dd>[\s\S]*?data-testid="rate-limited" data-num>(\d+)</dd>[\s\S]*?data-testid="total" data-num>(\d+)</dd>`)

// chartCounts reads the totals of the chart whose data-testid is id.
func chartCounts(t testing.TB, body, id string) counts {
	t.Helper()
	i := strings.Index(body, `<figure class="chart" data-testid="`+id+`">`)
	if i < 0 {
		t.Fatalf("no chart %s on the page:\n%s", id, body)
	}
	end := strings.Index(body[i:], "</figure>")
	m := countsRE.FindStringSubmatch(body[i : i+end])
	if m == nil {
		t.Fatalf("chart %s has no totals:\n%s", id, body[i:i+end])
	}
	return counts{m[1], m[2], m[3], m[4]}
}

var exportRE = regexp.MustCompile(`<a class="button" href="([^"]+)" download data-testid="export-csv">Export CSV</a>`)

func TestAnalytics(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		d := startFlushing(t, dbURL)
		admin := d.setUp(t, "admin@example.com")
		testAnalyticsJourney(t, d, admin)
	})
}

func testAnalyticsJourney(t *testing.T, d *dash, b *browser) {
	const evil = `<img src=x onerror=alert(1)>`
	b.post("/ui/projects", url.Values{"name": {"Shop " + evil}, "env": {"live"}}).want(t, 303)
	pid := projectRE.FindStringSubmatch(b.get("/ui/?env=live").Body)[1]
	keys := "/ui/projects/" + pid + "/keys"
	analytics := "/ui/projects/" + pid + "/analytics"
	b.get(keys).want(t, 200).has(t, `<a href="`+analytics+`">Analytics</a>`)

	// Before any verification: empty states that say what comes.
	empty := b.get(analytics).want(t, 200)
	empty.has(t, "<h1>Analytics</h1>", `for="by">Group by`, `for="from">From`, `for="to">To`, ">Show</button>",
		"No verifications in this range yet", "No key of this project was verified in this range.", "Export CSV").
		lacks(t, evil, "<svg")
	checkHeaders(t, analytics, empty, true)

	// A key limited to 3 verifications a minute, from good.example only.
	created := b.post(keys, url.Values{"name": {evil}, "rateLimit": {"3"}, "rateLimitTtl": {"60"}, "allowedDomains": {"good.example"}, "customUserId": {"u1"}})
	created = b.get(created.want(t, 303).Header.Get("Location")).want(t, 200)
	key := keyRE.FindStringSubmatch(created.Body)[1]
	kid := keyLinkRE.FindStringSubmatch(b.get(keys).Body)[1]
	page := "/ui/keys/" + kid
	first := b.get(page).want(t, 200)
	if got := chartCounts(t, first.Body, "usage-hour"); got != (counts{"0", "0", "0", "0"}) {
		t.Fatalf("a new key's chart: %v", got)
	}
	first.has(t, "No verifications in this range yet")

	// 3 successful, 2 refused for their origin (failed), 2 over the limit.
	var got []int
	for _, origin := range []string{"", "good.example", "", "bad.example", "evil.example", "", ""} {
		got = append(got, verifyFrom(t, d, key, origin))
	}
	if want := []int{200, 200, 200, 403, 403, 429, 429}; !slices.Equal(got, want) {
		t.Fatalf("verifications answered %v, want %v", got, want)
	}
	want := counts{"3", "2", "2", "7"}
	var detail *answer
	keywaytest.EventuallyShows(t, "the verifications in the key's chart", func() (bool, string) {
		detail = b.get(page)
		c := chartCounts(t, detail.Body, "usage-hour")
		return c == want, strings.Join(c[:], " ")
	})
	if c := chartCounts(t, detail.Body, "usage-day"); c != want {
		t.Fatalf("by day: %v", c)
	}
	// By hour shows first; the day chart is there, hidden, for app.js to
	// switch to, and ?by=day swaps them without JavaScript.
	detail.has(t, `<div id="usage-hour" data-chart>`, `<div id="usage-day" data-chart hidden>`,
		`href="/ui/keys/`+kid+`?by=day" data-show="usage-day">By day</a>`, `data-show="usage-hour" aria-current="true">By hour</a>`,
		`role="img" aria-label="Verifications by hour`, "3 successful, 2 failed, 2 rate-limited, 7 in total",
		"Show the numbers as a table", `class="ok"`, `class="failed"`, `class="limited"`, "UTC+00:00").
		lacks(t, key, evil)
	b.get(page+"?by=day").want(t, 200).has(t, `<div id="usage-hour" data-chart hidden>`, `<div id="usage-day" data-chart>`,
		`data-show="usage-day" aria-current="true">By day</a>`)
	// One bar per hour of the last 24, each with its title.
	hourChart := detail.Body[strings.Index(detail.Body, `data-testid="usage-hour"`):strings.Index(detail.Body, `data-testid="usage-day"`)]
	if n := strings.Count(hourChart, `<g class="bar"><title>`); n != 24 {
		t.Fatalf("%d bars by hour, want 24", n)
	}
	if !strings.Contains(hourChart, ": 3 successful, 2 failed, 2 rate-limited (7 in total)</title>") {
		t.Fatalf("no bar says what it counts:\n%s", hourChart)
	}
	noInline(t, detail)

	// The project's analytics: the same numbers, the key first among the
	// most used, linked by id, its key string masked.
	a := b.get(analytics).want(t, 200)
	if c := chartCounts(t, a.Body, "project-usage"); c != want {
		t.Fatalf("project chart: %v", c)
	}
	a.has(t, `data-testid="top-keys"`, `<a href="/ui/keys/`+kid+`">&lt;img src=x onerror=alert(1)&gt;</a>`, key[:9]+"…"+key[len(key)-4:],
		"Shop &lt;img src=x onerror=alert(1)&gt;").lacks(t, key, evil)
	noInline(t, a)
	for _, by := range []string{"hour", "day", "week", "month"} {
		if c := chartCounts(t, b.get(analytics+"?by="+by).want(t, 200).has(t, `value="`+by+`" selected`).Body, "project-usage"); c != want {
			t.Fatalf("by %s: %v", by, c)
		}
	}

	// The export: a link with ids and dates only, the CSV REST gives for
	// the same range, as a download.
	m := exportRE.FindStringSubmatch(a.Body)
	if m == nil {
		t.Fatalf("no export link:\n%s", a.Body)
	}
	href := html.UnescapeString(m[1])
	u := mustURL(d.URL + href)
	if u.Path != analytics+"/export" || strings.Contains(href, key) || len(u.Query()) != 3 {
		t.Fatalf("export link %s", href)
	}
	export := b.get(href).want(t, 200)
	if export.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(export.Header.Get("Content-Disposition"), `attachment; filename="keyway-usage-shop-img-src-x-onerror-alert-1-`) ||
		export.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("export headers %v", export.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(export.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || !slices.Equal(rows[0], service.ExportHeader) ||
		!slices.Equal(rows[1][:5], []string{pid, key, evil, "", "u1"}) || !slices.Equal(rows[1][6:], []string{"3", "2", "2", "7"}) {
		t.Fatalf("export rows %q", rows)
	}
	q := u.Query()
	from, _ := time.Parse("2006-01-02", q.Get("from"))
	to, _ := time.Parse("2006-01-02", q.Get("to"))
	st, restCSV := rest(t, d, "GET", "/analytics/export?"+url.Values{"projectId": {pid}, "dateGrouping": {"day"},
		"from": {from.Format(time.RFC3339)}, "to": {to.AddDate(0, 0, 1).Format(time.RFC3339)}}.Encode(), d.AccessKey, "")
	if st != 200 || restCSV != export.Body {
		t.Fatalf("REST export %d:\n%s\nUI export:\n%s", st, restCSV, export.Body)
	}

	// Bad input is said in the form's words, the form keeps what was
	// typed, and there is no chart and no export link.
	today := time.Now().UTC().Format("2006-01-02")
	for _, c := range []struct {
		query, msg string
	}{
		{"by=year", "Group by must be hour, day, week or month."},
		{"from=yesterday&to=" + today, "From is not a date: use the form YYYY-MM-DD"},
		{"from=2026-01-01&to=2026-13-45", "To is not a date"},
		{"from=2026-02-10&to=2026-02-01", "From must be on or before To"},
		{"by=hour&from=2026-01-01&to=2026-03-01", "By hour shows at most 31 days"},
		{"from=2024-01-01&to=2026-01-01", "from and to must be at most 400 days apart"},
	} {
		bad := b.get(analytics+"?"+c.query).want(t, 400).has(t, `role="alert"`, c.msg, "Correct the range above").lacks(t, "Export CSV", "<svg")
		if strings.Contains(c.query, "yesterday") {
			bad.has(t, `value="yesterday"`)
		}
		if strings.Contains(c.query, "year") {
			bad.has(t, `<select id="by" name="by">`).lacks(t, "year\" selected")
		}
		b.get(analytics+"/export?"+c.query).want(t, 400).has(t, c.msg)
	}
	// A project that is not there, or not the caller's, is not found.
	b.get("/ui/projects/00000000-0000-7000-8000-000000000000/analytics").want(t, 404)
	b.get("/ui/projects/00000000-0000-7000-8000-000000000000/analytics/export").want(t, 404)

	// A viewer of the account sees the charts and may export, as the
	// service allows any role in the project; the numbers are the same.
	viewer := inviteViewer(t, d, "analytics-viewer@example.com")
	va := viewer.get(analytics).want(t, 200)
	if c := chartCounts(t, va.Body, "project-usage"); c != want {
		t.Fatalf("viewer's chart: %v", c)
	}
	va.has(t, "Export CSV").lacks(t, key)
	viewer.get(href).want(t, 200)
	if c := chartCounts(t, viewer.get(page).want(t, 200).Body, "usage-day"); c != want {
		t.Fatalf("viewer's key chart: %v", c)
	}

	// Someone of another account gets 404 for all of it.
	if st, body := rest(t, d, "POST", "/auth/signup", "", `{"email":"stranger@example.com","password":"stranger password 1","name":"Stranger"}`); st != 201 {
		t.Fatalf("signup: %d %s", st, body)
	}
	stranger := d.signIn(t, "stranger@example.com", "stranger password 1")
	for _, p := range []string{analytics, href, analytics + "?by=year", page, page + "?by=day"} {
		stranger.get(p).want(t, 404).lacks(t, key, "Shop", "&lt;img")
	}
}
