package ui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// dash is a real Keyway on a fresh store, with what its first start printed.
type dash struct {
	t         testing.TB
	URL       string
	AccessKey string
	SetupURL  string
	App       *app.App
}

// start runs Keyway on a fresh store; tune, when given, changes its
// configuration first (mail, webhook networks, the flush interval).
func start(t testing.TB, dbURL string, tune ...func(*app.Config, *app.Options)) *dash {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Addr, cfg.DataDir, cfg.DatabaseURL, cfg.LogLevel = "127.0.0.1:0", t.TempDir(), dbURL, "error"
	cfg.SecretKey = base64.StdEncoding.EncodeToString(keycrypt.NewSecret())
	cfg.SigninAddressLimit = 10000
	var stderr bytes.Buffer
	opts := app.Options{Stderr: &stderr}
	for _, f := range tune {
		f(&cfg, &opts)
	}
	a := app.New(cfg, opts)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	block := stderr.String()
	d := &dash{t: t, URL: a.URL(), App: a}
	if m := regexp.MustCompile(`Setup link:  (\S+)`).FindStringSubmatch(block); m != nil {
		d.SetupURL = m[1]
	}
	if m := regexp.MustCompile(`Access key:  (\S+)`).FindStringSubmatch(block); m != nil {
		d.AccessKey = m[1]
	}
	if d.SetupURL == "" || d.AccessKey == "" {
		t.Fatalf("no setup link or access key in:\n%s", block)
	}
	return d
}

// browser is a client with its own cookies that does not follow
// redirects, so each answer can be checked.
type browser struct {
	d   *dash
	c   *http.Client
	jar *cookiejar.Jar
}

func (d *dash) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{d: d, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type answer struct {
	Status int
	Header http.Header
	Body   string
	// Cookies are the Set-Cookie lines of the answer.
	Cookies []*http.Cookie
}

func (b *browser) do(method, path string, form url.Values, headers ...string) *answer {
	b.d.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = b.d.URL + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.d.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.d.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &answer{Status: resp.StatusCode, Header: resp.Header, Body: string(data), Cookies: resp.Cookies()}
}

func (b *browser) get(path string) *answer { return b.do("GET", path, nil) }

// post sends a form as the page at path would: with that page's CSRF
// token and Keyway's own Origin.
func (b *browser) post(path string, form url.Values) *answer {
	b.d.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf())
	}
	return b.do("POST", path, form, "Origin", b.d.URL)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token the browser's current pages carry, read from a page.
func (b *browser) csrf() string {
	b.d.t.Helper()
	page := b.get("/ui/")
	if page.Status != 200 {
		page = b.get("/ui/signin")
	}
	m := csrfRE.FindStringSubmatch(page.Body)
	if m == nil {
		b.d.t.Fatalf("no csrf token on the page:\n%s", page.Body)
	}
	return m[1]
}

func (a *answer) want(t testing.TB, status int) *answer {
	t.Helper()
	if a.Status != status {
		t.Fatalf("status %d, want %d:\n%s", a.Status, status, a.Body)
	}
	return a
}

func (a *answer) redirects(t testing.TB, to string) *answer {
	t.Helper()
	a.want(t, http.StatusSeeOther)
	if got := a.Header.Get("Location"); got != to {
		t.Fatalf("redirect to %q, want %q", got, to)
	}
	return a
}

func (a *answer) has(t testing.TB, parts ...string) *answer {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(a.Body, p) {
			t.Fatalf("page lacks %q:\n%s", p, a.Body)
		}
	}
	return a
}

func (a *answer) lacks(t testing.TB, parts ...string) *answer {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(a.Body, p) {
			t.Fatalf("page has %q:\n%s", p, a.Body)
		}
	}
	return a
}

// setUp completes the first-run setup in a new browser, signed in as the
// admin of the bootstrapped account.
func (d *dash) setUp(t testing.TB, email string) *browser {
	t.Helper()
	b := d.browser()
	page := b.get(d.SetupURL).want(t, 200).has(t, "<h1>Set up Keyway</h1>", "Create admin account")
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(page.Body)[1]
	csrf := csrfRE.FindStringSubmatch(page.Body)[1]
	a := b.post("/ui/setup", url.Values{"csrf": {csrf}, "token": {token}, "email": {email}, "name": {"First Admin"}, "password": {"a long password 1"}})
	a.redirects(t, "/ui/")
	return b
}

func TestUI(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		d := start(t, dbURL)
		t.Run("headers and guards", func(t *testing.T) { testGuards(t, d) })
		admin := d.setUp(t, "admin@example.com")
		t.Run("journey", func(t *testing.T) { testJourney(t, d, admin) })
		t.Run("viewer", func(t *testing.T) { testViewer(t, d, admin) })
		t.Run("sign out", func(t *testing.T) { testSignOut(t, d) })
	})
}

const wantCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func checkHeaders(t testing.TB, path string, a *answer, private bool) {
	t.Helper()
	if got := a.Header.Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("%s: CSP %q", path, got)
	}
	if a.Header.Get("X-Content-Type-Options") != "nosniff" || a.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("%s: headers %v", path, a.Header)
	}
	if private && a.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: Cache-Control %q", path, a.Header.Get("Cache-Control"))
	}
}

func testGuards(t testing.TB, d *dash) {
	b := d.browser()
	for _, p := range []string{"/ui/", "/ui/signin", "/ui/signin/code", "/ui/forgot", "/ui/setup?token=nope", "/ui/no-such-page", "/ui/keys/x", "/ui/projects/x/keys"} {
		checkHeaders(t, p, b.get(p), true)
	}
	// Private pages without a session go to sign-in.
	for _, p := range []string{"/ui/", "/ui/projects/new", "/ui/keys/x", "/ui/projects/x/keys"} {
		b.get(p).redirects(t, "/ui/signin")
	}
	b.get("/ui/signin").want(t, 200).has(t, "<h1>Sign in</h1>", `for="email">Email`, `for="password">Password`, "Email me a code", "Forgot password?")
	// A wrong setup token shows no form.
	b.get("/ui/setup?token=kwsetup_nope").want(t, 404).has(t, "not valid").lacks(t, "Create admin account")
	b.get("/ui/no-such-page").want(t, 404).has(t, "Back to your projects")
	// Browsers at / go to the dashboard; API clients keep the JSON.
	b.do("GET", "/", nil, "Accept", "text/html,application/xhtml+xml").redirects(t, "/ui/")
	if a := b.do("GET", "/", nil, "Accept", "application/json"); a.Status != 200 || !strings.HasPrefix(a.Body, "{") {
		t.Fatalf("GET / for JSON: %d %s", a.Status, a.Body)
	}
	// Assets: hashed names cached for long, plain names not served.
	page := b.get("/ui/signin").Body
	for _, re := range []string{`/ui/static/app\.[0-9a-f]{12}\.css`, `/ui/static/app\.[0-9a-f]{12}\.js`} {
		p := regexp.MustCompile(re).FindString(page)
		if p == "" {
			t.Fatalf("no %s on the page", re)
		}
		a := b.get(p).want(t, 200)
		checkHeaders(t, p, a, false)
		if !strings.Contains(a.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: Cache-Control %q", p, a.Header.Get("Cache-Control"))
		}
	}
	b.get("/ui/static/app.js").want(t, 404)
	// Nothing inline: no script body or style attribute in any page.
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]|style=|<style`).MatchString(page) {
		t.Fatalf("inline script or style:\n%s", page)
	}
	// A sign-in POST without the token, or from another site, is refused.
	csrf := b.csrf()
	b.do("POST", "/ui/signin", url.Values{"email": {"a@example.com"}, "password": {"x"}}, "Origin", d.URL).want(t, 403)
	b.do("POST", "/ui/signin", url.Values{"csrf": {"forged"}, "email": {"a@example.com"}, "password": {"x"}}, "Origin", d.URL).want(t, 403)
	b.do("POST", "/ui/signin", url.Values{"csrf": {csrf}, "email": {"a@example.com"}, "password": {"x"}}, "Origin", "https://evil.example").want(t, 403)
	b.do("POST", "/ui/signin", url.Values{"csrf": {csrf}, "email": {"a@example.com"}, "password": {"x"}}, "Sec-Fetch-Site", "cross-site").want(t, 403)
	// Pages send Referrer-Policy no-referrer, so a browser's own form POST
	// says Origin: null; only Sec-Fetch-Site then tells it from a foreign one.
	b.do("POST", "/ui/signin", url.Values{"csrf": {csrf}, "email": {"a@example.com"}, "password": {"x"}}, "Origin", "null").want(t, 403)
	b.do("POST", "/ui/signin", url.Values{"csrf": {csrf}, "email": {"a@example.com"}, "password": {"x"}}, "Origin", "null", "Sec-Fetch-Site", "cross-site").want(t, 403)
	b.do("POST", "/ui/signin", url.Values{"csrf": {csrf}, "email": {"a@example.com"}, "password": {"wrong password"}}, "Origin", "null", "Sec-Fetch-Site", "same-origin").want(t, 401)
	// With both, a wrong password is the service's 401, shown in an alert,
	// the email kept.
	b.do("POST", "/ui/signin", url.Values{"csrf": {csrf}, "email": {"a@example.com"}, "password": {"wrong password"}}, "Origin", d.URL).
		want(t, 401).has(t, `role="alert"`, `value="a@example.com"`)
}

var (
	projectRE = regexp.MustCompile(`href="/ui/projects/([^/"]+)/keys">`)
	keyRE     = regexp.MustCompile(`<code data-testid="new-key" id="new-key">([^<]+)</code>`)
	keyLinkRE = regexp.MustCompile(`href="/ui/keys/([^"/]+)">`)
)

// verify verifies a key over REST with the bootstrapped access key.
func (d *dash) verify(t testing.TB, key string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", d.URL+"/api-keys/auth/"+url.PathEscape(key), nil)
	req.Header.Set("x-api-key", d.AccessKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func testJourney(t testing.TB, d *dash, b *browser) {
	b.get("/ui/").want(t, 200).has(t, "<h1>Projects</h1>", `aria-current="page">Live`, "New project", "No live projects")
	// A bad project name is the service's message; the form keeps its values.
	b.post("/ui/projects", url.Values{"name": {""}, "env": {"test"}}).want(t, 400).has(t, `role="alert"`, `value="test" checked`)
	b.post("/ui/projects", url.Values{"name": {"Shop"}, "env": {"live"}}).redirects(t, "/ui/?env=live")
	m := projectRE.FindStringSubmatch(b.get("/ui/?env=live").has(t, ">Shop</a>", "Rename", "Delete").Body)
	if m == nil {
		t.Fatal("no project link")
	}
	pid := m[1]
	b.get("/ui/?env=test").has(t, "No test projects").lacks(t, ">Shop</a>")
	keys := "/ui/projects/" + pid + "/keys"
	b.get(keys).want(t, 200).has(t, "<h1>API keys</h1>", "New API key", "Search by name", "no API keys yet")

	// A key whose name is markup is shown as text.
	const evil = `<img src=x onerror=alert(1)>`
	bad := b.post(keys, url.Values{"name": {"x"}, "metadata": {"{not json"}})
	bad.want(t, 400).has(t, "Metadata is not valid JSON")
	// The new key is shown once on the page the create redirects to.
	created := b.post(keys, url.Values{"name": {evil}, "rateLimit": {"5"}, "rateLimitTtl": {"60"}, "customUserId": {"u1"}, "metadata": {`{"plan":"pro"}`}}).want(t, 303)
	created = b.get(created.Header.Get("Location"))
	created.want(t, 200).has(t, "Copy your new API key", "Copy key", "It will not be shown again.", "&lt;img src=x onerror=alert(1)&gt;").lacks(t, evil)
	key := keyRE.FindStringSubmatch(created.Body)[1]
	if !strings.HasPrefix(key, "live_") || !strings.Contains(created.Body, "/api-keys/auth/"+key) || !strings.Contains(created.Body, `isValidKey("`+key) {
		t.Fatalf("key %q or its snippets missing:\n%s", key, created.Body)
	}
	if d.verify(t, key) != 200 {
		t.Fatal("the created key does not verify")
	}
	list := b.get(keys).want(t, 200).lacks(t, key, evil).has(t, key[:9]+"…"+key[len(key)-4:], "5 / 60 s")
	kid := keyLinkRE.FindStringSubmatch(list.Body)[1]
	// Filters: by custom user id, and status.
	b.get(keys+"?customUserId=u1").has(t, key[len(key)-4:])
	b.get(keys+"?customUserId=other").has(t, "No key matches").lacks(t, key[len(key)-4:])

	detail := b.get("/ui/keys/"+kid).want(t, 200).has(t, "<h1>&lt;img", "Edit", "Rotate", "Revoke", "u1").lacks(t, key, "Reactivate")
	_ = detail
	b.get("/ui/keys/"+kid+"/rotate").want(t, 200).has(t, "Rotate key")
	// Rotation without the token changes nothing.
	b.do("POST", "/ui/keys/"+kid+"/rotate", url.Values{}, "Origin", d.URL).want(t, 403)
	if d.verify(t, key) != 200 {
		t.Fatal("a refused rotation changed the key")
	}
	rotated := b.post("/ui/keys/"+kid+"/rotate", nil).want(t, 303)
	rotated = b.get(rotated.Header.Get("Location")).want(t, 200).has(t, "Copy your new API key")
	newKey := keyRE.FindStringSubmatch(rotated.Body)[1]
	if newKey == key || d.verify(t, newKey) != 200 || d.verify(t, key) != 404 {
		t.Fatalf("rotation: old %s new %s", key, newKey)
	}
	b.get("/ui/keys/"+kid+"/revoke").want(t, 200).has(t, "Revoke key")
	b.post("/ui/keys/"+kid+"/revoke", nil).redirects(t, "/ui/keys/"+kid)
	b.get("/ui/keys/"+kid).has(t, "Reactivate", "Revoked").lacks(t, ">Rotate<")
	if d.verify(t, newKey) == 200 {
		t.Fatal("a revoked key verifies")
	}
	b.get(keys+"?status=revoked").has(t, "Revoked", newKey[len(newKey)-4:])
	b.get(keys+"?status=active").lacks(t, newKey[len(newKey)-4:])
	b.get(keys+"?status=all").has(t, newKey[len(newKey)-4:])
	b.post("/ui/keys/"+kid+"/reactivate", nil).redirects(t, "/ui/keys/"+kid)
	b.get("/ui/keys/"+kid).has(t, ">Revoke<").lacks(t, "Reactivate")
	if d.verify(t, newKey) != 200 {
		t.Fatal("a reactivated key does not verify")
	}
	// Edit: rename and clear the rate limit.
	b.get("/ui/keys/"+kid+"/edit").want(t, 200).has(t, `value="5"`, `value="60"`, "Project Shop (live)")
	b.post("/ui/keys/"+kid+"/edit", url.Values{"name": {"renamed"}, "rateLimit": {""}, "rateLimitTtl": {""}}).redirects(t, "/ui/keys/"+kid)
	b.get("/ui/keys/"+kid).has(t, "<h1>renamed</h1>", "none")

	// Rename and delete the project, the delete only with its name typed.
	b.post("/ui/projects/"+pid+"/rename", url.Values{"name": {"Shop 2"}}).redirects(t, "/ui/?env=live")
	b.get("/ui/projects/"+pid+"/delete").want(t, 200).has(t, "Type the project name to confirm", "Delete project")
	b.post("/ui/projects/"+pid+"/delete", url.Values{"confirm": {"Shop"}}).want(t, 400).has(t, `role="alert"`)
	b.get("/ui/?env=live").has(t, ">Shop 2</a>")
	b.post("/ui/projects/"+pid+"/delete", url.Values{"confirm": {"Shop 2"}}).redirects(t, "/ui/?env=live")
	b.get("/ui/?env=live").lacks(t, ">Shop 2</a>")
	// An unknown key id is a 404 page, not a 500.
	b.get("/ui/keys/00000000-0000-7000-8000-000000000000").want(t, 404)
}

// rest calls the JSON API with a bearer token or access key.
func rest(t testing.TB, d *dash, method, path, auth, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, d.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if strings.HasPrefix(auth, "live_access_") {
		req.Header.Set("x-api-key", auth)
	} else if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// signIn signs a browser in through the sign-in form.
func (d *dash) signIn(t testing.TB, email, pw string) *browser {
	t.Helper()
	b := d.browser()
	b.post("/ui/signin", url.Values{"email": {email}, "password": {pw}}).redirects(t, "/ui/")
	for _, c := range b.jar.Cookies(mustURL(d.URL + "/ui/")) {
		if c.Name == "keyway_session" {
			return b
		}
	}
	t.Fatal("no session cookie after sign-in")
	return nil
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func testViewer(t testing.TB, d *dash, admin *browser) {
	admin.post("/ui/projects", url.Values{"name": {"Viewed"}, "env": {"live"}}).want(t, 303)
	pid := regexp.MustCompile(`href="/ui/projects/([^/"]+)/keys">Viewed<`).FindStringSubmatch(admin.get("/ui/?env=live").Body)[1]
	// The admin invites a viewer (over REST here; team_test.go does it in
	// the dashboard); the viewer signs up with the invitation.
	v := inviteViewer(t, d, "viewer@example.com")
	v.get("/ui/").want(t, 200).has(t, ">Viewed</a>").lacks(t, "New project", "Rename")
	keys := "/ui/projects/" + pid + "/keys"
	v.get(keys).want(t, 200).has(t, "<h1>API keys</h1>").lacks(t, "New API key")
	// A forged create from the viewer's session is refused by the service
	// and creates nothing.
	v.post(keys, url.Values{"name": {"forged"}}).want(t, 403)
	v.post("/ui/projects", url.Values{"name": {"forged"}, "env": {"live"}}).want(t, 403)
	admin.get(keys).has(t, "no API keys yet").lacks(t, "forged")
	admin.get("/ui/?env=live").lacks(t, "forged")
	// The account switcher refuses an account the viewer is not in.
	v.post("/ui/account", url.Values{"account": {"00000000-0000-7000-8000-000000000000"}}).want(t, 404)
}

func testSignOut(t testing.TB, d *dash) {
	b := d.signIn(t, "admin@example.com", "a long password 1")
	var session *http.Cookie
	for _, c := range b.jar.Cookies(mustURL(d.URL + "/ui/")) {
		if c.Name == "keyway_session" {
			session = c
		}
	}
	// The cookie's flags, as set.
	csrf := b.csrf()
	fresh := d.browser()
	csrf2 := csrfRE.FindStringSubmatch(fresh.get("/ui/signin").Body)[1]
	a := fresh.do("POST", "/ui/signin", url.Values{"csrf": {csrf2}, "email": {"admin@example.com"}, "password": {"a long password 1"}}, "Origin", d.URL)
	var set *http.Cookie
	for _, c := range a.Cookies {
		if c.Name == "keyway_session" {
			set = c
		}
	}
	if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteStrictMode || set.Path != "/ui/" || set.Secure {
		t.Fatalf("session cookie %+v", set)
	}
	// Someone still signed in who opens the sign-in page can sign in
	// again: its form carries the token the guard checks for their cookie.
	again := d.signIn(t, "admin@example.com", "a long password 1")
	tok := csrfRE.FindStringSubmatch(again.get("/ui/signin").want(t, 200).Body)[1]
	again.do("POST", "/ui/signin", url.Values{"csrf": {tok}, "email": {"admin@example.com"}, "password": {"a long password 1"}}, "Origin", d.URL).redirects(t, "/ui/")
	b.do("POST", "/ui/signout", url.Values{"csrf": {csrf}}, "Origin", d.URL).redirects(t, "/ui/signin")
	// The old cookie no longer works, even sent by hand.
	replay := d.browser()
	replay.jar.SetCookies(mustURL(d.URL+"/ui/"), []*http.Cookie{{Name: "keyway_session", Value: session.Value, Path: "/ui/"}})
	replay.get("/ui/").redirects(t, "/ui/signin")
}

// inviteViewer invites email as a viewer of the bootstrapped account over
// REST and signs the person up and in.
func inviteViewer(t testing.TB, d *dash, email string) *browser {
	t.Helper()
	_, accounts := rest(t, d, "GET", "/accounts", d.AccessKey, "")
	acct := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(accounts)[1]
	st, inv := rest(t, d, "POST", "/invitations", d.AccessKey, `{"emails":["`+email+`"],"role":"viewer","accountId":"`+acct+`"}`)
	if st != 201 {
		t.Fatalf("invite: %d %s", st, inv)
	}
	invID := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(inv)[1]
	if st, body := rest(t, d, "POST", "/auth/signup", "", `{"email":"`+email+`","password":"viewer password 1","name":"Vi","invitationId":"`+invID+`"}`); st != 201 {
		t.Fatalf("signup: %d %s", st, body)
	}
	return d.signIn(t, email, "viewer password 1")
}
