package ui_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway/keywaytest"
)

const evilText = `<img src=x onerror=alert(1)>`

// TestSettingsSystemAndKeys covers the settings page, the admins' system
// page, key reveal and the API-key page fixes (show-once after a redirect,
// edit saving only what changed, the "All" groups, narrow screens).
func TestSettingsSystemAndKeys(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		d := start(t, dbURL)
		admin := d.setUp(t, "admin@example.com")
		viewer := inviteViewer(t, d, "viewer@example.com")
		t.Run("settings", func(t *testing.T) { testSettings(t, d, admin, viewer) })
		t.Run("system", func(t *testing.T) { testSystem(t, d, admin, viewer, dbURL) })
		t.Run("keys", func(t *testing.T) { testKeyFixes(t, d, admin, viewer) })
		t.Run("password", func(t *testing.T) { testPasswordChange(t, d) })
	})
}

func testSettings(t *testing.T, d *dash, admin, viewer *browser) {
	admin.get("/ui/settings").want(t, 200).has(t, "<h1>Settings</h1>", `for="account-name">Account name`, "Save account name",
		`for="user-name">Your name`, `value="First Admin"`, `for="current-password">Current password`, `for="new-password">New password`, "Change password")
	// Bad input re-renders with the message and the input kept.
	admin.post("/ui/settings/account", url.Values{"name": {""}}).want(t, 400).has(t, `role="alert"`, "Save account name")
	admin.post("/ui/settings/account", url.Values{"name": {strings.Repeat("x", 300)}}).want(t, 400).has(t, `role="alert"`, strings.Repeat("x", 300))
	admin.post("/ui/settings/profile", url.Values{"name": {""}}).want(t, 400).has(t, `role="alert"`, "Save name")
	admin.post("/ui/settings/password", url.Values{"current": {"wrong password 1"}, "new": {"another long password"}}).want(t, 401).has(t, `role="alert"`)
	admin.post("/ui/settings/password", url.Values{"current": {"a long password 1"}, "new": {"x"}}).want(t, 400).has(t, `role="alert"`)
	// The old password still works after those refusals.
	d.signIn(t, "admin@example.com", "a long password 1")

	// Names that are markup are saved and shown as text.
	admin.post("/ui/settings/account", url.Values{"name": {evilText}}).redirects(t, "/ui/settings?saved=account")
	admin.get("/ui/settings?saved=account").want(t, 200).has(t, "Account name saved.", "&lt;img src=x onerror=alert(1)&gt;").lacks(t, evilText)
	admin.post("/ui/settings/profile", url.Values{"name": {"Ada " + evilText}}).redirects(t, "/ui/settings?saved=profile")
	admin.get("/ui/settings?saved=profile").has(t, "Your name is saved.", `value="Ada &lt;img`).lacks(t, evilText)
	admin.post("/ui/settings/account", url.Values{"name": {"Acme"}}).redirects(t, "/ui/settings?saved=account")

	// A viewer sees the account name but no form for it, and a forged
	// rename is the service's 403, changing nothing.
	viewer.get("/ui/settings").want(t, 200).has(t, "Acme", "Only an admin of this account can rename it.", "Save name").lacks(t, "Save account name")
	viewer.post("/ui/settings/account", url.Values{"name": {"forged"}}).want(t, 403)
	admin.get("/ui/settings").has(t, `value="Acme"`).lacks(t, "forged")
	// A viewer renames themself.
	viewer.post("/ui/settings/profile", url.Values{"name": {"Vivian"}}).redirects(t, "/ui/settings?saved=profile")
	viewer.get("/ui/settings").has(t, `value="Vivian"`)
	// Without the CSRF token nothing is saved.
	viewer.do("POST", "/ui/settings/profile", url.Values{"name": {"no token"}}, "Origin", d.URL).want(t, 403)
	viewer.get("/ui/settings").lacks(t, "no token")
}

func testSystem(t *testing.T, d *dash, admin, viewer *browser, dbURL string) {
	page := admin.get("/ui/system").want(t, 200).has(t, "<h1>System</h1>", `data-testid="system-version"`,
		`href="/metrics"`, `href="/openapi.json"`, "Redis", "not configured", "Invalidation channel", "reachable")
	if strings.HasPrefix(dbURL, "postgres") {
		// The bus connects in the background: poll until it says so.
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(page.Body, ">connected</span>") && time.Now().Before(deadline); {
			page = admin.get("/ui/system").want(t, 200)
		}
		page.has(t, "PostgreSQL", "PostgreSQL LISTEN/NOTIFY", ">connected</span>").lacks(t, "postgres@", "SQLite")
	} else {
		page.has(t, "SQLite (embedded)", "none: one node").lacks(t, "PostgreSQL")
	}
	checkHeaders(t, "/ui/system", page, true)
	admin.get("/ui/").has(t, `href="/ui/system"`)
	// Not for non-admins: no link, and the page is refused.
	viewer.get("/ui/").want(t, 200).lacks(t, `href="/ui/system"`)
	viewer.get("/ui/system").want(t, 403).lacks(t, "Invalidation channel", "/openapi.json")
	d.browser().get("/ui/system").redirects(t, "/ui/signin")
}

var (
	shownRE    = regexp.MustCompile(`\?shown=[A-Za-z0-9_-]+$`)
	revealedRE = regexp.MustCompile(`<code id="revealed-key" data-testid="revealed-key">([^<]+)</code>`)
)

func testKeyFixes(t *testing.T, d *dash, admin, viewer *browser) {
	admin.post("/ui/projects", url.Values{"name": {"Keys"}, "env": {"live"}}).want(t, 303)
	pid := regexp.MustCompile(`href="/ui/projects/([^/"]+)/keys">Keys<`).FindStringSubmatch(admin.get("/ui/?env=live").Body)[1]
	keys := "/ui/projects/" + pid + "/keys"

	// a. Create answers with a redirect; the page it opens shows the key
	// once, to this session only; a reload shows it no more.
	a := admin.post(keys, url.Values{"name": {evilText}, "rateLimit": {"5"}, "rateLimitTtl": {"60"}, "customUserId": {"u1"}, "metadata": {`{"plan":"pro"}`}}).want(t, 303)
	loc := a.Header.Get("Location")
	if !strings.HasPrefix(loc, keys+"?shown=") || !shownRE.MatchString(loc) {
		t.Fatalf("create redirects to %q", loc)
	}
	other := d.signIn(t, "admin@example.com", "a long password 1")
	other.get(loc).want(t, 200).lacks(t, "Copy your new API key")
	page := admin.get(loc).want(t, 200).has(t, "Copy your new API key", "&lt;img src=x onerror=alert(1)&gt;").lacks(t, evilText)
	key := keyRE.FindStringSubmatch(page.Body)[1]
	if strings.Contains(loc, key) || d.verify(t, key) != 200 {
		t.Fatalf("key %q, location %q", key, loc)
	}
	admin.get(loc).want(t, 200).lacks(t, key, "Copy your new API key").has(t, "no longer shown")
	if n := strings.Count(admin.get(keys).Body, `href="/ui/keys/`); n != 1 {
		t.Fatalf("%d keys after a create and two reloads", n)
	}
	kid := keyLinkRE.FindStringSubmatch(admin.get(keys).Body)[1]

	// Reveal: admins see the button; the POST answers with the key in
	// full, escaped, with a copy button.
	admin.get(keys).has(t, `action="/ui/keys/`+kid+`/reveal"`, ">Reveal<").lacks(t, key)
	admin.get("/ui/keys/"+kid).has(t, ">Reveal<").lacks(t, key)
	rv := admin.post("/ui/keys/"+kid+"/reveal", nil).want(t, 200).has(t, `data-copy="revealed-key"`, "Copy key", "&lt;img").lacks(t, evilText)
	if m := revealedRE.FindStringSubmatch(rv.Body); m == nil || m[1] != key {
		t.Fatalf("revealed %v, want %s", m, key)
	}
	admin.get("/ui/keys/"+kid+"/reveal").want(t, 404).lacks(t, key) // never a GET
	// Viewers see neither the button nor the key; a forged reveal is 403.
	viewer.get(keys).want(t, 200).lacks(t, ">Reveal<", key)
	viewer.get("/ui/keys/"+kid).want(t, 200).lacks(t, ">Reveal<", key)
	viewer.post("/ui/keys/"+kid+"/reveal", nil).want(t, 403).lacks(t, key)
	// Another account's admin is told the key does not exist.
	if st, body := rest(t, d, "POST", "/auth/signup", "", `{"email":"stranger@example.com","password":"stranger password 1","name":"S"}`); st != 201 {
		t.Fatalf("signup: %d %s", st, body)
	}
	stranger := d.signIn(t, "stranger@example.com", "stranger password 1")
	stranger.post("/ui/keys/"+kid+"/reveal", nil).want(t, 404).lacks(t, key)
	stranger.get("/ui/keys/"+kid).want(t, 404)

	// b. Edit shows the current values and a custom key field, and saves
	// only what changed: a field changed elsewhere meanwhile is kept.
	edit := admin.get("/ui/keys/"+kid+"/edit").want(t, 200).has(t, `value="5"`, `value="60"`, `value="u1"`, `for="key">Custom key`, "Leave empty to keep the current key")
	shown := url.Values{}
	for _, m := range regexp.MustCompile(`name="(was_[A-Za-z]+)" value="([^"]*)"`).FindAllStringSubmatch(edit.Body, -1) {
		shown.Set(m[1], htmlUnescape(m[2]))
	}
	if shown.Get("was_customUserId") != "u1" || shown.Get("was_rateLimit") != "5" {
		t.Fatalf("edit form shows %v", shown)
	}
	form := func(set map[string]string) url.Values {
		f := url.Values{}
		for k, v := range shown {
			f[k] = v
			f.Set(strings.TrimPrefix(k, "was_"), v[0])
		}
		for k, v := range set {
			f.Set(k, v)
		}
		return f
	}
	// Someone else sets the custom user id while this form is open.
	other.post("/ui/keys/"+kid+"/edit", url.Values{"customUserId": {"u2"}}).redirects(t, "/ui/keys/"+kid)
	admin.post("/ui/keys/"+kid+"/edit", form(map[string]string{"name": "renamed"})).redirects(t, "/ui/keys/"+kid)
	admin.get("/ui/keys/"+kid).has(t, "<h1>renamed</h1>", "5 per 60 s", "u2", "plan")
	// Emptying a field clears it; a bad value re-renders with the message.
	admin.post("/ui/keys/"+kid+"/edit", form(map[string]string{"name": "renamed", "was_name": "renamed", "rateLimit": "", "rateLimitTtl": ""})).redirects(t, "/ui/keys/"+kid)
	admin.get("/ui/keys/"+kid).has(t, "<h1>renamed</h1>", "u2").lacks(t, "5 per 60 s")
	admin.post("/ui/keys/"+kid+"/edit", url.Values{"metadata": {"{nope"}}).want(t, 400).has(t, "Metadata is not valid JSON", `role="alert"`)
	admin.post("/ui/keys/"+kid+"/edit", url.Values{"key": {"short"}}).want(t, 400).has(t, `role="alert"`)
	// A custom key replaces the string.
	admin.post("/ui/keys/"+kid+"/edit", url.Values{"key": {"my-custom-key-123456"}}).redirects(t, "/ui/keys/"+kid)
	if d.verify(t, "my-custom-key-123456") != 200 || d.verify(t, key) != 404 {
		t.Fatal("the custom key did not replace the key")
	}

	// Rotate redirects too, and its page shows the new string once.
	r := admin.post("/ui/keys/"+kid+"/rotate", nil).want(t, 303)
	loc = r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/ui/keys/"+kid+"?shown=") {
		t.Fatalf("rotate redirects to %q", loc)
	}
	rotated := keyRE.FindStringSubmatch(admin.get(loc).want(t, 200).has(t, "Copy your new API key").Body)[1]
	if strings.Contains(loc, rotated) || d.verify(t, rotated) != 200 {
		t.Fatalf("rotated %q at %q", rotated, loc)
	}
	admin.get(loc).want(t, 200).lacks(t, rotated).has(t, "no longer shown")
	// A shown id is no key of another page.
	a = admin.post(keys, url.Values{"name": {"second"}}).want(t, 303)
	id := strings.TrimPrefix(a.Header.Get("Location"), keys)
	admin.get("/ui/keys/"+kid+id).lacks(t, "Copy your new API key")

	// c. "All" labels the active keys and the revoked ones.
	admin.post("/ui/keys/"+kid+"/revoke", nil).redirects(t, "/ui/keys/"+kid)
	all := admin.get(keys+"?status=all").want(t, 200).Body
	ia, ir := strings.Index(all, `<h2 class="key-group">Active keys</h2>`), strings.Index(all, `<h2 class="key-group">Revoked keys</h2>`)
	is, iv := strings.Index(all, ">second</a>"), strings.Index(all, ">renamed</a>")
	if ia < 0 || ir < 0 || !(ia < is && is < ir && ir < iv) {
		t.Fatalf("all: active heading %d, second %d, revoked heading %d, renamed %d:\n%s", ia, is, ir, iv, all)
	}
	admin.get(keys+"?status=active").lacks(t, "key-group")

	// d. At phone widths the less important columns go.
	admin.get(keys).has(t, `<th scope="col" class="col-more">Last used</th>`)
	css := regexp.MustCompile(`/ui/static/app\.[0-9a-f]{12}\.css`).FindString(admin.get(keys).Body)
	if !strings.Contains(admin.get(css).Body, "table.keys .col-more { display: none; }") {
		t.Fatal("app.css does not hide the keys table's extra columns on narrow screens")
	}
}

// testPasswordChange changes a password: the browser that did it stays
// signed in, every other session of the person ends, and only the new
// password signs in.
func testPasswordChange(t *testing.T, d *dash) {
	if st, body := rest(t, d, "POST", "/auth/signup", "", `{"email":"pw@example.com","password":"old password 1","name":"P"}`); st != 201 {
		t.Fatalf("signup: %d %s", st, body)
	}
	b := d.signIn(t, "pw@example.com", "old password 1")
	elsewhere := d.signIn(t, "pw@example.com", "old password 1")
	b.post("/ui/settings/password", url.Values{"current": {"old password 1"}, "new": {"new password 12"}}).redirects(t, "/ui/settings?saved=password")
	b.get("/ui/settings?saved=password").want(t, 200).has(t, "Password changed.")
	elsewhere.get("/ui/").redirects(t, "/ui/signin")
	fresh := d.browser()
	csrf := csrfRE.FindStringSubmatch(fresh.get("/ui/signin").Body)[1]
	fresh.do("POST", "/ui/signin", url.Values{"csrf": {csrf}, "email": {"pw@example.com"}, "password": {"old password 1"}}, "Origin", d.URL).want(t, 401)
	d.signIn(t, "pw@example.com", "new password 12")
	// The new session's forms work.
	b.post("/ui/settings/profile", url.Values{"name": {"Pat"}}).redirects(t, "/ui/settings?saved=profile")
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`, "&amp;", "&").Replace(s)
}
