package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

// expiryNotices lists the caller's "api-key.expiring" notifications.
func expiryNotices(t testing.TB, s *server, p person) []keyway.Notification {
	t.Helper()
	var ns []keyway.Notification
	p.as(s, t, "GET", "/notifications", nil).want(t, 200).decode(t, &ns)
	out := ns[:0]
	for _, n := range ns {
		if n.Type == "api-key.expiring" {
			out = append(out, n)
		}
	}
	return out
}

// countTitled counts notices whose title names key name.
func countTitled(ns []keyway.Notification, name string) int {
	c := 0
	for _, n := range ns {
		if n.Title == "API key expiring: "+name {
			c++
		}
	}
	return c
}

// awaitNotices polls until done holds for the expiry notices, which the
// server writes every 50 ms.
func awaitNotices(t testing.TB, s *server, p person, what string, done func(ns []keyway.Notification) bool) []keyway.Notification {
	t.Helper()
	var ns []keyway.Notification
	keywaytest.EventuallyShows(t, what, func() (bool, string) {
		ns = expiryNotices(t, s, p)
		return done(ns), fmt.Sprintf("notices %+v", ns)
	})
	return ns
}

// Keys expiring within 7 days are noticed once per expiry: a notification
// for the key's account naming the key (never quoting it), again when its
// expiry moves, and for a later key once the clock brings it within the
// week.
func TestExpiringKeyNotices(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := startServerWith(t, dbURL, nil, func(c *app.Config) { c.ExpiryNoticeInterval = 50 * time.Millisecond })
		boss, acct := s.founder(t, "notice@example.com")
		var pr keyway.Project
		boss.as(s, t, "POST", "/projects", map[string]any{"name": "p", "accountId": acct, "env": "live"}).want(t, 201).decode(t, &pr)
		newKey := func(name string, expiry time.Time) keyway.APIKey {
			var k keyway.APIKey
			boss.as(s, t, "POST", "/api-keys", map[string]any{"name": name, "projectId": pr.ID, "expiry": iso(expiry)}).want(t, 201).decode(t, &k)
			return k
		}
		now := s.Clock.Now()
		soon := newKey("soon", now.Add(3*24*time.Hour))
		later := newKey("later", now.Add(30*24*time.Hour))
		// The bootstrap account's keys are its own business.
		bp := s.newProject("other", "live")
		s.newKey(bp.ID, map[string]any{"name": "theirs", "expiry": iso(now.Add(2 * 24 * time.Hour))})

		ns := awaitNotices(t, s, boss, "the 3-day key's notice", func(ns []keyway.Notification) bool { return countTitled(ns, "soon") > 0 })
		if len(ns) != 1 {
			t.Fatalf("notices %+v, want only the 3-day key's", ns)
		}
		n := ns[0]
		if n.AccountID != acct || n.ProjectID == nil || *n.ProjectID != pr.ID || n.ReadAt != nil {
			t.Fatalf("notice %+v", n)
		}
		want := fmt.Sprintf("The API key %q expires at %s.", "soon", iso(now.Add(3*24*time.Hour)))
		if n.Message != want {
			t.Fatalf("message %q, want %q", n.Message, want)
		}
		for _, k := range []keyway.APIKey{soon, later} {
			if strings.Contains(n.Title+n.Message+n.ID, k.Key.Reveal()) {
				t.Fatalf("the notice quotes a key: %+v", n)
			}
		}

		// A marker key noticed later proves more ticks ran; the first
		// notice was not written again by them. A tick writes the keys it
		// found in expiry order, so a marker expiring after every other due
		// key is noticed after them.
		newKey("marker1", now.Add(6*24*time.Hour+12*time.Hour))
		ns = awaitNotices(t, s, boss, "marker1's notice", func(ns []keyway.Notification) bool { return countTitled(ns, "marker1") > 0 })
		if countTitled(ns, "soon") != 1 || countTitled(ns, "marker1") != 1 || len(ns) != 2 {
			t.Fatalf("after more ticks: %+v", ns)
		}
		// The bootstrap account's key was created before marker1, so it has
		// been looked at too: its notice is the bootstrap account's alone.
		var theirs []keyway.Notification
		s.call("GET", "/notifications", nil).want(t, 200).decode(t, &theirs)
		for _, m := range theirs {
			if m.AccountID != s.AccountID {
				t.Fatalf("the bootstrap account sees %+v", m)
			}
		}
		if countTitled(theirs, "soon") != 0 || countTitled(theirs, "theirs") != 1 {
			t.Fatalf("bootstrap account notices %+v", theirs)
		}

		// Moving the expiry, still within the week: noticed again.
		boss.as(s, t, "PATCH", "/api-keys/"+soon.Key.Reveal(), map[string]any{"expiry": iso(now.Add(5 * 24 * time.Hour))}).want(t, 200)
		ns = awaitNotices(t, s, boss, "the moved expiry's notice", func(ns []keyway.Notification) bool { return countTitled(ns, "soon") > 1 })
		moved := fmt.Sprintf("The API key %q expires at %s.", "soon", iso(now.Add(5*24*time.Hour)))
		messages := map[string]bool{}
		for _, n := range ns {
			messages[n.Message] = true
		}
		if !messages[moved] || !messages[want] || countTitled(ns, "soon") != 2 {
			t.Fatalf("after moving the expiry: %+v", ns)
		}

		// 24 days on, the 30-day key is within the week.
		s.Clock.Advance(24 * 24 * time.Hour)
		boss = s.signedIn(t, "notice@example.com", "correct horse battery") // the old access token has expired
		ns = awaitNotices(t, s, boss, "the 30-day key's notice", func(ns []keyway.Notification) bool { return countTitled(ns, "later") > 0 })
		if countTitled(ns, "later") != 1 || ns[0].Title != "API key expiring: later" || !ns[0].CreatedAt.Equal(s.Clock.Now()) {
			t.Fatalf("after 24 days: %+v", ns)
		}

		// One more marker, then every key has been noticed exactly once per
		// expiry it had, whatever the ticks in between.
		newKey("marker2", s.Clock.Now().Add(6*24*time.Hour+12*time.Hour))
		ns = awaitNotices(t, s, boss, "marker2's notice", func(ns []keyway.Notification) bool { return countTitled(ns, "marker2") > 0 })
		for name, c := range map[string]int{"soon": 2, "later": 1, "marker1": 1, "marker2": 1} {
			if got := countTitled(ns, name); got != c {
				t.Errorf("%d notices for %s, want %d", got, name, c)
			}
		}
		if len(ns) != 5 {
			t.Fatalf("notices %+v", ns)
		}
	})
}

// Keys that can no longer be used are not worth a notice: a deactivated
// key, and a key whose project was deleted (its keys stop verifying).
func TestExpiringKeyNoticesSkipUnusableKeys(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := startServerWith(t, dbURL, nil, func(c *app.Config) { c.ExpiryNoticeInterval = 50 * time.Millisecond })
		boss, acct := s.founder(t, "unusable@example.com")
		project := func(name string) keyway.Project {
			var pr keyway.Project
			boss.as(s, t, "POST", "/projects", map[string]any{"name": name, "accountId": acct, "env": "live"}).want(t, 201).decode(t, &pr)
			return pr
		}
		kept, doomed := project("kept"), project("doomed")
		newKey := func(name, projectID string, expiry time.Time) keyway.APIKey {
			var k keyway.APIKey
			boss.as(s, t, "POST", "/api-keys", map[string]any{"name": name, "projectId": projectID, "expiry": iso(expiry)}).want(t, 201).decode(t, &k)
			return k
		}
		// Both are far from expiry when they become unusable.
		now := s.Clock.Now()
		off := newKey("deactivated", kept.ID, now.Add(30*24*time.Hour))
		newKey("in-deleted-project", doomed.ID, now.Add(30*24*time.Hour))
		boss.as(s, t, "DELETE", "/api-keys/"+off.Key.Reveal(), nil).want(t, 200)
		boss.as(s, t, "DELETE", "/projects/"+doomed.ID, nil).want(t, 200)

		s.Clock.Advance(24 * 24 * time.Hour)
		boss = s.signedIn(t, "unusable@example.com", "correct horse battery")
		newKey("marker", kept.ID, s.Clock.Now().Add(6*24*time.Hour+12*time.Hour))
		ns := awaitNotices(t, s, boss, "the marker's notice", func(ns []keyway.Notification) bool { return countTitled(ns, "marker") > 0 })
		// The marker was created after both keys became due and expires
		// after them; a tick writes in expiry order, so one that noticed
		// the marker had looked at both keys before.
		if got := countTitled(ns, "deactivated"); got != 0 {
			t.Errorf("%d notices for a deactivated key", got)
		}
		// A key of a deleted project no longer verifies: no notice.
		if got := countTitled(ns, "in-deleted-project"); got != 0 {
			t.Errorf("%d notices for a key of a deleted project: %+v", got, ns)
		}
	})
}
