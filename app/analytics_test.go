package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/sqlstore"
)

// Usage analytics, end to end: verifications go in over HTTP, totals come
// out of /analytics/*. Counting happens in memory and reaches the store on
// the harness's 20 ms flush, so every read of fresh counts polls (with a
// deadline) until the expected grand total is there, then asserts exactly.

// anCounts are outcomes: successful, failed, rate limited.
type anCounts [3]int64

func (c anCounts) json() map[string]any {
	return map[string]any{"successful": c[0], "failed": c[1], "rateLimited": c[2], "total": c[0] + c[1] + c[2]}
}

// anPeriod is one expected period: its start and its counts.
type anPeriod struct {
	at string
	c  anCounts
}

func anPeriods(ps []anPeriod) ([]any, anCounts) {
	out := []any{}
	var total anCounts
	for _, p := range ps {
		m := p.c.json()
		m["period"] = p.at
		out = append(out, m)
		for i := range total {
			total[i] += p.c[i]
		}
	}
	return out, total
}

// anProjectWant is the expected project-totals body; its total is the sum
// of the periods.
func anProjectWant(projectID, grouping, from, to string, ps ...anPeriod) string {
	periods, total := anPeriods(ps)
	return js(map[string]any{"projectId": projectID, "dateGrouping": grouping, "from": from, "to": to,
		"total": total.json(), "periods": periods})
}

// anKeyWant is one expected entry of api-key-totals.
func anKeyWant(key, name string, ps ...anPeriod) map[string]any {
	periods, total := anPeriods(ps)
	return map[string]any{"key": key, "name": name, "total": total.json(), "periods": periods}
}

func anKeysWant(projectID, grouping, from, to string, keys ...map[string]any) string {
	list := []any{}
	for _, k := range keys {
		list = append(list, k)
	}
	return js(map[string]any{"projectId": projectID, "dateGrouping": grouping, "from": from, "to": to, "keys": list})
}

// anPath builds /analytics/{op}?… from name, value pairs.
func anPath(op string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "/analytics/" + op + "?" + v.Encode()
}

// anVerify verifies key with POST /api-keys/auth/{key} and checks the status.
func anVerify(t testing.TB, s *server, key string, status int, headers ...string) *response {
	t.Helper()
	return s.withT(t).call("POST", "/api-keys/auth/"+key, nil, headers...).want(t, status)
}

// anWaitTotal waits until GET path (a project-totals query) shows a grand
// total of at least want, read with the credential cred ("" = bootstrap).
func anWaitTotal(t testing.TB, s *server, cred, path string, want int64) {
	t.Helper()
	if cred == "" {
		cred = s.AccessKey
	}
	keywaytest.EventuallyShows(t, fmt.Sprintf("%s reaching a total of %d", path, want), func() (bool, string) {
		r := s.withT(t).callAs(cred, "GET", path, nil).want(t, 200)
		var pt struct {
			Total struct {
				Total int64 `json:"total"`
			} `json:"total"`
		}
		r.decode(t, &pt)
		return pt.Total.Total >= want, string(r.Body)
	})
}

// Known traffic across minute, hour, day, ISO-week, month and year
// boundaries comes out in exactly the right periods for every grouping.
func TestAnalyticsBoundaries(t *testing.T) {
	// The calendar facts the expectations below rely on.
	for date, wd := range map[string]time.Weekday{
		"2026-12-28": time.Monday, "2026-12-31": time.Thursday, "2027-01-01": time.Friday,
		"2027-01-03": time.Sunday, "2027-01-04": time.Monday, "2027-01-25": time.Monday,
		"2027-01-31": time.Sunday, "2027-02-01": time.Monday,
	} {
		d, err := time.Parse("2006-01-02", date)
		if err != nil {
			t.Fatal(err)
		}
		if d.Weekday() != wd {
			t.Fatalf("%s is a %s, not a %s", date, d.Weekday(), wd)
		}
	}
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("boundaries", "live")
		// a fails on a foreign origin; b allows one success per second.
		a := s.createKey(p.ID, map[string]any{"name": "a", "allowedDomains": []string{"good.example"}})
		b := s.createKey(p.ID, map[string]any{"name": "b", "rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 1}})
		aOK := func() { anVerify(t, s, a.Key, 200) }
		aFail := func() { anVerify(t, s, a.Key, 403, "x-origin-domain", "bad.example").wantJSON(t, errOriginDenied) }
		bOK := func() { anVerify(t, s, b.Key, 200) }
		bLimited := func() { anVerify(t, s, b.Key, 429).wantJSON(t, errTooMany) }
		for _, step := range []struct {
			at   string
			hits []func()
		}{
			{"2026-12-31T23:59:30.000Z", []func(){aOK, aOK, aFail}},         // Thursday, last minute of the year
			{"2026-12-31T23:59:59.999Z", []func(){aOK, bOK, bLimited}},      // its last millisecond
			{"2027-01-01T00:00:00.000Z", []func(){aOK, aOK, aOK}},           // new minute, hour, day, month, year; same ISO week
			{"2027-01-01T00:59:59.999Z", []func(){aFail}},                   // end of an hour
			{"2027-01-01T01:00:00.000Z", []func(){aOK}},                     // next hour
			{"2027-01-03T23:59:59.999Z", []func(){aOK, aOK}},                // Sunday: still the week of Monday 2026-12-28
			{"2027-01-04T00:00:00.000Z", []func(){aOK, aFail, aFail}},       // Monday: a new ISO week
			{"2027-01-31T23:59:59.999Z", []func(){bOK}},                     // Sunday, end of January (b's window starts)
			{"2027-02-01T00:00:00.000Z", []func(){bLimited, bLimited, aOK}}, // Monday, new month, b still in its window
		} {
			at, err := time.Parse(time.RFC3339, step.at)
			if err != nil {
				t.Fatal(err)
			}
			s.Clock.Set(at)
			for _, hit := range step.hits {
				hit()
			}
		}
		const from, to = "2026-12-01T00:00:00.000Z", "2027-03-01T00:00:00.000Z"
		anWaitTotal(t, s, "", anPath("project-totals", "projectId", p.ID, "dateGrouping", "day", "from", from, "to", to), 20)

		type perKey struct{ project, a, b []anPeriod }
		want := map[string]perKey{
			"hour": {
				project: []anPeriod{
					{"2026-12-31T23:00:00.000Z", anCounts{4, 1, 1}},
					{"2027-01-01T00:00:00.000Z", anCounts{3, 1, 0}},
					{"2027-01-01T01:00:00.000Z", anCounts{1, 0, 0}},
					{"2027-01-03T23:00:00.000Z", anCounts{2, 0, 0}},
					{"2027-01-04T00:00:00.000Z", anCounts{1, 2, 0}},
					{"2027-01-31T23:00:00.000Z", anCounts{1, 0, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{1, 0, 2}},
				},
				a: []anPeriod{
					{"2026-12-31T23:00:00.000Z", anCounts{3, 1, 0}},
					{"2027-01-01T00:00:00.000Z", anCounts{3, 1, 0}},
					{"2027-01-01T01:00:00.000Z", anCounts{1, 0, 0}},
					{"2027-01-03T23:00:00.000Z", anCounts{2, 0, 0}},
					{"2027-01-04T00:00:00.000Z", anCounts{1, 2, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{1, 0, 0}},
				},
				b: []anPeriod{
					{"2026-12-31T23:00:00.000Z", anCounts{1, 0, 1}},
					{"2027-01-31T23:00:00.000Z", anCounts{1, 0, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{0, 0, 2}},
				},
			},
			"day": {
				project: []anPeriod{
					{"2026-12-31T00:00:00.000Z", anCounts{4, 1, 1}},
					{"2027-01-01T00:00:00.000Z", anCounts{4, 1, 0}},
					{"2027-01-03T00:00:00.000Z", anCounts{2, 0, 0}},
					{"2027-01-04T00:00:00.000Z", anCounts{1, 2, 0}},
					{"2027-01-31T00:00:00.000Z", anCounts{1, 0, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{1, 0, 2}},
				},
				a: []anPeriod{
					{"2026-12-31T00:00:00.000Z", anCounts{3, 1, 0}},
					{"2027-01-01T00:00:00.000Z", anCounts{4, 1, 0}},
					{"2027-01-03T00:00:00.000Z", anCounts{2, 0, 0}},
					{"2027-01-04T00:00:00.000Z", anCounts{1, 2, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{1, 0, 0}},
				},
				b: []anPeriod{
					{"2026-12-31T00:00:00.000Z", anCounts{1, 0, 1}},
					{"2027-01-31T00:00:00.000Z", anCounts{1, 0, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{0, 0, 2}},
				},
			},
			// ISO weeks: Thursday 2026-12-31 to Sunday 2027-01-03 are all
			// in the week of Monday 2026-12-28; Sunday 2027-01-31 is in
			// the week of Monday 2027-01-25.
			"week": {
				project: []anPeriod{
					{"2026-12-28T00:00:00.000Z", anCounts{10, 2, 1}},
					{"2027-01-04T00:00:00.000Z", anCounts{1, 2, 0}},
					{"2027-01-25T00:00:00.000Z", anCounts{1, 0, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{1, 0, 2}},
				},
				a: []anPeriod{
					{"2026-12-28T00:00:00.000Z", anCounts{9, 2, 0}},
					{"2027-01-04T00:00:00.000Z", anCounts{1, 2, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{1, 0, 0}},
				},
				b: []anPeriod{
					{"2026-12-28T00:00:00.000Z", anCounts{1, 0, 1}},
					{"2027-01-25T00:00:00.000Z", anCounts{1, 0, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{0, 0, 2}},
				},
			},
			"month": {
				project: []anPeriod{
					{"2026-12-01T00:00:00.000Z", anCounts{4, 1, 1}},
					{"2027-01-01T00:00:00.000Z", anCounts{8, 3, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{1, 0, 2}},
				},
				a: []anPeriod{
					{"2026-12-01T00:00:00.000Z", anCounts{3, 1, 0}},
					{"2027-01-01T00:00:00.000Z", anCounts{7, 3, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{1, 0, 0}},
				},
				b: []anPeriod{
					{"2026-12-01T00:00:00.000Z", anCounts{1, 0, 1}},
					{"2027-01-01T00:00:00.000Z", anCounts{1, 0, 0}},
					{"2027-02-01T00:00:00.000Z", anCounts{0, 0, 2}},
				},
			},
		}
		for _, g := range []string{"hour", "day", "week", "month"} {
			w := want[g]
			t.Run(g, func(t *testing.T) {
				body := anProjectWant(p.ID, g, from, to, w.project...)
				if !strings.Contains(body, `"total":{"failed":4,"rateLimited":3,"successful":13,"total":20}`) {
					t.Fatalf("expectation for %s does not add up to the traffic: %s", g, body)
				}
				s.withT(t).call("GET", anPath("project-totals", "projectId", p.ID, "dateGrouping", g, "from", from, "to", to), nil).
					want(t, 200).wantJSON(t, body)
				// a (15 verifications) before b (5).
				s.withT(t).call("GET", anPath("api-key-totals", "projectId", p.ID, "dateGrouping", g, "from", from, "to", to), nil).
					want(t, 200).wantJSON(t, anKeysWant(p.ID, g, from, to, anKeyWant(a.Key, "a", w.a...), anKeyWant(b.Key, "b", w.b...)))
			})
		}

		// Buckets count when their start lies in [from, to).
		for _, c := range []struct {
			name, grouping, from, to string
			wantFrom, wantTo         string // as echoed; "" = as sent
			periods                  []anPeriod
		}{
			{name: "the year's last day only: midnight belongs to the next", grouping: "day", from: "2026-12-31T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z",
				periods: []anPeriod{{"2026-12-31T00:00:00.000Z", anCounts{4, 1, 1}}}},
			{name: "to is exclusive, from inclusive", grouping: "day", from: "2027-01-01T00:00:00.000Z", to: "2027-01-04T00:00:00.000Z",
				periods: []anPeriod{{"2027-01-01T00:00:00.000Z", anCounts{4, 1, 0}}, {"2027-01-03T00:00:00.000Z", anCounts{2, 0, 0}}}},
			{name: "a bucket starting before from is left out", grouping: "day", from: "2027-01-01T00:00:00.001Z", to: "2027-01-04T00:00:00.001Z",
				periods: []anPeriod{{"2027-01-03T00:00:00.000Z", anCounts{2, 0, 0}}, {"2027-01-04T00:00:00.000Z", anCounts{1, 2, 0}}}},
			{name: "a week period is named by its Monday even before from", grouping: "week", from: "2027-01-01T00:00:00.000Z", to: "2027-01-04T00:00:00.000Z",
				periods: []anPeriod{{"2026-12-28T00:00:00.000Z", anCounts{6, 1, 0}}}},
			{name: "Sunday and Monday fall in different weeks", grouping: "week", from: "2027-01-03T00:00:00.000Z", to: "2027-01-05T00:00:00.000Z",
				periods: []anPeriod{{"2026-12-28T00:00:00.000Z", anCounts{2, 0, 0}}, {"2027-01-04T00:00:00.000Z", anCounts{1, 2, 0}}}},
			{name: "hours: neither the bucket before from nor the one at to", grouping: "hour", from: "2027-01-01T00:30:00.000Z", to: "2027-01-01T01:00:00.000Z",
				periods: nil},
			{name: "hours: one millisecond past the hour takes it in", grouping: "hour", from: "2027-01-01T00:00:00.000Z", to: "2027-01-01T01:00:00.001Z",
				periods: []anPeriod{{"2027-01-01T00:00:00.000Z", anCounts{3, 1, 0}}, {"2027-01-01T01:00:00.000Z", anCounts{1, 0, 0}}}},
			{name: "dates without a time, and months", grouping: "month", from: "2027-01-01", to: "2027-02-01",
				wantFrom: "2027-01-01T00:00:00.000Z", wantTo: "2027-02-01T00:00:00.000Z",
				periods: []anPeriod{{"2027-01-01T00:00:00.000Z", anCounts{8, 3, 0}}}},
			{name: "an offset is turned into UTC", grouping: "day", from: "2027-01-01T01:00:00+01:00", to: "2027-01-02T01:00:00+01:00",
				wantFrom: "2027-01-01T00:00:00.000Z", wantTo: "2027-01-02T00:00:00.000Z",
				periods: []anPeriod{{"2027-01-01T00:00:00.000Z", anCounts{4, 1, 0}}}},
		} {
			t.Run(c.name, func(t *testing.T) {
				wf, wt := c.from, c.to
				if c.wantFrom != "" {
					wf, wt = c.wantFrom, c.wantTo
				}
				s.withT(t).call("GET", anPath("project-totals", "projectId", p.ID, "dateGrouping", c.grouping, "from", c.from, "to", c.to), nil).
					want(t, 200).wantJSON(t, anProjectWant(p.ID, c.grouping, wf, wt, c.periods...))
			})
		}

		// The default window: to = now, from = the start of the UTC day 30
		// days earlier. Now is a millisecond into February.
		s.Clock.Set(time.Date(2027, 2, 1, 0, 0, 0, 1_000_000, time.UTC))
		s.call("GET", anPath("project-totals", "projectId", p.ID, "dateGrouping", "day"), nil).want(t, 200).
			wantJSON(t, anProjectWant(p.ID, "day", "2027-01-02T00:00:00.000Z", "2027-02-01T00:00:00.001Z",
				anPeriod{"2027-01-03T00:00:00.000Z", anCounts{2, 0, 0}},
				anPeriod{"2027-01-04T00:00:00.000Z", anCounts{1, 2, 0}},
				anPeriod{"2027-01-31T00:00:00.000Z", anCounts{1, 0, 0}},
				anPeriod{"2027-02-01T00:00:00.000Z", anCounts{1, 0, 2}}))
	})
}

// Every verification route counts each attempt as successful, failed or
// rate limited, for the key and its project; unknown and out-of-scope keys
// count for the caller's account only; reading a key counts nothing.
func TestAnalyticsOutcomes(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("outcomes", "live")
		doomed := s.newProject("doomed", "live")
		limited := s.createKey(p.ID, map[string]any{"name": "limited", "rateLimitConfigs": map[string]any{"rateLimit": 2, "rateLimitTtl": 60}})
		ok := s.createKey(p.ID, map[string]any{"name": "ok"})
		revoked := s.createKey(p.ID, map[string]any{"name": "revoked"})
		origin := s.createKey(p.ID, map[string]any{"name": "origin", "allowedDomains": []string{"*.example.com"}})
		expiring := s.createKey(p.ID, map[string]any{"name": "expiring", "expiry": iso(s.Clock.Now().Add(time.Minute))})
		s.createKey(p.ID, map[string]any{"name": "unused"})
		q := s.createKey(doomed.ID, map[string]any{"name": "q"})
		doomedKey := s.projectKey(doomed.ID)
		foreign, foreignKey := s.seedAccount()

		// Reads are not verifications: they neither count nor consume the
		// rate limit (limited still has both its successes below).
		for range 3 {
			s.call("GET", "/api-keys/"+ok.Key, nil).want(t, 200)
			s.call("GET", "/api-keys/"+limited.Key, nil).want(t, 200)
		}

		// ok: 5 successes over the three verification routes.
		for range 3 {
			anVerify(t, s, ok.Key, 200)
		}
		s.call("GET", "/api-keys/auth/"+ok.Key, nil).want(t, 200)
		s.call("POST", "/auth/authenticate", legacyBody(ok.Key)).want(t, 201)

		// limited: 2 successes, then 4 rate limited (POST and legacy GET).
		anVerify(t, s, limited.Key, 200)
		anVerify(t, s, limited.Key, 200)
		for range 3 {
			anVerify(t, s, limited.Key, 429).wantJSON(t, errTooMany)
		}
		s.call("GET", "/api-keys/auth/"+limited.Key, nil).want(t, 429).wantJSON(t, errTooMany)

		// revoked: 1 success, then 3 failures once revoked.
		anVerify(t, s, revoked.Key, 200)
		s.call("DELETE", "/api-keys/"+revoked.Key, nil).want(t, 200)
		anVerify(t, s, revoked.Key, 404).wantJSON(t, errInvalidKey)
		s.call("GET", "/api-keys/auth/"+revoked.Key, nil).want(t, 404).wantJSON(t, errInvalidKey)
		s.call("POST", "/auth/authenticate", legacyBody(revoked.Key)).want(t, 404).wantJSON(t, errInvalidKey)

		// origin: 1 success from an allowed origin, 2 denied.
		anVerify(t, s, origin.Key, 200, "x-origin-domain", "api.example.com")
		anVerify(t, s, origin.Key, 403, "x-origin-domain", "evil.test").wantJSON(t, errOriginDenied)
		s.call("GET", "/api-keys/auth/"+origin.Key, nil, "x-origin-domain", "evil.test").want(t, 403).wantJSON(t, errOriginDenied)

		// Out of the caller's scope: a key of another project of the same
		// account, or of another account, is unknown to the caller.
		s.callAs(doomedKey, "POST", "/api-keys/auth/"+ok.Key, nil).want(t, 404).wantJSON(t, errInvalidKey)
		s.callAs(foreignKey, "POST", "/api-keys/auth/"+ok.Key, nil).want(t, 404).wantJSON(t, errInvalidKey)

		// Unknown keys: 4 attempts over the three routes.
		anVerify(t, s, "live_unknown", 404)
		anVerify(t, s, "live_"+strings.Repeat("x", 64), 404)
		s.call("GET", "/api-keys/auth/live_unknown", nil).want(t, 404)
		s.call("POST", "/auth/authenticate", legacyBody("live_unknown")).want(t, 404)

		// q: 1 success, then 2 failures once its project is deleted.
		anVerify(t, s, q.Key, 200)
		s.call("DELETE", "/projects/"+doomed.ID, nil).want(t, 200)
		anVerify(t, s, q.Key, 404).wantJSON(t, errInvalidKey)
		s.call("POST", "/auth/authenticate", legacyBody(q.Key)).want(t, 404).wantJSON(t, errInvalidKey)

		// expiring: 1 success, then 1 failure once expired.
		anVerify(t, s, expiring.Key, 200)
		s.Clock.Advance(2 * time.Minute)
		anVerify(t, s, expiring.Key, 404).wantJSON(t, errInvalidKey)

		// The default window: to = now, from = the start of the UTC day 30
		// days before.
		now := s.now()
		const from = "2026-10-27T00:00:00.000Z"
		const day = "2026-11-26T00:00:00.000Z"
		anWaitTotal(t, s, "", anPath("project-totals", "projectId", p.ID, "dateGrouping", "day"), 20)
		s.call("GET", anPath("project-totals", "projectId", p.ID, "dateGrouping", "day"), nil).want(t, 200).
			wantJSON(t, anProjectWant(p.ID, "day", from, now, anPeriod{day, anCounts{10, 6, 4}}))
		s.call("GET", anPath("project-totals", "projectId", p.ID, "dateGrouping", "hour"), nil).want(t, 200).
			wantJSON(t, anProjectWant(p.ID, "hour", from, now, anPeriod{"2026-11-26T17:00:00.000Z", anCounts{10, 6, 4}}))
		// Most used first; the revoked key is in, the unused one is not.
		s.call("GET", anPath("api-key-totals", "projectId", p.ID, "dateGrouping", "day"), nil).want(t, 200).
			wantJSON(t, anKeysWant(p.ID, "day", from, now,
				anKeyWant(limited.Key, "limited", anPeriod{day, anCounts{2, 0, 4}}),
				anKeyWant(ok.Key, "ok", anPeriod{day, anCounts{5, 0, 0}}),
				anKeyWant(revoked.Key, "revoked", anPeriod{day, anCounts{1, 3, 0}}),
				anKeyWant(origin.Key, "origin", anPeriod{day, anCounts{1, 2, 0}}),
				anKeyWant(expiring.Key, "expiring", anPeriod{day, anCounts{1, 1, 0}})))
		// A deleted project keeps its usage, failures after the deletion
		// included.
		s.call("GET", anPath("project-totals", "projectId", doomed.ID, "dateGrouping", "day"), nil).want(t, 200).
			wantJSON(t, anProjectWant(doomed.ID, "day", from, now, anPeriod{day, anCounts{1, 2, 0}}))
		s.call("GET", anPath("api-key-totals", "projectId", doomed.ID, "dateGrouping", "day"), nil).want(t, 200).
			wantJSON(t, anKeysWant(doomed.ID, "day", from, now, anKeyWant(q.Key, "q", anPeriod{day, anCounts{1, 2, 0}})))

		// Unknown and out-of-scope attempts: one project-less failed total
		// per account of the caller (4 unknown + 1 of another project for
		// the bootstrap account; 1 for the foreign account).
		db := anOpenDB(t, s.DBURL)
		for _, c := range []struct {
			account string
			failed  int64
		}{{s.AccountID, 5}, {foreign, 1}} {
			for _, table := range []string{"usage_minute", "usage_hour", "usage_day"} {
				var got [3]int64
				keywaytest.EventuallyShows(t, fmt.Sprintf("%s: %d unknown-key failures for account %s", table, c.failed, c.account), func() (bool, string) {
					if err := db.QueryRow(`SELECT COALESCE(SUM(successful),0), COALESCE(SUM(failed),0), COALESCE(SUM(rate_limited),0) FROM `+table+`
						WHERE project_id = '' AND key_id = '' AND account_id = $1`, c.account).Scan(&got[0], &got[1], &got[2]); err != nil {
						t.Fatal(err)
					}
					return got[1] >= c.failed, fmt.Sprint(got)
				})
				if got != [3]int64{0, c.failed, 0} {
					t.Errorf("%s: account %s unknown-key usage %v, want [0 %d 0]", table, c.account, got, c.failed)
				}
			}
		}
		// Nothing else is attributed to no project: every key-less row is
		// one of those two.
		var stray int
		if err := db.QueryRow(`SELECT COUNT(*) FROM usage_day WHERE project_id = '' AND account_id NOT IN ($1, $2)`, s.AccountID, foreign).Scan(&stray); err != nil {
			t.Fatal(err)
		}
		if stray != 0 {
			t.Errorf("%d project-less usage rows of other accounts", stray)
		}
	})
}

// anOpenDB opens the server's database for reading behind its back.
func anOpenDB(t testing.TB, dbURL string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if path, ok := strings.CutPrefix(dbURL, "sqlite://"); ok {
		db, err = sql.Open("sqlite", "file:"+path+"?mode=ro")
	} else {
		db, err = sql.Open("pgx", dbURL)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// api-key-totals ranks keys by total, pages with limit and cursor, keeps
// revoked keys with usage, and follows a key through rotation.
func TestAnalyticsKeyTotalsPaging(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("paging", "live")
		alpha := s.createKey(p.ID, map[string]any{"name": "alpha"})
		beta := s.createKey(p.ID, map[string]any{"name": "beta"})
		gamma := s.createKey(p.ID, map[string]any{"name": "gamma"})
		s.createKey(p.ID, map[string]any{"name": "delta"}) // never used
		epsilon := s.createKey(p.ID, map[string]any{"name": "epsilon"})
		s.call("DELETE", "/api-keys/"+epsilon.Key, nil).want(t, 200) // revoked, never used

		// alpha: 2 uses, rotation, 2 uses of the new string; the old
		// string is then unknown and counts for no key.
		anVerify(t, s, alpha.Key, 200)
		anVerify(t, s, alpha.Key, 200)
		var rotated keyway.APIKey
		s.call("POST", "/api-keys/"+alpha.Key+"/rotate", nil).want(t, 201).decode(t, &rotated)
		if rotated.Key.Reveal() == alpha.Key || rotated.Name != "alpha" {
			t.Fatalf("rotate answered %+v", rotated)
		}
		anVerify(t, s, alpha.Key, 404).wantJSON(t, errInvalidKey)
		anVerify(t, s, rotated.Key.Reveal(), 200)
		s.call("GET", "/api-keys/auth/"+rotated.Key.Reveal(), nil).want(t, 200)
		// beta: 3 uses, then revoked.
		for range 3 {
			anVerify(t, s, beta.Key, 200)
		}
		s.call("DELETE", "/api-keys/"+beta.Key, nil).want(t, 200)
		// gamma: 1 use.
		anVerify(t, s, gamma.Key, 200)

		const from, to = "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"
		const month = "2026-11-01T00:00:00.000Z"
		anWaitTotal(t, s, "", anPath("project-totals", "projectId", p.ID, "dateGrouping", "month", "from", from, "to", to), 8)
		s.call("GET", anPath("project-totals", "projectId", p.ID, "dateGrouping", "month", "from", from, "to", to), nil).want(t, 200).
			wantJSON(t, anProjectWant(p.ID, "month", from, to, anPeriod{month, anCounts{8, 0, 0}}))

		wantAlpha := anKeyWant(rotated.Key.Reveal(), "alpha", anPeriod{month, anCounts{4, 0, 0}})
		wantBeta := anKeyWant(beta.Key, "beta", anPeriod{month, anCounts{3, 0, 0}})
		wantGamma := anKeyWant(gamma.Key, "gamma", anPeriod{month, anCounts{1, 0, 0}})
		page := func(kv ...string) string {
			return anPath("api-key-totals", append([]string{"projectId", p.ID, "dateGrouping", "month", "from", from, "to", to}, kv...)...)
		}
		run(t, s, []scenario{
			{name: "all keys with usage, most used first", method: "GET", path: page(), wantStatus: 200,
				wantJSON: anKeysWant(p.ID, "month", from, to, wantAlpha, wantBeta, wantGamma), wantHeaders: map[string]string{"x-next-cursor": ""}},
			{name: "limit without cursor: no next cursor", method: "GET", path: page("limit", "2"), wantStatus: 200,
				wantJSON: anKeysWant(p.ID, "month", from, to, wantAlpha, wantBeta), wantHeaders: map[string]string{"x-next-cursor": ""}},
			{name: "limit and offset", method: "GET", path: page("limit", "1", "offset", "2"), wantStatus: 200,
				wantJSON: anKeysWant(p.ID, "month", from, to, wantGamma)},
			{name: "bad cursor", method: "GET", path: page("cursor", "abc"), wantStatus: 400, wantJSON: badRequest("cursor is not valid")},
		})

		// Cursor pagination, one key a page.
		var got []any
		cursor := ""
		for i := 0; ; i++ {
			if i > 5 {
				t.Fatalf("paging never ends")
			}
			r := s.call("GET", page("limit", "1", "cursor", cursor), nil).want(t, 200)
			var body struct {
				Keys []any `json:"keys"`
			}
			r.decode(t, &body)
			if len(body.Keys) != 1 {
				t.Fatalf("page %d: %d keys: %s", i, len(body.Keys), r.Body)
			}
			got = append(got, body.Keys...)
			next, present := r.Header["X-Next-Cursor"]
			if !present {
				break
			}
			if len(next) != 1 || next[0] == "" {
				t.Fatalf("page %d: x-next-cursor %q", i, next)
			}
			cursor = next[0]
		}
		all, _ := json.Marshal(map[string]any{"projectId": p.ID, "dateGrouping": "month", "from": from, "to": to, "keys": got})
		matchJSON(t, all, anKeysWant(p.ID, "month", from, to, wantAlpha, wantBeta, wantGamma))
	})
}

// The export is a CSV of one row per key and period, most used key first.
func TestAnalyticsExport(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("billing", "live")
		acme := s.createKey(p.ID, map[string]any{"name": `Acme, Inc. "prod"`, "customAccountId": "acct-1", "customUserId": "user-1",
			"allowedDomains": []string{"acme.example"}})
		plain := s.createKey(p.ID, map[string]any{"name": "plain"})
		s.createKey(p.ID, map[string]any{"name": "idle"})

		// 2026-11-26: acme 2 successes and 1 failure, plain 1 success.
		anVerify(t, s, acme.Key, 200)
		anVerify(t, s, acme.Key, 200, "x-origin-domain", "acme.example")
		anVerify(t, s, acme.Key, 403, "x-origin-domain", "other.example")
		anVerify(t, s, plain.Key, 200)
		// 2026-11-27: acme 1 success, plain 4.
		s.Clock.Advance(24 * time.Hour)
		anVerify(t, s, acme.Key, 200)
		for range 4 {
			anVerify(t, s, plain.Key, 200)
		}
		const from, to = "2026-11-26T00:00:00.000Z", "2026-11-28T00:00:00.000Z"
		anWaitTotal(t, s, "", anPath("project-totals", "projectId", p.ID, "dateGrouping", "day", "from", from, "to", to), 9)

		header := []string{"projectId", "key", "name", "customAccountId", "customUserId", "period", "successful", "failed", "rateLimited", "total"}
		for _, c := range []struct {
			name, grouping, from, to string
			rows                     [][]string
		}{
			{"by day", "day", from, to, [][]string{
				header,
				{p.ID, plain.Key, "plain", "", "", "2026-11-26T00:00:00.000Z", "1", "0", "0", "1"},
				{p.ID, plain.Key, "plain", "", "", "2026-11-27T00:00:00.000Z", "4", "0", "0", "4"},
				{p.ID, acme.Key, `Acme, Inc. "prod"`, "acct-1", "user-1", "2026-11-26T00:00:00.000Z", "2", "1", "0", "3"},
				{p.ID, acme.Key, `Acme, Inc. "prod"`, "acct-1", "user-1", "2026-11-27T00:00:00.000Z", "1", "0", "0", "1"},
			}},
			{"by month", "month", from, to, [][]string{
				header,
				{p.ID, plain.Key, "plain", "", "", "2026-11-01T00:00:00.000Z", "5", "0", "0", "5"},
				{p.ID, acme.Key, `Acme, Inc. "prod"`, "acct-1", "user-1", "2026-11-01T00:00:00.000Z", "3", "1", "0", "4"},
			}},
			{"one day", "hour", "2026-11-27T00:00:00.000Z", to, [][]string{
				header,
				{p.ID, plain.Key, "plain", "", "", "2026-11-27T17:00:00.000Z", "4", "0", "0", "4"},
				{p.ID, acme.Key, `Acme, Inc. "prod"`, "acct-1", "user-1", "2026-11-27T17:00:00.000Z", "1", "0", "0", "1"},
			}},
			{"no usage: the header alone", "day", "2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z", [][]string{header}},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := s.withT(t).call("GET", anPath("export", "projectId", p.ID, "dateGrouping", c.grouping, "from", c.from, "to", c.to), nil).want(t, 200)
				if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
				rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
				if err != nil {
					t.Fatalf("not CSV: %v\n%s", err, r.Body)
				}
				if g, w := js(rows), js(c.rows); g != w {
					t.Fatalf("export\n got: %s\nwant: %s", g, w)
				}
			})
		}
		// Quoting, byte for byte, for a name with a comma and quotes.
		r := s.call("GET", anPath("export", "projectId", p.ID, "dateGrouping", "month", "from", from, "to", to), nil).want(t, 200)
		wantRaw := strings.Join(header, ",") + "\n" +
			p.ID + "," + plain.Key + ",plain,,,2026-11-01T00:00:00.000Z,5,0,0,5\n" +
			p.ID + "," + acme.Key + `,"Acme, Inc. ""prod""",acct-1,user-1,2026-11-01T00:00:00.000Z,3,1,0,4` + "\n"
		if string(r.Body) != wantRaw {
			t.Errorf("raw export\n got: %q\nwant: %q", r.Body, wantRaw)
		}
	})
}

// Bad queries are 400 with exact messages, on every analytics route.
func TestAnalyticsBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		const (
			mProject  = "projectId should not be empty"
			mGrouping = "dateGrouping must be one of the following values: hour, day, week, month"
			mFrom     = "from must be an ISO 8601 date-time"
			mTo       = "to must be an ISO 8601 date-time"
			mOrder    = "from must be before to"
			mWide     = "from and to must be at most 400 days apart"
		)
		for _, op := range []string{"project-totals", "api-key-totals", "export"} {
			t.Run(op, func(t *testing.T) {
				bad := func(name string, messages []string, kv ...string) scenario {
					return scenario{name: name, method: "GET", path: anPath(op, kv...), wantStatus: 400, wantJSON: badRequest(messages...)}
				}
				run(t, s, []scenario{
					bad("nothing", []string{mProject, mGrouping}),
					bad("no projectId", []string{mProject}, "dateGrouping", "day"),
					bad("empty projectId", []string{mProject}, "projectId", "", "dateGrouping", "day"),
					bad("no dateGrouping", []string{mGrouping}, "projectId", p.ID),
					bad("empty dateGrouping", []string{mGrouping}, "projectId", p.ID, "dateGrouping", ""),
					bad("dateGrouping year", []string{mGrouping}, "projectId", p.ID, "dateGrouping", "year"),
					bad("dateGrouping minute", []string{mGrouping}, "projectId", p.ID, "dateGrouping", "minute"),
					bad("dateGrouping in capitals", []string{mGrouping}, "projectId", p.ID, "dateGrouping", "Day"),
					bad("unparseable from", []string{mFrom}, "projectId", p.ID, "dateGrouping", "day", "from", "yesterday"),
					bad("unparseable to", []string{mTo}, "projectId", p.ID, "dateGrouping", "day", "to", "2027-13-01"),
					bad("from after to", []string{mOrder}, "projectId", p.ID, "dateGrouping", "day", "from", "2027-01-02T00:00:00.000Z", "to", "2027-01-01T00:00:00.000Z"),
					bad("from equal to to", []string{mOrder}, "projectId", p.ID, "dateGrouping", "day", "from", "2027-01-01T00:00:00.000Z", "to", "2027-01-01T00:00:00.000Z"),
					bad("from after the default to (now)", []string{mOrder}, "projectId", p.ID, "dateGrouping", "day", "from", "2026-11-27T00:00:00.000Z"),
					bad("400 days and a millisecond", []string{mWide}, "projectId", p.ID, "dateGrouping", "day", "from", "2026-01-01T00:00:00.000Z", "to", "2027-02-05T00:00:00.001Z"),
					bad("bad input before scope: unknown project", []string{mGrouping}, "projectId", "no-such-project", "dateGrouping", "decade"),
					{name: "exactly 400 days is allowed", method: "GET", wantStatus: 200, check: anOK,
						path: anPath(op, "projectId", p.ID, "dateGrouping", "month", "from", "2026-01-01T00:00:00.000Z", "to", "2027-02-05T00:00:00.000Z")},
					{name: "unknown project", method: "GET", path: anPath(op, "projectId", "no-such-project", "dateGrouping", "day"), wantStatus: 403, wantJSON: errForbidden},
					{name: "no credential", as: anonymous, method: "GET", path: anPath(op, "projectId", p.ID, "dateGrouping", "day"), wantStatus: 401, wantJSON: errUnauthorized},
					{name: "wrong credential", as: "live_access_" + strings.Repeat("x", 64), method: "GET", path: anPath(op, "projectId", p.ID, "dateGrouping", "day"),
						wantStatus: 401, wantJSON: errUnauthorized},
				})
			})
		}
		// Default windows, echoed in the answer.
		run(t, s, []scenario{
			{name: "no from or to: the 30 days to now", method: "GET", path: anPath("project-totals", "projectId", p.ID, "dateGrouping", "week"), wantStatus: 200,
				wantJSON: anProjectWant(p.ID, "week", "2026-10-27T00:00:00.000Z", "2026-11-26T17:09:01.623Z")},
			{name: "to only: from is the start of the day 30 days before", method: "GET", wantStatus: 200,
				path:     anPath("api-key-totals", "projectId", p.ID, "dateGrouping", "hour", "to", "2025-01-01T12:34:56.789Z"),
				wantJSON: anKeysWant(p.ID, "hour", "2024-12-02T00:00:00.000Z", "2025-01-01T12:34:56.789Z")},
			{name: "from only: to is now", method: "GET", wantStatus: 200,
				path:     anPath("project-totals", "projectId", p.ID, "dateGrouping", "month", "from", "2026-11-26T00:00:00.000Z"),
				wantJSON: anProjectWant(p.ID, "month", "2026-11-26T00:00:00.000Z", "2026-11-26T17:09:01.623Z")},
		})
	})
}

// anOK checks a 200 analytics answer is the right kind of body.
func anOK(t *testing.T, r *response) {
	t.Helper()
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "text/csv"):
		if !bytes.HasPrefix(r.Body, []byte("projectId,key,name,")) {
			t.Fatalf("export without its header: %q", r.Body)
		}
	case strings.HasPrefix(ct, "application/json"):
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil || m["projectId"] == nil {
			t.Fatalf("not an analytics answer: %s", r.Body)
		}
	default:
		t.Fatalf("Content-Type %q", ct)
	}
}

// Analytics are scoped like everything else: another account's project and
// an unknown one are 403; viewers read; narrowed members read only their
// projects; a project-level access key only its project.
func TestAnalyticsScope(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("mine", "live")
		p2 := s.newProject("mine too", "live")
		k := s.createKey(p.ID, map[string]any{"name": "k"})
		anVerify(t, s, k.Key, 200)
		projectKey := s.projectKey(p.ID)
		_, foreignKey := s.seedAccount()

		founder, acct := s.founder(t, "founder@example.com")
		var f1, f2 keyway.Project
		founder.as(s, t, "POST", "/projects", map[string]any{"name": "f1", "accountId": acct, "env": "live"}).want(t, 201).decode(t, &f1)
		founder.as(s, t, "POST", "/projects", map[string]any{"name": "f2", "accountId": acct, "env": "live"}).want(t, 201).decode(t, &f2)
		var fk1, fk2 keyway.APIKey
		founder.as(s, t, "POST", "/api-keys", map[string]any{"name": "fk1", "projectId": f1.ID}).want(t, 201).decode(t, &fk1)
		founder.as(s, t, "POST", "/api-keys", map[string]any{"name": "fk2", "projectId": f2.ID}).want(t, 201).decode(t, &fk2)
		// A user token verifies too, and counts.
		founder.as(s, t, "POST", "/api-keys/auth/"+fk1.Key.Reveal(), nil).want(t, 200)
		founder.as(s, t, "POST", "/api-keys/auth/"+fk1.Key.Reveal(), nil).want(t, 200)
		founder.as(s, t, "POST", "/api-keys/auth/"+fk2.Key.Reveal(), nil).want(t, 200)
		viewer := s.member(t, founder, acct, "viewer@example.com", keyway.RoleViewer)
		narrow := s.member(t, founder, acct, "narrow@example.com", keyway.RoleUser, f1.ID)

		totals := func(id string) string { return anPath("project-totals", "projectId", id, "dateGrouping", "day") }
		anWaitTotal(t, s, "", totals(p.ID), 1)
		keywaytest.EventuallyShows(t, "the founder's counts", func() (bool, string) {
			r := founder.as(s, t, "GET", totals(f1.ID), nil).want(t, 200)
			return strings.Contains(string(r.Body), `"total":2`), string(r.Body)
		})
		keywaytest.EventuallyShows(t, "the founder's counts", func() (bool, string) {
			r := founder.as(s, t, "GET", totals(f2.ID), nil).want(t, 200)
			return strings.Contains(string(r.Body), `"total":1`), string(r.Body)
		})

		const from = "2026-10-27T00:00:00.000Z"
		to := s.now()
		day := anPeriod{"2026-11-26T00:00:00.000Z", anCounts{2, 0, 0}}
		for _, c := range []struct {
			name    string
			call    func(t *testing.T, path string) *response
			project string
			status  int
			total   int64
		}{
			{"account key, own project", s.anAs(s.AccessKey), p.ID, 200, 1},
			{"project key, its project", s.anAs(projectKey), p.ID, 200, 1},
			{"project key, another project of the account", s.anAs(projectKey), p2.ID, 403, 0},
			{"account key, another account's project", s.anAs(s.AccessKey), f1.ID, 403, 0},
			{"seeded account's key, our project", s.anAs(foreignKey), p.ID, 403, 0},
			{"founder, own project", s.anPerson(founder), f1.ID, 200, 2},
			{"founder, another account's project", s.anPerson(founder), p.ID, 403, 0},
			{"viewer reads", s.anPerson(viewer), f1.ID, 200, 2},
			{"viewer reads every project", s.anPerson(viewer), f2.ID, 200, 1},
			{"viewer, another account's project", s.anPerson(viewer), p.ID, 403, 0},
			{"narrowed member, its project", s.anPerson(narrow), f1.ID, 200, 2},
			{"narrowed member, another project", s.anPerson(narrow), f2.ID, 403, 0},
			{"unknown project", s.anPerson(founder), "no-such-project", 403, 0},
			{"no credential", s.anAs(""), p.ID, 401, 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				for _, op := range []string{"project-totals", "api-key-totals", "export"} {
					r := c.call(t, anPath(op, "projectId", c.project, "dateGrouping", "day"))
					if r.Status != c.status {
						t.Fatalf("%s: status %d, want %d: %s", op, r.Status, c.status, r.Body)
					}
					switch {
					case c.status == 403:
						r.wantJSON(t, errForbidden)
					case c.status == 401:
						r.wantJSON(t, errUnauthorized)
					case op == "project-totals":
						r.wantJSON(t, anProjectWant(c.project, "day", from, to, anPeriod{day.at, anCounts{c.total, 0, 0}}))
					case op == "api-key-totals":
						var body struct {
							Keys []struct {
								Total struct {
									Total int64 `json:"total"`
								} `json:"total"`
							} `json:"keys"`
						}
						r.decode(t, &body)
						if len(body.Keys) != 1 || body.Keys[0].Total.Total != c.total {
							t.Fatalf("api-key-totals: %s", r.Body)
						}
					default:
						rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
						if err != nil || len(rows) != 2 || rows[1][9] != fmt.Sprint(c.total) {
							t.Fatalf("export (%v): %q", err, r.Body)
						}
					}
				}
			})
		}
	})
}

// anAs calls with an access key ("" sends no credential).
func (s *server) anAs(cred string) func(t *testing.T, path string) *response {
	return func(t *testing.T, path string) *response { return s.withT(t).callAs(cred, "GET", path, nil) }
}

// anPerson calls with a user's token.
func (s *server) anPerson(p person) func(t *testing.T, path string) *response {
	return func(t *testing.T, path string) *response { return p.as(s, t, "GET", path, nil) }
}

// lastUsedAt (a Keyway extension) appears on a key read once a successful
// verification was flushed, and is the injected time of the last success;
// failures do not move it and verification answers never carry it.
func TestLastUsedAt(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.createKey(p.ID, map[string]any{"name": "lu", "allowedDomains": []string{"ok.example"}})
		totals := anPath("project-totals", "projectId", p.ID, "dateGrouping", "day", "from", "2026-11-01T00:00:00.000Z", "to", "2026-12-01T00:00:00.000Z")
		lastUsed := func() (string, bool) {
			var m map[string]any
			s.call("GET", "/api-keys/"+k.Key, nil).want(t, 200).decode(t, &m)
			v, ok := m["lastUsedAt"]
			if !ok {
				return "", false
			}
			str, _ := v.(string)
			return str, true
		}
		noLastUsed := func(what string, r *response) {
			t.Helper()
			var m map[string]any
			r.decode(t, &m)
			if _, ok := m["lastUsedAt"]; ok {
				t.Errorf("%s answers lastUsedAt: %s", what, r.Body)
			}
		}
		waitLastUsed := func(want string) {
			t.Helper()
			keywaytest.EventuallyShows(t, "lastUsedAt "+want, func() (bool, string) {
				v, _ := lastUsed()
				return v == want, v
			})
		}

		if v, ok := lastUsed(); ok {
			t.Fatalf("a new key has lastUsedAt %q", v)
		}
		// A failure is not a use.
		anVerify(t, s, k.Key, 403, "x-origin-domain", "bad.example")
		anWaitTotal(t, s, "", totals, 1)
		if v, ok := lastUsed(); ok {
			t.Fatalf("lastUsedAt %q after a failed verification only", v)
		}

		t1 := time.Date(2026, 11, 26, 18, 0, 0, 123_456_789, time.UTC)
		s.Clock.Set(t1)
		noLastUsed("POST verification", anVerify(t, s, k.Key, 200))
		waitLastUsed("2026-11-26T18:00:00.123Z")

		t2 := t1.Add(90 * time.Second)
		s.Clock.Set(t2)
		noLastUsed("GET verification", s.call("GET", "/api-keys/auth/"+k.Key, nil).want(t, 200))
		t3 := t2.Add(time.Hour)
		s.Clock.Set(t3)
		noLastUsed("legacy authenticate", s.call("POST", "/auth/authenticate", legacyBody(k.Key)).want(t, 201))
		// A later failure leaves it at the last success.
		s.Clock.Set(t3.Add(time.Second))
		anVerify(t, s, k.Key, 403, "x-origin-domain", "bad.example")
		anWaitTotal(t, s, "", totals, 5)
		if v, _ := lastUsed(); v != iso(t3) {
			t.Fatalf("lastUsedAt %q, want %s (the last success)", v, iso(t3))
		}
		// Lists show it too.
		var list []map[string]any
		s.call("GET", "/api-keys?projectId="+p.ID, nil).want(t, 200).decode(t, &list)
		if len(list) != 1 || list[0]["lastUsedAt"] != iso(t3) {
			t.Errorf("listed key: %v", list)
		}
		// It is exact to a minute: a success less than a minute after the
		// recorded one leaves the row alone.
		s.Clock.Set(t3.Add(30 * time.Second))
		anVerify(t, s, k.Key, 200)
		anWaitTotal(t, s, "", totals, 6)
		if v, _ := lastUsed(); v != iso(t3) {
			t.Fatalf("lastUsedAt %q after a success 30 s later, want %s still", v, iso(t3))
		}
		// A verification answer freshly loaded from the store (the update
		// drops the cached one) still leaves it out.
		t4 := t3.Add(2 * time.Minute)
		s.Clock.Set(t4)
		s.call("PATCH", "/api-keys/"+k.Key, map[string]any{"name": "lu2"}).want(t, 200)
		noLastUsed("POST verification after a reload", anVerify(t, s, k.Key, 200))
		noLastUsed("GET verification after a reload", s.call("GET", "/api-keys/auth/"+k.Key, nil).want(t, 200))
		waitLastUsed(iso(t4))
	})
}

// Counts flushed on a clean stop are there when the server starts again on
// the same database.
func TestUsageSurvivesRestart(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s1 := startServer(t, dbURL)
		p := s1.newProject("persist", "live")
		k := s1.createKey(p.ID, map[string]any{"name": "persist", "allowedDomains": []string{"ok.example"}})
		for range 5 {
			anVerify(t, s1, k.Key, 200)
		}
		anVerify(t, s1, k.Key, 403, "x-origin-domain", "bad.example")
		anVerify(t, s1, k.Key, 403, "x-origin-domain", "bad.example")
		if err := s1.App.Close(context.Background()); err != nil {
			t.Fatal(err)
		}

		// The harness gives every server a fresh bootstrap access key, and
		// bootstrap does nothing on a store that is not empty: store the
		// new key for the existing account before the server starts, and
		// keep the sealing secret.
		s2 := startServerWith(t, dbURL, nil, func(cfg *app.Config) {
			cfg.SecretKey = base64.StdEncoding.EncodeToString(s1.Secret)
			sealer, err := keycrypt.NewSealer(s1.Secret)
			if err != nil {
				t.Fatal(err)
			}
			st, err := sqlstore.Open(context.Background(), dbURL, sealer)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			now := keyway.NewTime(s1.Clock.Now())
			if err := st.CreateAccessKey(context.Background(), &keyway.AccessKey{Key: keyway.AccessKeySecret(cfg.BootstrapAccessKey), Name: "after restart",
				AccountID: s1.AccountID, IsActive: true, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		})
		if s2.AccountID != s1.AccountID {
			t.Fatalf("restarted on account %s, not %s", s2.AccountID, s1.AccountID)
		}
		const from = "2026-10-27T00:00:00.000Z"
		day := "2026-11-26T00:00:00.000Z"
		totals := anPath("project-totals", "projectId", p.ID, "dateGrouping", "day")
		// No waiting: the first server wrote everything before it stopped.
		s2.call("GET", totals, nil).want(t, 200).wantJSON(t, anProjectWant(p.ID, "day", from, s2.now(), anPeriod{day, anCounts{5, 2, 0}}))
		s2.call("GET", anPath("api-key-totals", "projectId", p.ID, "dateGrouping", "day"), nil).want(t, 200).
			wantJSON(t, anKeysWant(p.ID, "day", from, s2.now(), anKeyWant(k.Key, "persist", anPeriod{day, anCounts{5, 2, 0}})))
		var m map[string]any
		s2.call("GET", "/api-keys/"+k.Key, nil).want(t, 200).decode(t, &m)
		if m["lastUsedAt"] != iso(startTime) {
			t.Errorf("lastUsedAt after restart: %v, want %s", m["lastUsedAt"], iso(startTime))
		}
		// New counts add to the old ones.
		for range 3 {
			anVerify(t, s2, k.Key, 200)
		}
		anWaitTotal(t, s2, "", totals, 10)
		s2.call("GET", totals, nil).want(t, 200).wantJSON(t, anProjectWant(p.ID, "day", from, s2.now(), anPeriod{day, anCounts{8, 2, 0}}))
	})
}
