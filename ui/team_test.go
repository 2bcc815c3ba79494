package ui_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

// mailSink is a real SMTP server on 127.0.0.1 (no TLS, no AUTH) that keeps
// what Keyway's mailer sends it, so a test reads the invitation as the
// invitee would.
type mailSink struct {
	Addr string
	mu   sync.Mutex
	msgs []sunkMail
}

// sunkMail is one received message: its recipient and decoded body.
type sunkMail struct {
	To, Subject, Body string
}

func startMailSink(t testing.TB) *mailSink {
	t.Helper()
	sink := &mailSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkConn{sink: sink}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.Addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return sink
}

// await waits until n messages have arrived to the address and returns
// them in arrival order.
func (s *mailSink) await(t testing.TB, to string, n int) []sunkMail {
	t.Helper()
	var got []sunkMail
	keywaytest.EventuallyShows(t, fmt.Sprintf("%d mails to %s", n, to), func() (bool, string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		got = got[:0]
		for _, m := range s.msgs {
			if m.To == to {
				got = append(got, m)
			}
		}
		return len(got) >= n, fmt.Sprintf("%d mails: %+v", len(got), got)
	})
	return got
}

type sinkConn struct {
	sink *mailSink
	to   string
}

func (c *sinkConn) Mail(string, *smtp.MailOptions) error { return nil }
func (c *sinkConn) Rcpt(to string, _ *smtp.RcptOptions) error {
	c.to = to
	return nil
}
func (c *sinkConn) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	var body io.Reader = m.Body
	switch strings.ToLower(strings.TrimSpace(m.Header.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	c.sink.mu.Lock()
	c.sink.msgs = append(c.sink.msgs, sunkMail{To: c.to, Subject: m.Header.Get("Subject"), Body: strings.ReplaceAll(string(text), "\r\n", "\n")})
	c.sink.mu.Unlock()
	return nil
}
func (c *sinkConn) Reset()        { c.to = "" }
func (c *sinkConn) Logout() error { return nil }

// startWithMail is start with Keyway's mail going to the sink by SMTP.
func startWithMail(t testing.TB, dbURL string, sink *mailSink) *dash {
	return start(t, dbURL, func(c *app.Config, _ *app.Options) { c.SMTPURL = "smtp://" + sink.Addr })
}

func TestTeam(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		sink := startMailSink(t)
		d := startWithMail(t, dbURL, sink)
		admin := d.setUp(t, "admin@example.com")
		admin.post("/ui/projects", url.Values{"name": {"Shop"}, "env": {"live"}}).want(t, 303)
		pid := regexp.MustCompile(`href="/ui/projects/([^/"]+)/keys">Shop<`).FindStringSubmatch(admin.get("/ui/?env=live").Body)[1]
		t.Run("invitation journey", func(t *testing.T) { testInvitationJourney(t, d, sink, admin, pid) })
		t.Run("bad input", func(t *testing.T) { testTeamBadInput(t, d, admin, pid) })
		t.Run("last admin", func(t *testing.T) { testLastAdmin(t, d, admin) })
		t.Run("cancel and resend", func(t *testing.T) { testCancelResend(t, d, sink, admin) })
		t.Run("another account", func(t *testing.T) { testTeamOtherAccount(t, d, sink, admin) })
		t.Run("signup links", func(t *testing.T) { testSignupLinks(t, d) })
	})
}

var (
	inviteLinkRE = regexp.MustCompile(`(http://\S+/ui/signup\?invitationId=(\S+))`)
	memberRE     = regexp.MustCompile(`href="/ui/team/members/([^/"]+)/remove\?project=`)
)

// invitationLink waits for the n-th invitation mail to an address and
// returns the link in it and the invitation id.
func invitationLink(t testing.TB, sink *mailSink, to string, n int) (link, id string) {
	t.Helper()
	m := sink.await(t, to, n)[n-1]
	found := inviteLinkRE.FindAllStringSubmatch(m.Body, -1)
	if len(found) != 1 {
		t.Fatalf("want one link in %q", m.Body)
	}
	return found[0][1], found[0][2]
}

// Journey 3: an admin invites an email as viewer to a project, the email
// arrives by SMTP, the invitee signs up from its link, lands signed in,
// sees the project as a viewer with no create controls, and a forged
// create is refused by the server.
func testInvitationJourney(t *testing.T, d *dash, sink *mailSink, admin *browser, pid string) {
	admin.get("/ui/team").want(t, 200).has(t, "<h1>Team</h1>", "Teammates of", "First Admin", "(you)", "Whole account",
		`href="/ui/team/invite"`, "Invite people", "Invitations", "No pending invitations")
	admin.get("/ui/team/invite").want(t, 200).has(t, `<label for="emails">Email addresses</label>`, `<label for="role">Role</label>`,
		"<legend>Projects</legend>", "Shop (live)", "Send invitations")
	admin.post("/ui/team/invitations", url.Values{"emails": {"Viewer@Example.com"}, "role": {"viewer"}, "projects": {pid}}).
		redirects(t, "/ui/team?sent=1")
	team := admin.get("/ui/team?sent=1").want(t, 200).has(t, "Invitation sent to 1 address.", "viewer@example.com", "Shop (live)", "pending", ">Resend<", ">Cancel<")
	_ = team
	link, id := invitationLink(t, sink, "viewer@example.com", 1)
	if !strings.HasPrefix(link, d.URL+"/ui/signup?invitationId=") {
		t.Fatalf("link %q", link)
	}
	// Resend: the same invitation mailed again.
	admin.post("/ui/team/invitations/"+id+"/resend", nil).redirects(t, "/ui/team?resent=viewer%40example.com")
	admin.get("/ui/team?resent=viewer%40example.com").has(t, "Invitation sent again to viewer@example.com.")
	if link2, _ := invitationLink(t, sink, "viewer@example.com", 2); link2 != link {
		t.Fatalf("the resent link %q differs from %q", link2, link)
	}

	// The invitee opens the link: who invited to what, and nothing more.
	v := d.browser()
	page := v.get(link).want(t, 200).has(t, "First Admin invited you to join", "as <strong>viewer</strong>", "The invitation expires",
		`<label for="signup-email">Email</label>`, `<label for="signup-name">Name</label>`, `<label for="signup-password">Password</label>`,
		"Sign up and join", "Already have a Keyway login?", "Sign in and accept")
	page.lacks(t, "viewer@example.com", "Shop")
	checkHeaders(t, "/ui/signup", page, true)
	// Bad sign-ups re-render with what was typed.
	v.post("/ui/signup", url.Values{"invitationId": {id}, "email": {"viewer@example.com"}, "name": {"Vi"}, "password": {"short"}}).
		want(t, 400).has(t, `role="alert"`, "password must be longer", `value="Vi"`, `value="viewer@example.com"`)
	v.post("/ui/signup", url.Values{"invitationId": {id}, "email": {"someone.else@example.com"}, "name": {"Vi"}, "password": {"viewer password 1"}}).
		want(t, 404).has(t, `role="alert"`, "Invitation not found")
	// The right address signs up and lands signed in on the projects.
	v.post("/ui/signup", url.Values{"invitationId": {id}, "email": {"viewer@example.com"}, "name": {evilName}, "password": {"viewer password 1"}}).
		redirects(t, "/ui/")
	v.get("/ui/").want(t, 200).has(t, ">Shop</a>").lacks(t, "New project", "Rename", ">System<")
	keys := "/ui/projects/" + pid + "/keys"
	v.get(keys).want(t, 200).has(t, "<h1>API keys</h1>").lacks(t, "New API key")
	// Forged creates from the viewer's session are refused by the service.
	v.post(keys, url.Values{"name": {"forged"}}).want(t, 403)
	v.post("/ui/projects", url.Values{"name": {"forged"}, "env": {"live"}}).want(t, 403)
	admin.get(keys).lacks(t, "forged")
	// The viewer sees the team without its controls, and cannot use them.
	v.get("/ui/team").want(t, 200).has(t, "First Admin", "&lt;img src=x onerror=alert(1)&gt;").lacks(t, evilName, "Invite people", "Change role", ">Remove<", "Invitations")
	v.get("/ui/team/invite").want(t, 403).has(t, "Only the admins of").lacks(t, "Send invitations")
	v.get("/ui/team/members/"+uidOf(t, admin)+"/remove").want(t, 403).lacks(t, "Remove from account")
	v.post("/ui/team/invitations", url.Values{"emails": {"friend@example.com"}, "role": {"admin"}}).want(t, 403)
	v.post("/ui/team/invitations/"+id+"/resend", nil).want(t, 403)

	// The admin sees the new teammate, escaped, and the accepted invitation.
	at := admin.get("/ui/team").want(t, 200).has(t, "&lt;img src=x onerror=alert(1)&gt;", "viewer@example.com").lacks(t, evilName)
	at.has(t, `<input type="hidden" name="project" value="`+pid+`">`, `/remove?project=`+pid+`"`, `aria-label="Role of &lt;img src=x onerror=alert(1)&gt; over Shop (live)"`)
	uid := memberRE.FindStringSubmatch(at.Body)
	if uid == nil {
		t.Fatalf("no remove link of the project role:\n%s", at.Body)
	}
	admin.get("/ui/team?status=accepted").has(t, "viewer@example.com", "accepted").lacks(t, ">Resend<")
	admin.get("/ui/team?status=pending").has(t, "No pending invitations").lacks(t, ">Resend<")
	// The viewer's own change of roles is refused.
	v.post("/ui/team/members/"+uid[1]+"/role", url.Values{"role": {"admin"}, "project": {pid}}).want(t, 403)

	// The acceptance is a notification: unread in the header, then read.
	admin.get("/ui/").has(t, `data-testid="unread-count"`, `aria-label="1 unread">1</span>`)
	n := admin.get("/ui/notifications").want(t, 200).has(t, "Invitation accepted", "&lt;img src=x onerror=alert(1)&gt;", "Mark read").lacks(t, evilName)
	nid := regexp.MustCompile(`action="/ui/notifications/([^/"]+)/read"`).FindStringSubmatch(n.Body)[1]
	// The people of the account see it; someone of another account does
	// not, and cannot mark it read.
	v.get("/ui/notifications").want(t, 200).has(t, "Invitation accepted")
	if st, body := rest(t, d, "POST", "/auth/signup", "", `{"email":"outsider@example.com","password":"outsider password 1","name":"Outsider"}`); st != 201 {
		t.Fatalf("signup: %d %s", st, body)
	}
	out := d.signIn(t, "outsider@example.com", "outsider password 1")
	out.get("/ui/notifications").want(t, 200).has(t, "No notifications yet").lacks(t, "Invitation accepted")
	out.post("/ui/notifications/"+nid+"/read", nil).want(t, 404)
	admin.post("/ui/notifications/"+nid+"/read", nil).redirects(t, "/ui/notifications")
	admin.get("/ui/notifications").has(t, "Invitation accepted", "Read ").lacks(t, "Mark read")
	admin.get("/ui/").lacks(t, `data-testid="unread-count"`)

	// The admin makes the viewer a user of the project: Create appears.
	admin.post("/ui/team/members/"+uid[1]+"/role", url.Values{"role": {"user"}, "project": {pid}}).redirects(t, "/ui/team?saved=1")
	v.get(keys).want(t, 200).has(t, "New API key")
	// Removing the project role leaves the person in no account.
	admin.get("/ui/team/members/"+uid[1]+"/remove?project="+pid).want(t, 200).has(t, "loses the user role over Shop (live)", "Remove role")
	admin.post("/ui/team/members/"+uid[1]+"/remove", url.Values{"project": {pid}}).redirects(t, "/ui/team?removed=1")
	v.get("/ui/").want(t, 200).has(t, "not in any account")
	v.get(keys).want(t, 404)
	// The used link says so, and offers no form.
	v2 := d.browser()
	v2.get(link).want(t, 200).has(t, "This invitation is accepted").lacks(t, "Sign up and join")
}

// uidOf is the user id of the first teammate with a role form on the
// browser's team page: an admin's own row.
func uidOf(t testing.TB, b *browser) string {
	t.Helper()
	m := regexp.MustCompile(`action="/ui/team/members/([^/"]+)/role"`).FindStringSubmatch(b.get("/ui/team").Body)
	if m == nil {
		t.Fatal("no teammate role form on the team page")
	}
	return m[1]
}

func testTeamBadInput(t *testing.T, d *dash, admin *browser, pid string) {
	// No emails, a bad one among several, an unknown role, another
	// account's project: the form again, with what was typed, nothing sent.
	admin.post("/ui/team/invitations", url.Values{"emails": {""}, "role": {"viewer"}}).
		want(t, 400).has(t, `role="alert"`, "emails should not be empty", "Send invitations")
	admin.post("/ui/team/invitations", url.Values{"emails": {"good@example.com, not-an-email\nalso.good@example.com"}, "role": {"user"}, "projects": {pid}}).
		want(t, 400).has(t, `role="alert"`, "email", "good@example.com, not-an-email\nalso.good@example.com", `value="`+pid+`" checked`, `value="user" selected`)
	admin.post("/ui/team/invitations", url.Values{"emails": {"good@example.com"}, "role": {"owner"}}).
		want(t, 400).has(t, `role="alert"`, "role", "good@example.com")
	if a := admin.post("/ui/team/invitations", url.Values{"emails": {"good@example.com"}, "role": {"viewer"}, "projects": {"00000000-0000-7000-8000-000000000000"}}); a.Status < 400 || a.Status >= 500 {
		t.Fatalf("an unknown project: %d\n%s", a.Status, a.Body)
	}
	admin.get("/ui/team?status=all").lacks(t, "good@example.com", "not-an-email")
	// A bad role for a teammate: the team page with the message.
	at := admin.get("/ui/team").Body
	self := regexp.MustCompile(`action="/ui/team/members/([^/"]+)/role"`).FindStringSubmatch(at)[1]
	admin.post("/ui/team/members/"+self+"/role", url.Values{"role": {"owner"}}).want(t, 400).has(t, `role="alert"`, "<h1>Team</h1>")
	// Unknown ids are 404 pages, not 500s.
	admin.post("/ui/team/members/00000000-0000-7000-8000-000000000000/role", url.Values{"role": {"user"}}).want(t, 404)
	admin.get("/ui/team/members/00000000-0000-7000-8000-000000000000/remove").want(t, 404)
	admin.get("/ui/team/invitations/00000000-0000-7000-8000-000000000000/cancel").want(t, 404)
	admin.post("/ui/team/invitations/00000000-0000-7000-8000-000000000000/resend", nil).want(t, 404)
	admin.post("/ui/notifications/00000000-0000-7000-8000-000000000000/read", nil).want(t, 404)
	// Without the CSRF token, nothing is sent.
	admin.do("POST", "/ui/team/invitations", url.Values{"emails": {"nocsrf@example.com"}, "role": {"viewer"}}, "Origin", d.URL).want(t, 403)
	admin.get("/ui/team?status=all").lacks(t, "nocsrf@example.com")
}

// The account keeps its last admin: demoting or removing them is the
// service's 409, shown on the team page.
func testLastAdmin(t *testing.T, d *dash, admin *browser) {
	at := admin.get("/ui/team").Body
	self := regexp.MustCompile(`action="/ui/team/members/([^/"]+)/role"`).FindStringSubmatch(at)[1]
	admin.post("/ui/team/members/"+self+"/role", url.Values{"role": {"viewer"}}).want(t, 409).has(t, `role="alert"`, "at least one admin")
	admin.get("/ui/team/members/"+self+"/remove").want(t, 200).has(t, "This is you", "Remove from account")
	admin.post("/ui/team/members/"+self+"/remove", nil).want(t, 409).has(t, "at least one admin")
	admin.get("/ui/team").has(t, "(you)", `value="admin" selected`)
}

func testCancelResend(t *testing.T, d *dash, sink *mailSink, admin *browser) {
	admin.post("/ui/team/invitations", url.Values{"emails": {"cxl@example.com"}, "role": {"user"}}).redirects(t, "/ui/team?sent=1")
	_, id := invitationLink(t, sink, "cxl@example.com", 1)
	// Change the role offered, then cancel.
	admin.post("/ui/team/invitations/"+id+"/role", url.Values{"role": {"admin"}}).redirects(t, "/ui/team?saved=1")
	admin.post("/ui/team/invitations/"+id+"/role", url.Values{"role": {"owner"}}).want(t, 400).has(t, `role="alert"`)
	admin.get("/ui/team/invitations/"+id+"/cancel").want(t, 200).has(t, "Cancel the invitation to cxl@example.com", "Cancel invitation")
	admin.post("/ui/team/invitations/"+id+"/cancel", nil).redirects(t, "/ui/team?cancelled=cxl%40example.com")
	admin.get("/ui/team?status=cancelled").has(t, "cxl@example.com", "cancelled")
	// A cancelled invitation is not resent, nor cancelled twice.
	admin.post("/ui/team/invitations/"+id+"/resend", nil).want(t, 409).has(t, `role="alert"`, "no longer pending")
	admin.post("/ui/team/invitations/"+id+"/cancel", nil).want(t, 409)
	b := d.browser()
	b.get("/ui/signup?invitationId="+id).want(t, 200).has(t, "This invitation is cancelled", "Ask First Admin to invite you again").lacks(t, "Sign up and join")
	// Resends are bounded.
	admin.post("/ui/team/invitations", url.Values{"emails": {"often@example.com"}, "role": {"user"}}).redirects(t, "/ui/team?sent=1")
	_, oid := invitationLink(t, sink, "often@example.com", 1)
	for range 3 {
		admin.post("/ui/team/invitations/"+oid+"/resend", nil).want(t, 303)
	}
	admin.post("/ui/team/invitations/"+oid+"/resend", nil).want(t, 429).has(t, `role="alert"`, "Wait a while")
	// An unknown status filter shows the pending ones.
	admin.get("/ui/team?status=bogus").want(t, 200).has(t, `aria-current="page">Pending`, "often@example.com").lacks(t, "bogus")
}

// The admin of another account reaches nothing of this one; an existing
// person who is invited signs in and accepts on the sign-up page.
func testTeamOtherAccount(t *testing.T, d *dash, sink *mailSink, admin *browser) {
	if st, body := rest(t, d, "POST", "/auth/signup", "", `{"email":"other@example.com","password":"other password 1","name":"Other"}`); st != 201 {
		t.Fatalf("signup: %d %s", st, body)
	}
	o := d.signIn(t, "other@example.com", "other password 1")
	o.get("/ui/team").want(t, 200).has(t, "Other&#39;s account", "Other").lacks(t, "First Admin", "admin@example.com")
	admin.post("/ui/team/invitations", url.Values{"emails": {"other@example.com"}, "role": {"viewer"}}).redirects(t, "/ui/team?sent=1")
	link, id := invitationLink(t, sink, "other@example.com", 1)
	at := admin.get("/ui/team").Body
	adminID := regexp.MustCompile(`action="/ui/team/members/([^/"]+)/role"`).FindStringSubmatch(at)[1]
	o.get("/ui/team/invitations/"+id+"/cancel").want(t, 404)
	o.post("/ui/team/invitations/"+id+"/cancel", nil).want(t, 404)
	o.post("/ui/team/invitations/"+id+"/resend", nil).want(t, 404)
	o.post("/ui/team/members/"+adminID+"/role", url.Values{"role": {"viewer"}}).want(t, 404)
	o.post("/ui/team/members/"+adminID+"/remove", nil).want(t, 404)
	admin.get("/ui/team?status=pending").has(t, "other@example.com")

	// Signing up with a registered email says to sign in instead.
	b := d.browser()
	b.get(link).want(t, 200)
	b.post("/ui/signup", url.Values{"invitationId": {id}, "email": {"other@example.com"}, "name": {"Other"}, "password": {"other password 1"}}).
		want(t, 409).has(t, "already has a Keyway login", `id="accept-email" name="email" type="email" autocomplete="username" required value="other@example.com"`)
	// A wrong password there signs no one in and accepts nothing.
	b.post("/ui/signup/accept", url.Values{"invitationId": {id}, "email": {"other@example.com"}, "password": {"wrong password 1"}}).want(t, 401).has(t, `role="alert"`)
	// Someone else's login cannot take the invitation; no session is left.
	b.post("/ui/signup/accept", url.Values{"invitationId": {id}, "email": {"admin@example.com"}, "password": {"a long password 1"}}).want(t, 404)
	b.get("/ui/").redirects(t, "/ui/signin")
	b.post("/ui/signup/accept", url.Values{"invitationId": {id}, "email": {"other@example.com"}, "password": {"other password 1"}}).redirects(t, "/ui/")
	// Signed in, with the inviting account chosen.
	b.get("/ui/").want(t, 200).has(t, ">Shop</a>").lacks(t, "New project")
	admin.get("/ui/team?status=accepted").has(t, "other@example.com")
}

func testSignupLinks(t *testing.T, d *dash) {
	b := d.browser()
	// Links of older emails go to the dashboard's page, the id kept.
	b.get("/signup?invitationId=abc").redirects(t, "/ui/signup?invitationId=abc")
	b.get("/ui/signup?invitationId=00000000-0000-7000-8000-000000000000").want(t, 404).has(t, "not valid").lacks(t, "Sign up and join")
	b.get("/ui/signup").want(t, 404).has(t, "not valid")
	b.get("/ui/signup?invitationId="+url.QueryEscape(evilName)).want(t, 404).lacks(t, evilName)
	b.post("/ui/signup", url.Values{"email": {"x@example.com"}, "name": {"X"}, "password": {"long password 1"}}).want(t, 400)
}
