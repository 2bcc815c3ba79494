package app_test

import (
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/keywaytest/harness"
)

// FuzzOperations walks the operation table (api.Operations: every route
// the API serves, never a hand-written list) and sends each operation
// hostile path parameters, query strings and bodies, as each kind of
// caller: an account-level access key, a project-level access key, an
// admin's user token, a forged user token, and no credential. Whatever the input, on every
// engine (SQLite, and PostgreSQL when KEYWAY_TEST_POSTGRES_URL is set):
//
//   - the answer is never a 5xx (501, the answer for a feature that is not
//     configured, aside) and never a panic;
//   - a 4xx has the contract's error body (CONTRACT.md "Errors") and leaks
//     no SQL, stack or Go error text;
//   - a write that is refused changes nothing in the database, in any
//     tenant;
//   - an object of another account, named in the path or the query, is
//     never served or changed.
//
// `go test` runs the seeds below (every operation, each kind of hostile
// input); `go test -run '^$' -fuzz FuzzOperations ./app/` explores. A
// successful write to one of the harness's own objects replaces that
// object, so later inputs still reach it; state otherwise carries over
// between inputs, so a failure found while fuzzing is reported with the
// whole request, to be pinned as a seed here.
func FuzzOperations(f *testing.F) {
	ops := api.Declarations()
	for i, o := range ops {
		seeds := fuzzSeeds(o)
		if fuzzing() || raceEnabled {
			// Fuzzing starts by running every seed with coverage, which
			// for all of them would take the whole of a short run, and the
			// race detector slows each request tenfold; the full set
			// runs in plain `go test`. Keep the requests at each target
			// and one hostile input per operation: the mutator finds the
			// rest from there.
			seeds = append(seeds[:3:3], seeds[3+i%(len(seeds)-3)])
		}
		for _, seed := range seeds {
			f.Add(uint16(i), seed.target, seed.param, seed.query, seed.body)
		}
	}
	engines := []*fuzzEngine{newFuzzEngine(f, "sqlite", keywaytest.SQLiteURL(f))}
	if base := os.Getenv(keywaytest.PostgresEnv); base != "" {
		engines = append(engines, newFuzzEngine(f, "postgres", keywaytest.PostgresURL(f, base)))
	}
	f.Fuzz(func(t *testing.T, opIndex uint16, target uint8, param, query, body string) {
		o := ops[int(opIndex)%len(ops)]
		for _, e := range engines {
			e.run(t, o, fuzzTarget(target%uint8(fuzzTargets)), param, query, body)
		}
	})
}

// fuzzing reports whether the test runs with -fuzz, not just its seeds.
func fuzzing() bool {
	fl := flag.Lookup("test.fuzz")
	return fl != nil && fl.Value.String() != ""
}

// fuzzTarget says what the path parameters and the account and project
// query parameters name.
type fuzzTarget uint8

const (
	// targetFuzzed puts the fuzzed param in every path parameter and adds
	// no query parameter of its own.
	targetFuzzed fuzzTarget = iota
	// targetOwn names the callers' own objects (account A, project P…).
	targetOwn
	// targetOther names another account's objects, in the path and query.
	targetOther
	// targetOwnPathOtherQuery names own objects in the path and the other
	// account in the query.
	targetOwnPathOtherQuery
	fuzzTargets
)

type fuzzSeed struct {
	target      uint8
	param       string
	query, body string
}

// Hostile path parameters. They are sent as written: % escapes stay (so
// %ff is invalid UTF-8 and %00 a NUL once decoded); other bytes a URL
// cannot hold are escaped by fuzzPath.
var fuzzParams = []string{
	"", strings.Repeat("k", 10_000), "ключ-🔑", "%ff%fe", "%00", "a%2fb", "..%2f..%2fetc", "../../etc/passwd",
	"%zz", "null", "-1", "$otherKey",
}

// Hostile query strings, added after the parameters the target fills.
var fuzzQueries = []string{
	"zzz=1&zzz=2", "limit=-1", "limit=0", "limit=1001", "limit=99999999999999999999", "limit=abc",
	"offset=-5", "offset=9223372036854775808", "limit=1&limit=2&offset=1&offset=x", "cursor=%ff",
	"cursor=bm90IGEgY3Vyc29y", "isActive=maybe", "accountId=%00&projectId=%ff", "customUserId=null&name=%00",
	"dateGrouping=year&from=2026-13-45&to=x", "dateGrouping=hour&from=1970-01-01&to=9999-12-31", "status=nope&topic=%ff",
	"accountId=$account&accountId=$otherAccount&projectId=$otherProject",
}

// Hostile bodies, for every operation (those without a body must ignore
// it). $name placeholders become the ids of the harness's objects.
var fuzzBodies = []string{
	``, `{}`, `null`, `[]`, `"x"`, `1`, `{"name":"k"`, `{"a":1}{"b":2}`, `{"name":5}`,
	`{"name":"\ud800"}`, `{"name":"` + "\x00" + `"}`, "{\"name\":\"\xff\xfe\"}",
	`{"name":"` + strings.Repeat("n", 70_000) + `"}`, `{"name":{"$gt":""},"customMetaData":"s","key":"../../etc"}`,
	`{"name":"k","projectId":"$project","expiry":"2026-13-45","allowedDomains":["*.","a..b",""]}`,
	`{"name":"k","projectId":"$project","rateLimitConfigs":{"rateLimit":-1,"rateLimitTtl":1e30}}`,
	`{"name":"k","projectId":"$otherProject","accountId":"$otherAccount","env":"live"}`,
	`{"name":"k","accountId":"$account","projectId":"$otherProject"}`,
	`{"name":"w","url":"http://169.254.169.254/latest","topics":["nope"],"httpMethod":"TRACE","customHeaders":{"Host":"x"},"projectId":"$project"}`,
	`{"emails":["x@example.com","not-an-email"],"role":"root","accountId":"$account","projectIds":["$otherProject"]}`,
	`{"role":"admin","accountId":"$otherAccount","projectId":"$otherProject"}`,
	`{"email":["x"],"password":{},"code":0,"refresh_token":"x.y.z"}`, `{"credentials":{"api_key":"$otherKey"}}`,
	`{"name":"m","accountId":"$account","config":{"methods":["nope"],"tools":[1]}}`, `{"url":"http://[::1]:1/","body":[1,2]}`,
}

// fuzzSeeds gives each operation every hostile body, query and (when it
// has path parameters) path parameter once, the other inputs aimed at the
// callers' own objects, plus a request at the other account's objects.
func fuzzSeeds(o api.Operation) []fuzzSeed {
	own, other := uint8(targetOwn), uint8(targetOther)
	seeds := []fuzzSeed{{target: own}, {target: other}, {target: uint8(targetOwnPathOtherQuery)}}
	bodies := fuzzBodies
	if !fuzzHasBody(o) {
		bodies = []string{`{"name":"k"}`}
	}
	for _, b := range bodies {
		seeds = append(seeds, fuzzSeed{target: own, body: b})
	}
	if len(fuzzParamNames(o)) > 0 {
		for _, p := range fuzzParams {
			seeds = append(seeds, fuzzSeed{target: uint8(targetFuzzed), param: p, body: `{"name":"k"}`})
		}
	}
	if len(fuzzQueryNames(o)) > 0 {
		for _, q := range fuzzQueries {
			seeds = append(seeds, fuzzSeed{target: own, query: q})
		}
	} else {
		seeds = append(seeds, fuzzSeed{target: own, query: fuzzQueries[0]})
	}
	return seeds
}

func fuzzHasBody(o api.Operation) bool {
	if o.Input == nil {
		return false
	}
	for _, f := range reflect.VisibleFields(o.Input) {
		if f.Tag.Get("body") != "" {
			return true
		}
	}
	return false
}

func fuzzParamNames(o api.Operation) []string {
	var names []string
	for _, s := range strings.Split(o.Path, "/") {
		if strings.HasPrefix(s, "{") {
			names = append(names, s[1:len(s)-1])
		}
	}
	return names
}

func fuzzQueryNames(o api.Operation) []string {
	if o.Input == nil {
		return nil
	}
	var names []string
	for _, f := range reflect.VisibleFields(o.Input) {
		if q := f.Tag.Get("query"); q != "" {
			names = append(names, q)
		}
	}
	return names
}

// fuzzTenant is one account's objects the harness aims at.
type fuzzTenant struct {
	account, project, apiKey, accessKey, webhook, delivery string
	invitation, user, mcpServer, notification              string
	// deletableAccount is the account DELETE /accounts/{id} aims at, so
	// that a successful one does not take the callers' account with it.
	deletableAccount string
}

type fuzzCaller struct {
	name    string
	headers []string // name, value pairs; none for the anonymous caller
}

// fuzzEngine is one server with its tenants and callers.
type fuzzEngine struct {
	name   string
	s      *server
	db     *sql.DB
	hookTo string
	admin  person // admin of the own account, the user-token caller
	target person // a viewer of the own account, aimed at by /users/{id}
	own    fuzzTenant
	other  fuzzTenant
	// pkey is the project-level access key of own.project.
	pkey     string
	invitees int
}

func newFuzzEngine(f *testing.F, name, dbURL string) *fuzzEngine {
	s := startServer(f, dbURL)
	e := &fuzzEngine{name: name, s: s, db: anOpenDB(f, dbURL)}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	f.Cleanup(rcv.Close)
	e.hookTo = rcv.URL + "/hook"

	// The own account is the harness's bootstrapped one: its access key is
	// the account-level caller; an invited admin the user-token caller.
	e.own.account = s.AccountID
	e.admin = e.invited(f, "fuzz-admin@example.com", keyway.RoleAdmin)
	e.target = e.invited(f, "fuzz-target@example.com", keyway.RoleViewer)
	e.own.user = e.target.ID
	e.replaceProject(f)
	e.replace(f, "accessKey")
	e.replace(f, "invitation")
	e.replace(f, "mcpServer")
	e.replace(f, "deletableAccount")
	// The invitees' acceptances left notifications.
	e.own.notification = e.notification(f, []string{"x-api-key", s.AccessKey})

	// The other account: a founder's own, with one of everything.
	founder, b := s.founder(f, "fuzz-other@example.com")
	o := &e.other
	o.account, o.deletableAccount, o.user = b, b, founder.ID
	as := func(method, path string, body any, into any) {
		founder.as(s, f, method, path, body).want(f, 201).decode(f, into)
	}
	var p keyway.Project
	as("POST", "/projects", map[string]any{"name": "other", "accountId": b, "env": "live"}, &p)
	o.project = p.ID
	var k keyway.APIKey
	as("POST", "/api-keys", map[string]any{"name": "other", "projectId": p.ID}, &k)
	o.apiKey = k.Key.Reveal()
	var ak keyway.AccessKey
	as("POST", "/access-keys", map[string]any{"name": "other", "accountId": b}, &ak)
	o.accessKey = ak.Key.Reveal()
	var hook keyway.Webhook
	as("POST", "/webhooks", map[string]any{"name": "other", "url": e.hookTo, "topics": []string{"project.updated"}, "httpMethod": "POST", "projectId": p.ID}, &hook)
	o.webhook = hook.ID
	var invs []keyway.Invitation
	as("POST", "/invitations", map[string]any{"emails": []string{"fuzz-invitee@example.com"}, "role": "user", "accountId": b}, &invs)
	o.invitation = invs[0].ID
	var m keyway.MCPServer
	as("POST", "/mcp-servers", map[string]any{"name": "other", "accountId": b, "config": map[string]any{"methods": []string{"read"}}}, &m)
	o.mcpServer = m.ID
	founder.as(s, f, "PATCH", "/projects/"+p.ID, map[string]any{"name": "other"}).want(f, 200)
	o.delivery = e.awaitDelivery(f, founder.Auth, o.webhook)
	var memberInvs []keyway.Invitation
	as("POST", "/invitations", map[string]any{"emails": []string{"fuzz-other-member@example.com"}, "role": "viewer", "accountId": b}, &memberInvs)
	s.withT(f).callAs("", "POST", "/auth/signup", map[string]any{"email": "fuzz-other-member@example.com", "password": "fuzz password 1", "name": "Fuzz", "invitationId": memberInvs[0].ID}).want(f, 201)
	o.notification = e.notification(f, founder.Auth)
	return e
}

// invited invites email into the own account with role, with the access
// key, and signs the invitee up and in.
func (e *fuzzEngine) invited(t testing.TB, email string, role keyway.Role) person {
	var invs []keyway.Invitation
	e.s.withT(t).call("POST", "/invitations", map[string]any{"emails": []string{email}, "role": role, "accountId": e.own.account}).want(t, 201).decode(t, &invs)
	const pw = "fuzz password 1"
	e.s.withT(t).callAs("", "POST", "/auth/signup", map[string]any{"email": email, "password": pw, "name": "Fuzz", "invitationId": invs[0].ID}).want(t, 201)
	return e.s.signedIn(t, email, pw)
}

// notification returns the id of a notification the caller sees.
func (e *fuzzEngine) notification(t testing.TB, auth []string) string {
	var ns []keyway.Notification
	e.s.withT(t).callAs("", "GET", "/notifications", nil, auth...).want(t, 200).decode(t, &ns)
	if len(ns) == 0 {
		t.Fatal("no notification to aim at")
	}
	return ns[0].ID
}

// awaitDelivery polls until webhook id has a delivery and returns its id.
func (e *fuzzEngine) awaitDelivery(t testing.TB, auth []string, id string) string {
	var ds []keyway.Delivery
	keywaytest.Eventually(t, "a delivery for webhook "+id, func() bool {
		e.s.withT(t).callAs("", "GET", "/webhooks/"+id+"/deliveries", nil, auth...).want(t, 200).decode(t, &ds)
		return len(ds) > 0
	})
	return ds[0].ID
}

// replaceProject gives the own account a fresh project P with what lives
// in it: the project-level access key caller, an API key, a webhook and
// one of its deliveries.
func (e *fuzzEngine) replaceProject(t testing.TB) {
	s := e.s.withT(t)
	var p keyway.Project
	s.call("POST", "/projects", map[string]any{"name": "P", "accountId": e.own.account, "env": "live"}).want(t, 201).decode(t, &p)
	e.own.project = p.ID
	e.pkey = s.projectKey(p.ID)
	e.replace(t, "apiKey")
	e.replace(t, "webhook")
	s.call("PATCH", "/projects/"+p.ID, map[string]any{"name": "P"}).want(t, 200)
	e.own.delivery = e.awaitDelivery(t, []string{"x-api-key", e.s.AccessKey}, e.own.webhook)
}

// replace gives the own account a fresh object of a kind (a field of
// fuzzTenant), after a write may have changed or removed it.
func (e *fuzzEngine) replace(t testing.TB, kind string) {
	s := e.s.withT(t)
	post := func(path string, body any, into any) {
		s.call("POST", path, body).want(t, 201).decode(t, into)
	}
	switch kind {
	case "project":
		e.replaceProject(t)
	case "apiKey":
		var k keyway.APIKey
		post("/api-keys", map[string]any{"name": "fuzz", "projectId": e.own.project}, &k)
		e.own.apiKey = k.Key.Reveal()
	case "accessKey":
		var k keyway.AccessKey
		post("/access-keys", map[string]any{"name": "fuzz", "accountId": e.own.account}, &k)
		e.own.accessKey = k.Key.Reveal()
	case "webhook":
		var h keyway.Webhook
		post("/webhooks", map[string]any{"name": "fuzz", "url": e.hookTo, "topics": []string{"project.updated"}, "httpMethod": "POST", "projectId": e.own.project}, &h)
		e.own.webhook = h.ID
	case "invitation":
		var invs []keyway.Invitation
		e.invitees++
		post("/invitations", map[string]any{"emails": []string{fmt.Sprintf("fuzz-invitee-%d@example.com", e.invitees)}, "role": "user", "accountId": e.own.account}, &invs)
		e.own.invitation = invs[0].ID
	case "mcpServer":
		var m keyway.MCPServer
		post("/mcp-servers", map[string]any{"name": "fuzz", "accountId": e.own.account, "config": map[string]any{"methods": []string{"read"}}}, &m)
		e.own.mcpServer = m.ID
	case "deletableAccount":
		var a keyway.Account
		e.admin.as(e.s, t, "POST", "/accounts", map[string]any{"name": "deletable"}).want(t, 201).decode(t, &a)
		e.own.deletableAccount = a.ID
	case "user":
		// The target may have lost its roles: invite it back.
		var invs []keyway.Invitation
		r := s.call("POST", "/invitations", map[string]any{"emails": []string{e.target.Email}, "role": "viewer", "accountId": e.own.account})
		if r.Status == 201 {
			r.decode(t, &invs)
			e.target.as(e.s, t, "POST", "/invitations/"+invs[0].ID+"/accept", nil)
		}
	}
}

// kindOf names the fuzzTenant field a path parameter of o stands for.
func kindOf(o api.Operation, param string) string {
	if param == "deliveryId" {
		return "delivery"
	}
	switch strings.Split(o.Path, "/")[1] {
	case "api-keys":
		return "apiKey"
	case "access-keys":
		return "accessKey"
	case "projects":
		return "project"
	case "webhooks":
		return "webhook"
	case "accounts":
		if o.Method == http.MethodDelete {
			return "deletableAccount"
		}
		return "account"
	case "users":
		return "user"
	case "invitations":
		return "invitation"
	case "mcp-servers":
		return "mcpServer"
	case "notifications":
		return "notification"
	}
	return ""
}

func (tn *fuzzTenant) id(kind string) string {
	switch kind {
	case "apiKey":
		return tn.apiKey
	case "accessKey":
		return tn.accessKey
	case "project":
		return tn.project
	case "webhook":
		return tn.webhook
	case "delivery":
		return tn.delivery
	case "account":
		return tn.account
	case "deletableAccount":
		return tn.deletableAccount
	case "user":
		return tn.user
	case "invitation":
		return tn.invitation
	case "mcpServer":
		return tn.mcpServer
	case "notification":
		return tn.notification
	}
	return ""
}

// expand replaces the $placeholders of a fuzzed string by the ids of the
// engine's objects.
func (e *fuzzEngine) expand(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return strings.NewReplacer(
		"$otherAccount", e.other.account, "$otherProject", e.other.project, "$otherKey", e.other.apiKey,
		"$otherWebhook", e.other.webhook, "$otherInvitation", e.other.invitation, "$otherUser", e.other.user,
		"$otherMCP", e.other.mcpServer, "$account", e.own.account, "$project", e.own.project, "$key", e.own.apiKey,
	).Replace(s)
}

func (e *fuzzEngine) callers() []fuzzCaller {
	return []fuzzCaller{
		{"account access key", []string{"x-api-key", e.s.AccessKey}},
		{"project access key", []string{"x-api-key", e.pkey}},
		{"admin user token", e.admin.Auth},
		// JWT-shaped, so it takes the user-token path, with alg none.
		{"forged user token", []string{"Authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIke2FkbWlufSJ9."}},
		{"no credential", nil},
	}
}

// run sends one fuzzed request as each caller and checks every answer.
func (e *fuzzEngine) run(t *testing.T, o api.Operation, target fuzzTarget, param, query, body string) {
	param, query, body = e.expand(param), e.expand(query), e.expand(body)
	pathTenant, queryTenant := &e.own, &e.own
	switch target {
	case targetOther:
		pathTenant, queryTenant = &e.other, &e.other
	case targetOwnPathOtherQuery:
		queryTenant = &e.other
	}
	path := o.Path
	for _, name := range fuzzParamNames(o) {
		v := param
		if target != targetFuzzed {
			v = pathTenant.id(kindOf(o, name))
		}
		path = strings.Replace(path, "{"+name+"}", fuzzEscape(v, false), 1)
	}
	var q []string
	if target != targetFuzzed {
		for _, name := range fuzzQueryNames(o) {
			switch name {
			case "accountId":
				q = append(q, "accountId="+queryTenant.account)
			case "projectId":
				q = append(q, "projectId="+queryTenant.project)
			case "dateGrouping":
				q = append(q, "dateGrouping=day")
			}
		}
	}
	if query != "" {
		q = append(q, fuzzEscape(query, true))
	}
	rawURL := e.s.URL + path
	if len(q) > 0 {
		rawURL += "?" + strings.Join(q, "&")
	}
	if _, err := url.Parse(rawURL); err != nil {
		// An escape the URL parser refuses (%zz) cannot be sent at all.
		rawURL = e.s.URL + strings.ReplaceAll(path, "%", "%25") + "?" + strings.ReplaceAll(strings.Join(q, "&"), "%", "%25")
	}
	write := o.Method != http.MethodGet
	// Whether the request names another account's object: in the path, or
	// as the account or project of the query.
	scopedQuery := slices.Contains(fuzzQueryNames(o), "accountId") || slices.Contains(fuzzQueryNames(o), "projectId")
	crossTenant := !o.Public && ((target == targetOther && (len(fuzzParamNames(o)) > 0 || scopedQuery)) ||
		(target == targetOwnPathOtherQuery && scopedQuery))
	var before string
	if write {
		before = e.snapshot(t)
	}
	for _, c := range e.callers() {
		what := fmt.Sprintf("[%s] %s as %s: %s %s body %.300q", e.name, o.ID, c.name, o.Method, rawURL, body)
		r := e.send(t, o.Method, rawURL, body, c.headers)
		switch {
		case r.Status >= 500 && r.Status != http.StatusNotImplemented:
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		case r.Status >= 400:
			if msg := errorShape(r); msg != "" {
				t.Fatalf("%s: %d %s: %s", what, r.Status, r.Body, msg)
			}
			if leak := leakIn(r.Body, rawURL+body); leak != "" {
				t.Fatalf("%s: the answer shows %q: %s", what, leak, r.Body)
			}
			if write {
				// The last snapshot still stands for the next caller.
				if after := e.snapshot(t); after != before {
					t.Fatalf("%s: refused with %d %s, but the database changed:\n%s", what, r.Status, r.Body, diffLines(before, after))
				}
			}
		case r.Status >= 200 && r.Status < 300:
			if crossTenant {
				t.Fatalf("%s: another account's object answered %d %s", what, r.Status, r.Body)
			}
			if write {
				if target != targetFuzzed {
					e.replaceAfterWrite(t, o)
				}
				before = e.snapshot(t)
			}
		}
	}
}

// replaceAfterWrite replaces the own object a successful write removed or
// spent (a delete, a rotation, an accepted invitation), so that later
// inputs still reach one. Other writes leave it usable as it is.
func (e *fuzzEngine) replaceAfterWrite(t testing.TB, o api.Operation) {
	names := fuzzParamNames(o)
	if len(names) == 0 || !(o.Method == http.MethodDelete || strings.HasSuffix(o.Path, "/rotate") || strings.HasSuffix(o.Path, "/accept")) {
		return
	}
	// The last parameter names the object written.
	e.replace(t, kindOf(o, names[len(names)-1]))
}

func (e *fuzzEngine) send(t testing.TB, method, rawURL, body string, headers []string) *response {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	return &response{&harness.Response{Status: resp.StatusCode, Header: resp.Header, Body: data}}
}

// fuzzEscape makes s sendable in a URL's path (or query) while keeping
// what it means to say: % escapes stay as written, and so do the
// characters that structure a path or query; bytes a URL cannot hold
// (controls, spaces, non-ASCII, invalid UTF-8) are escaped.
func fuzzEscape(s string, query bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ' || c >= 0x7f || c == '#' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}':
			fmt.Fprintf(&b, "%%%02X", c)
		case c == '?' && !query:
			b.WriteString("%3F")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// errorShape checks a 4xx (or 501) body against CONTRACT.md "Errors":
// {"statusCode":n,"message":"…" or ["…"],"error":"Reason"}, without
// "error" on 401 and 429. It returns what is wrong, "" when nothing.
func errorShape(r *response) string {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return "Content-Type " + ct
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil {
		return "not a JSON object: " + err.Error()
	}
	var status int
	if err := json.Unmarshal(body["statusCode"], &status); err != nil || status != r.Status {
		return fmt.Sprintf("statusCode %s, want %d", body["statusCode"], r.Status)
	}
	var msg string
	var msgs []string
	if json.Unmarshal(body["message"], &msg) == nil {
		if strings.TrimSpace(msg) == "" {
			return "empty message"
		}
	} else if json.Unmarshal(body["message"], &msgs) != nil || len(msgs) == 0 || slices.Contains(msgs, "") {
		return "message is neither a string nor a non-empty array of strings"
	}
	wantKeys := 3
	switch r.Status {
	case http.StatusUnauthorized, http.StatusTooManyRequests:
		wantKeys = 2
		if _, ok := body["error"]; ok {
			return `an "error" field on a 401 or 429`
		}
	default:
		reason := http.StatusText(r.Status)
		if r.Status == http.StatusRequestEntityTooLarge {
			reason = "Payload Too Large"
		}
		var got string
		if json.Unmarshal(body["error"], &got) != nil || got != reason {
			return fmt.Sprintf("error %s, want %q", body["error"], reason)
		}
	}
	if len(body) != wantKeys {
		return fmt.Sprintf("%d fields, want %d", len(body), wantKeys)
	}
	if !utf8.Valid(r.Body) {
		return "invalid UTF-8"
	}
	return ""
}

// leakIn returns a sign of an internal error in an answer (SQL, a Go
// runtime or driver message) that the request itself did not carry.
func leakIn(answer []byte, request string) string {
	a, req := strings.ToLower(string(answer)), strings.ToLower(request)
	for _, sign := range []string{"sqlstate", "sqlite", "sql:", "pgx", "goroutine", "runtime error", "panic", "json: cannot", "invalid character", "unexpected end of json", "reflect:", "nil pointer"} {
		if strings.Contains(a, sign) && !strings.Contains(req, sign) {
			return sign
		}
	}
	return ""
}

// fuzzSnapshotTables are the tables whose rows a refused write must leave
// as they were, with the columns that move on their own (usage flushes,
// delivery workers, expiry notices) left out. Usage, sign-in codes and
// refresh tokens are not compared: verifications count when refused, and
// a replayed refresh token revokes its login by design.
var fuzzSnapshotTables = []struct {
	table  string
	ignore []string
}{
	{"accounts", nil}, {"projects", nil}, {"access_keys", nil},
	{"api_keys", []string{"first_used_at", "last_used_at", "expiry_noticed", "used_at"}},
	{"webhooks", []string{"failing_since"}}, {"webhook_topics", nil},
	{"users", nil}, {"user_roles", nil}, {"invitations", nil}, {"mcp_servers", nil}, {"notifications", nil},
	{"events", nil},
	{"deliveries", []string{"state", "attempts", "next_attempt_at", "lease_until", "last_status", "last_error", "last_duration_ms", "updated_at"}},
}

// snapshot reads every row of fuzzSnapshotTables behind the server's back.
func (e *fuzzEngine) snapshot(t testing.TB) string {
	t.Helper()
	var out strings.Builder
	for _, tb := range fuzzSnapshotTables {
		rows, err := e.db.Query("SELECT * FROM " + tb.table)
		if err != nil {
			t.Fatalf("snapshot %s: %v", tb.table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var line strings.Builder
			line.WriteString(tb.table)
			for i, c := range cols {
				if slices.Contains(tb.ignore, c) {
					continue
				}
				if b, ok := vals[i].([]byte); ok {
					// Digests and sealed copies: their hash is enough.
					fmt.Fprintf(&line, " %s=sha256:%.16x", c, sha256.Sum256(b))
					continue
				}
				fmt.Fprintf(&line, " %s=%v", c, vals[i])
			}
			lines = append(lines, line.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(lines)
		for _, l := range lines {
			out.WriteString(l)
			out.WriteByte('\n')
		}
	}
	return out.String()
}

// diffLines shows the lines only in a (-) and only in b (+).
func diffLines(a, b string) string {
	as, bs := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range as {
		if !slices.Contains(bs, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bs {
		if !slices.Contains(as, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// TestFuzzChecks keeps FuzzOperations' checks honest: each one fails on
// what it is there to catch.
func TestFuzzChecks(t *testing.T) {
	jsonAnswer := func(status int, body string) *response {
		return &response{&harness.Response{Status: status, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, Body: []byte(body)}}
	}
	for _, c := range []struct {
		r  *response
		ok bool
	}{
		{jsonAnswer(400, `{"statusCode":400,"message":["name should not be empty"],"error":"Bad Request"}`), true},
		{jsonAnswer(404, `{"statusCode":404,"message":"Cannot GET /x","error":"Not Found"}`), true},
		{jsonAnswer(401, `{"statusCode":401,"message":"Unauthorized"}`), true},
		{jsonAnswer(413, `{"statusCode":413,"message":"request entity too large","error":"Payload Too Large"}`), true},
		{&response{&harness.Response{Status: 400, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(`{"statusCode":400,"message":"x","error":"Bad Request"}`)}}, false},
		{jsonAnswer(400, `{"statusCode":404,"message":"x","error":"Bad Request"}`), false},
		{jsonAnswer(400, `{"statusCode":400,"message":"x","error":"Not Found"}`), false},
		{jsonAnswer(400, `{"statusCode":400,"message":"","error":"Bad Request"}`), false},
		{jsonAnswer(400, `{"statusCode":400,"message":[],"error":"Bad Request"}`), false},
		{jsonAnswer(400, `{"statusCode":400,"message":[1],"error":"Bad Request"}`), false},
		{jsonAnswer(400, `{"statusCode":400,"message":"x","error":"Bad Request","stack":"…"}`), false},
		{jsonAnswer(401, `{"statusCode":401,"message":"Unauthorized","error":"Unauthorized"}`), false},
		{jsonAnswer(400, `["x"]`), false},
	} {
		if got := errorShape(c.r); (got == "") != c.ok {
			t.Errorf("errorShape(%d %s) = %q", c.r.Status, c.r.Body, got)
		}
	}
	if leakIn([]byte(`{"message":"sqlite: constraint failed"}`), "/projects") == "" {
		t.Error("leakIn missed a driver message")
	}
	if got := leakIn([]byte(`{"message":"Cannot GET /sqlite"}`), "/sqlite"); got != "" {
		t.Errorf("leakIn flagged an echo of the request: %q", got)
	}

	s := startServer(t, keywaytest.SQLiteURL(t))
	e := &fuzzEngine{s: s, db: anOpenDB(t, s.DBURL)}
	before := e.snapshot(t)
	s.call("GET", "/accounts", nil).want(t, 200)
	if e.snapshot(t) != before {
		t.Fatal("a read changed the snapshot")
	}
	p := s.newProject("p", "live")
	after := e.snapshot(t)
	if after == before || !strings.Contains(diffLines(before, after), "+ projects id="+p.ID) {
		t.Fatalf("a new project is not in the snapshot's difference:\n%s", diffLines(before, after))
	}
	s.call("PATCH", "/projects/"+p.ID, map[string]any{"name": "renamed"}).want(t, 200)
	if e.snapshot(t) == after {
		t.Fatal("a rename did not change the snapshot")
	}
}
