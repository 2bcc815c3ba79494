package ui_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

// hookReceiver is a real HTTP endpoint on 127.0.0.1 that records what it
// gets and answers with the status it is set to.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	got    []http.Header
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{status: http.StatusNoContent}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.got = append(r.got, req.Header.Clone())
		st := r.status
		r.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) answer(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

func (r *hookReceiver) requests() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.got...)
}

// startHooks starts Keyway as start does, but lets webhooks reach the
// loopback receiver (the SSRF guard refuses it by default) and retries a
// failed delivery only after an hour, so the log holds the failure until
// the test retries it.
func startHooks(t *testing.T, dbURL string) *dash {
	return start(t, dbURL, func(c *app.Config, _ *app.Options) {
		c.WebhookAllowNetworks = "127.0.0.0/8,::1/128"
		c.WebhookRetryBase, c.WebhookRetryMax = time.Hour, time.Hour
	})
}

// awaitPage polls a page until it has every part, failing at the deadline.
func awaitPage(t *testing.T, b *browser, path string, parts ...string) *answer {
	t.Helper()
	var a *answer
	keywaytest.EventuallyShows(t, path+" to show "+strings.Join(parts, ", "), func() (bool, string) {
		a = b.get(path)
		if a.Status != 200 {
			return false, a.Body
		}
		for _, p := range parts {
			if !strings.Contains(a.Body, p) {
				return false, a.Body
			}
		}
		return true, ""
	})
	return a
}

const evil = `<img src=x onerror=alert(1)>`

var (
	hookLocRE = regexp.MustCompile(`^/ui/webhooks/([^/]+)$`)
	retryRE   = regexp.MustCompile(`action="(/ui/webhooks/[^"]+/deliveries/[^"]+/retry)"`)
)

func TestWebhooksUI(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		d := startHooks(t, dbURL)
		admin := d.setUp(t, "admin@example.com")
		recv := newHookReceiver(t)

		admin.get("/ui/webhooks").want(t, 200).has(t, "<h1>Webhooks</h1>", "No webhooks in", "New webhook")
		admin.post("/ui/projects", url.Values{"name": {"Shop"}, "env": {"live"}}).want(t, 303)
		pid := projectRE.FindStringSubmatch(admin.get("/ui/?env=live").Body)[1]
		admin.get("/ui/webhooks/new").want(t, 200).has(t, `for="hook-url">URL`, `for="hook-name">Name`, "<legend>Topics</legend>",
			`for="topic-api-key.created">api-key.created`, `for="hook-headers">Custom headers`, `for="status-paused">Paused`, "Shop (live)")

		// Bad input re-renders the form with a 4xx, the message and what
		// was typed.
		form := func(over ...string) url.Values {
			f := url.Values{"name": {"Orders"}, "url": {recv.URL + "/hook"}, "httpMethod": {"POST"},
				"topics": {"api-key.created", "api-key.updated"}, "customHeaders": {"X-Note: " + evil}, "status": {"live"}, "projectId": {pid}}
			for i := 0; i+1 < len(over); i += 2 {
				f[over[i]] = []string{over[i+1]}
			}
			return f
		}
		admin.post("/ui/webhooks", form("url", evil)).want(t, 400).
			has(t, `role="alert"`, "url must be an http or https URL", `value="Orders"`, `value="&lt;img src=x onerror=alert(1)&gt;"`).lacks(t, evil)
		admin.post("/ui/webhooks", form("url", "ftp://example.com/x")).want(t, 400).has(t, "http or https", `value="ftp://example.com/x"`)
		admin.post("/ui/webhooks", form("topics", "nope.topic")).want(t, 400).has(t, "known topics", `value="Orders"`)
		admin.post("/ui/webhooks", form("topics", "")).want(t, 400).has(t, "topics should not be empty")
		admin.post("/ui/webhooks", form("customHeaders", "no colon here")).want(t, 400).has(t, "Custom headers: line 1", ">no colon here</textarea>")
		admin.post("/ui/webhooks", form("customHeaders", "Bad Name: x")).want(t, 400).has(t, "valid HTTP header names", ">Bad Name: x</textarea>")
		admin.post("/ui/webhooks", form("customHeaders", "Content-Type: text/plain")).want(t, 400).has(t, "must not set Content-Type")
		admin.post("/ui/webhooks", form("httpMethod", "GET")).want(t, 400).has(t, "httpMethod must be one of")
		admin.get("/ui/webhooks").has(t, "No webhooks in")

		// Create: the name and a header value are markup, shown as text.
		created := admin.post("/ui/webhooks", form("name", evil))
		created.want(t, 303)
		m := hookLocRE.FindStringSubmatch(created.Header.Get("Location"))
		if m == nil {
			t.Fatalf("create redirects to %q", created.Header.Get("Location"))
		}
		hid := m[1]
		hook := "/ui/webhooks/" + hid
		admin.get("/ui/webhooks").want(t, 200).has(t, "&lt;img src=x onerror=alert(1)&gt;", "POST "+recv.URL+"/hook", "api-key.created, api-key.updated", "Shop (live)", "Active").lacks(t, evil)
		page := admin.get(hook).want(t, 200).has(t, "<h1>&lt;img", "X-Note: &lt;img src=x onerror=alert(1)&gt;", "No deliveries yet",
			">Send test<", ">Reveal secret<", ">Edit<", ">Pause<", ">Delete<").lacks(t, evil, "whsec_")
		if regexp.MustCompile(`style=|<script>`).MatchString(page.Body) {
			t.Fatal("inline style or script on the webhook page")
		}

		// Send test: a test delivery, signed and with the custom header;
		// the answer shows the receiver's status and when, and the log
		// holds it.
		sent := admin.post(hook+"/test", nil).want(t, 200).has(t, `data-testid="test-result"`, `data-testid="test-status">204<`, "Test sent <time datetime=", ": it works.")
		sent.has(t, `data-state="delivered"`, "webhook.test", "HTTP 204").lacks(t, evil, ">Retry</button>")
		reqs := recv.requests()
		if len(reqs) != 1 || reqs[0].Get("X-Note") != evil || reqs[0].Get("webhook-signature") == "" {
			t.Fatalf("test: receiver got %v", reqs)
		}
		admin.get(hook).has(t, `data-state="delivered"`, "webhook.test").lacks(t, `data-testid="test-result"`)
		// The secret only in the answer to its POST.
		admin.post(hook+"/secret", nil).want(t, 200).has(t, `data-testid="webhook-secret">whsec_`, "Copy secret").lacks(t, ">Reveal secret<")
		admin.get(hook).lacks(t, "whsec_")

		// An event of a subscribed topic is delivered and logged.
		admin.post("/ui/projects/"+pid+"/keys", url.Values{"name": {"k1"}}).want(t, 303)
		keywaytest.Eventually(t, "the api-key.created delivery", func() bool {
			page := admin.get(hook).Body
			return strings.Contains(page, "api-key.created") && strings.Count(page, `data-state="delivered"`) == 2
		})
		kid := keyLinkRE.FindStringSubmatch(admin.get("/ui/projects/" + pid + "/keys").Body)[1]
		// The key's page lists the deliveries of its own events, linked to
		// the delivery and the webhook; the test events are not about it.
		keyPage := admin.get("/ui/keys/"+kid).want(t, 200).has(t, "Webhook events", `data-testid="key-delivery" data-state="delivered"`,
			`href="/ui/webhooks/`+hid+`/deliveries/`, `>api-key.created</a>`, `href="/ui/webhooks/`+hid+`">&lt;img`, "HTTP 204").lacks(t, "webhook.test", evil)
		if n := strings.Count(keyPage.Body, `data-testid="key-delivery"`); n != 1 {
			t.Fatalf("%d deliveries on the key's page, want 1:\n%s", n, keyPage.Body)
		}
		// The receiver fails: the test shows its status and error, and the
		// log the failed attempt with a Retry button.
		recv.answer(http.StatusInternalServerError)
		failed := admin.post(hook+"/test", nil).want(t, 200).has(t, `data-testid="test-status">500<`, "which is not a success",
			"answered 500 Internal Server Error", `data-state="pending"`, "HTTP 500", "Retrying", ">Retry</button>")
		retries := retryRE.FindAllStringSubmatch(failed.Body, -1)
		if len(retries) != 1 {
			t.Fatalf("%d Retry buttons, want 1:\n%s", len(retries), failed.Body)
		}
		retry := retries[0][1]
		// Fixed, retried, delivered.
		recv.answer(http.StatusOK)
		admin.post(retry, nil).redirects(t, hook)
		done := awaitPage(t, admin, hook, "HTTP 200")
		done.lacks(t, `data-state="pending"`, ">Retry</button>")
		if n := strings.Count(done.Body, `data-state="delivered"`); n != 3 {
			t.Fatalf("%d delivered, want 3:\n%s", n, done.Body)
		}
		if n := len(recv.requests()); n != 4 {
			t.Fatalf("receiver got %d requests, want 4 (test, created, failed test, retried test)", n)
		}
		// The delivery's page lists each attempt, newest first.
		delivery := strings.TrimSuffix(retry, "/retry")
		if !strings.Contains(done.Body, `href="`+delivery+`">webhook.test</a>`) {
			t.Fatalf("the log does not link %s:\n%s", delivery, done.Body)
		}
		att := admin.get(delivery).want(t, 200).has(t, "<h1>Delivery of webhook.test</h1>", "Delivered", `data-testid="attempts"`).lacks(t, ">Retry</button>")
		if n := strings.Count(att.Body, `data-testid="attempt"`); n != 2 {
			t.Fatalf("%d attempts, want 2:\n%s", n, att.Body)
		}
		if i, j := strings.Index(att.Body, "HTTP 200"), strings.Index(att.Body, "HTTP 500"); i < 0 || j < i || !strings.Contains(att.Body[j:], "answered 500 Internal Server Error") {
			t.Fatalf("attempts out of order or incomplete:\n%s", att.Body)
		}
		admin.get(hook+"/deliveries/nope").want(t, 404)

		// An edit is one more, newest first; another key's page has only its own.
		admin.post("/ui/keys/"+kid+"/edit", url.Values{"name": {"k1 renamed"}}).want(t, 303)
		keyPage = awaitPage(t, admin, "/ui/keys/"+kid, ">api-key.updated</a>")
		if i, j := strings.Index(keyPage.Body, ">api-key.updated</a>"), strings.Index(keyPage.Body, ">api-key.created</a>"); j < i {
			t.Fatalf("the key's deliveries are not newest first:\n%s", keyPage.Body)
		}
		admin.post("/ui/projects/"+pid+"/keys", url.Values{"name": {"k2"}}).want(t, 303)
		var other string
		for _, m := range keyLinkRE.FindAllStringSubmatch(admin.get("/ui/projects/"+pid+"/keys").Body, -1) {
			if m[1] != kid {
				other = m[1]
			}
		}
		otherPage := awaitPage(t, admin, "/ui/keys/"+other, ">api-key.created</a>").lacks(t, ">api-key.updated</a>")
		if n := strings.Count(otherPage.Body, `data-testid="key-delivery"`); n != 1 {
			t.Fatalf("%d deliveries on the other key's page, want 1:\n%s", n, otherPage.Body)
		}
		keywaytest.Eventually(t, "the update's and k2's deliveries", func() bool { return len(recv.requests()) == 6 })

		// Edit keeps the values; bad input re-renders; pause and resume.
		admin.get(hook+"/edit").want(t, 200).has(t, `value="&lt;img src=x onerror=alert(1)&gt;"`, ">X-Note: &lt;img src=x onerror=alert(1)&gt;\n</textarea>",
			`value="api-key.created" checked`, `value="api-key.updated" checked`).lacks(t, evil, `value="api-key.deleted" checked`)
		admin.post(hook+"/edit", form("url", "not a url")).want(t, 400).has(t, "http or https", `value="not a url"`)
		admin.post(hook+"/edit", form("name", "Orders", "status", "paused", "customHeaders", "")).redirects(t, hook)
		admin.get(hook).has(t, "<h1>Orders</h1>", "Paused", ">Resume<").lacks(t, "X-Note")
		admin.post(hook+"/status", url.Values{"status": {"live"}}).redirects(t, hook)
		admin.get(hook).has(t, ">Pause<", "Active")
		admin.post(hook+"/status", url.Values{"status": {"sleeping"}}).want(t, 400)

		// A viewer sees the webhook and its log, with no controls, and a
		// forged POST is refused.
		v := inviteViewer(t, d, "viewer@example.com")
		v.get("/ui/webhooks").want(t, 200).has(t, ">Orders</a>").lacks(t, "New webhook")
		v.get(hook).want(t, 200).has(t, "<h1>Orders</h1>", `data-state="delivered"`, "HTTP 200").
			lacks(t, "Send test", "Reveal secret", ">Retry", ">Edit<", ">Pause<", ">Delete<", "whsec_")
		v.get("/ui/webhooks/new").want(t, 403)
		v.post("/ui/webhooks", form()).want(t, 403)
		v.get(hook+"/edit").want(t, 403)
		v.post(hook+"/edit", form("name", "forged")).want(t, 403)
		v.post(hook+"/status", url.Values{"status": {"paused"}}).want(t, 403)
		v.post(hook+"/test", nil).want(t, 403)
		v.post(hook+"/secret", nil).want(t, 403).lacks(t, "whsec_")
		v.post(retry, nil).want(t, 403)
		v.get(strings.TrimSuffix(retry, "/retry")).want(t, 200).has(t, "HTTP 500").lacks(t, ">Retry</button>")
		v.post(hook+"/delete", nil).want(t, 403)
		admin.get(hook).has(t, "<h1>Orders</h1>", "Active")
		admin.get("/ui/webhooks").lacks(t, "forged")
		v.get("/ui/keys/"+kid).want(t, 200).has(t, `data-testid="key-delivery"`, ">api-key.updated</a>").lacks(t, ">Retry")
		if n := len(recv.requests()); n != 6 {
			t.Fatalf("the viewer's forged test or retry reached the receiver: %d requests", n)
		}

		// Another account's webhook is 404 both ways.
		if st, body := rest(t, d, "POST", "/auth/signup", "", `{"email":"other@example.com","password":"other password 1","name":"Other"}`); st != 201 {
			t.Fatalf("signup: %d %s", st, body)
		}
		o := d.signIn(t, "other@example.com", "other password 1")
		o.get("/ui/webhooks").want(t, 200).has(t, "No webhooks in").lacks(t, "Orders")
		for _, p := range []string{hook, hook + "/edit", hook + "/delete", strings.TrimSuffix(retry, "/retry")} {
			o.get(p).want(t, 404).lacks(t, "Orders")
		}
		for _, p := range []string{hook + "/test", hook + "/secret", hook + "/status", hook + "/edit", hook + "/delete", retry} {
			o.post(p, url.Values{"status": {"paused"}}).want(t, 404).lacks(t, "whsec_")
		}
		own := o.post("/ui/webhooks", form("projectId", "", "name", "Theirs")).want(t, 303).Header.Get("Location")
		admin.get(own).want(t, 404).lacks(t, "Theirs")
		admin.post(own+"/test", nil).want(t, 404)
		admin.get("/ui/webhooks").lacks(t, "Theirs")
		admin.get("/ui/webhooks/no-such-hook").want(t, 404)

		// Delete, confirmed.
		admin.get(hook+"/delete").want(t, 200).has(t, "Delete webhook Orders", ">Delete webhook<")
		admin.post(hook+"/delete", nil).redirects(t, "/ui/webhooks")
		admin.get("/ui/webhooks").has(t, "No webhooks in")
		admin.get(hook).want(t, 404)
	})
}
