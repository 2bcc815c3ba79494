package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/sqlstore"
)

// scenario is one HTTP exchange and everything expected of its answer, in
// the manner of pocketbase's tests.ApiScenario. Scenarios of one table run
// in order against one server, so a table can tell a story (create, then
// read, then revoke…).
type scenario struct {
	name string
	// as is the credential sent in x-api-key: "" sends the bootstrap
	// account-level access key, anonymous sends none.
	as      string
	method  string
	path    string
	headers []string // name, value pairs
	// body is sent as is when a string or []byte, else JSON-encoded.
	body any

	wantStatus int
	// wantJSON, when set, must equal the body as a JSON value. Inside it, a
	// string "~re:PATTERN" matches any string matching PATTERN, "~any" any
	// value and "~optional" any value or an absent member; every other
	// value, every object member and every array element must be exactly as
	// written.
	wantJSON string
	// wantEmpty asks for an empty body.
	wantEmpty bool
	// wantHeaders maps a header name to its exact value; "" asks for the
	// header to be absent.
	wantHeaders map[string]string
	// check runs after the standard assertions, for what they cannot say.
	check func(t *testing.T, r *response)
	// wantEvents, when not nil, are the topics of the events the exchange
	// must produce in the bootstrap account, in any order; noEvents asks
	// for none. They are read from the outbox through the store (see
	// eventTap) after the answer, waiting only for those the usage flush
	// writes later (api-key.firstUsed).
	wantEvents []string
}

// noEvents is wantEvents for an exchange that must emit nothing.
var noEvents = []string{}

// The wantEvents of a step that emits one event.
var (
	evKeyCreated       = []string{keyway.TopicAPIKeyCreated}
	evKeyUpdated       = []string{keyway.TopicAPIKeyUpdated}
	evKeyDeleted       = []string{keyway.TopicAPIKeyDeleted}
	evKeyRotated       = []string{keyway.TopicAPIKeyRotated}
	evKeyReactivated   = []string{keyway.TopicAPIKeyReactivated}
	evKeyFirstUsed     = []string{keyway.TopicAPIKeyFirstUsed}
	evAccessKeyCreated = []string{keyway.TopicAccessKeyCreated}
	evAccessKeyUpdated = []string{keyway.TopicAccessKeyUpdated}
	evAccessKeyDeleted = []string{keyway.TopicAccessKeyDeleted}
	evProjectUpdated   = []string{keyway.TopicProjectUpdated}
)

// anonymous as a scenario's credential sends no credential at all.
const anonymous = "<anonymous>"

// run plays the scenarios in order, each as a subtest. When any of them
// expects events, every step's events are taken from the outbox after it,
// so each step is held to its own.
func run(t *testing.T, s *server, scenarios []scenario) {
	t.Helper()
	var tap *eventTap
	if slices.ContainsFunc(scenarios, func(sc scenario) bool { return sc.wantEvents != nil }) {
		tap = s.eventTap(t)
		tap.take(t) // what came before the table is not its steps'
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Helper()
			sc.do(t, s)
			if tap != nil {
				tap.expect(t, sc.wantEvents)
			}
		})
	}
}

// do plays one scenario and returns its answer.
func (sc scenario) do(t *testing.T, s *server) *response {
	t.Helper()
	if sc.method == "" || sc.path == "" || sc.wantStatus == 0 {
		t.Fatalf("scenario %q: method, path and wantStatus are required", sc.name)
	}
	if sc.wantEvents != nil && s.events == nil {
		t.Fatalf("scenario %q expects events: play it with run", sc.name)
	}
	if sc.wantJSON == "" && !sc.wantEmpty && sc.check == nil {
		t.Fatalf("scenario %q asserts no body: set wantJSON, wantEmpty or check", sc.name)
	}
	cred := s.AccessKey
	switch sc.as {
	case "":
	case anonymous:
		cred = ""
	default:
		cred = sc.as
	}
	// Report through this test: s.t may be a parent test.
	r := s.withT(t).callAs(cred, sc.method, sc.path, sc.body, sc.headers...)
	if r.Status != sc.wantStatus {
		t.Fatalf("%s %s: status %d, want %d; body %s", sc.method, sc.path, r.Status, sc.wantStatus, r.Body)
	}
	if sc.wantJSON != "" {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: Content-Type %q, want application/json", sc.method, sc.path, ct)
		}
		matchJSON(t, r.Body, sc.wantJSON)
	}
	if sc.wantEmpty && len(r.Body) != 0 {
		t.Fatalf("%s %s: body %q, want none", sc.method, sc.path, r.Body)
	}
	for _, name := range slices.Sorted(maps.Keys(sc.wantHeaders)) {
		want := sc.wantHeaders[name]
		got, present := r.Header[http.CanonicalHeaderKey(name)]
		switch {
		case want == "" && present:
			t.Errorf("%s %s: header %s = %q, want none", sc.method, sc.path, name, got)
		case want != "" && (len(got) != 1 || got[0] != want):
			t.Errorf("%s %s: header %s = %q, want %q", sc.method, sc.path, name, got, want)
		}
	}
	if sc.check != nil {
		sc.check(t, r)
	}
	return r
}

// eventTap hears every event of the bootstrap account: a webhook of it
// subscribed to every topic, whose queued deliveries, one per event, it
// reads through a store handle of its own. A change queues them in its own
// transaction, so its events are there when its answer arrives.
type eventTap struct {
	st      *sqlstore.Store
	webhook string
	seen    map[string]bool
}

// eventTap returns the server's tap, made on first use.
func (s *server) eventTap(t *testing.T) *eventTap {
	t.Helper()
	if s.events != nil {
		return s.events
	}
	w := s.newWebhook(t, newReceiver(t).URL, keyway.Topics, map[string]any{"name": "scenario events"})
	s.events = &eventTap{st: s.openStore(t), webhook: w.ID, seen: map[string]bool{}}
	return s.events
}

// take returns the topics of the events queued since the last take, sorted.
func (e *eventTap) take(t *testing.T) []string {
	t.Helper()
	ds, _, err := e.st.Deliveries(context.Background(), e.webhook, keyway.Page{Limit: keyway.MaxPageLimit})
	if err != nil {
		t.Fatalf("read the outbox: %v", err)
	}
	var topics []string
	for _, d := range ds {
		if !e.seen[d.ID] {
			e.seen[d.ID] = true
			topics = append(topics, d.Topic)
		}
	}
	slices.Sort(topics)
	return topics
}

// expect takes the events of the step just played and checks them against
// want; nil only takes them.
func (e *eventTap) expect(t *testing.T, want []string) {
	t.Helper()
	got := e.take(t)
	if want == nil {
		return
	}
	want = slices.Sorted(slices.Values(want))
	// Every other event commits with its change, before the answer.
	if slices.Contains(want, keyway.TopicAPIKeyFirstUsed) {
		keywaytest.EventuallyShows(t, fmt.Sprintf("events %v", want), func() (bool, string) {
			if !containsAll(got, want) {
				got = append(got, e.take(t)...)
				slices.Sort(got)
			}
			return containsAll(got, want), fmt.Sprint(got)
		})
	}
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// containsAll reports whether got holds every topic of want, as many times.
func containsAll(got, want []string) bool {
	n := map[string]int{}
	for _, g := range got {
		n[g]++
	}
	for _, w := range want {
		if n[w]--; n[w] < 0 {
			return false
		}
	}
	return true
}

// matchJSON compares a body with an expectation that may hold "~re:",
// "~any" and "~optional" (absent or anything) patterns (see
// scenario.wantJSON).
func matchJSON(t testing.TB, body []byte, want string) {
	t.Helper()
	var got, exp any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("body is not JSON: %s", body)
	}
	dec = json.NewDecoder(strings.NewReader(want))
	dec.UseNumber()
	if err := dec.Decode(&exp); err != nil {
		t.Fatalf("bad expectation %s: %v", want, err)
	}
	if path, why := jsonMismatch("$", got, exp); why != "" {
		t.Fatalf("body mismatch at %s: %s\n got: %s\nwant: %s", path, why, body, want)
	}
}

func jsonMismatch(path string, got, exp any) (string, string) {
	if s, ok := exp.(string); ok {
		if s == "~any" || s == "~optional" {
			return "", ""
		}
		if pat, ok := strings.CutPrefix(s, "~re:"); ok {
			g, isString := got.(string)
			if !isString {
				return path, fmt.Sprintf("got %v, want a string matching %s", got, pat)
			}
			if !regexp.MustCompile(pat).MatchString(g) {
				return path, fmt.Sprintf("%q does not match %s", g, pat)
			}
			return "", ""
		}
	}
	switch e := exp.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, fmt.Sprintf("got %v, want an object", got)
		}
		for _, k := range slices.Sorted(maps.Keys(e)) {
			gv, ok := g[k]
			if !ok && e[k] == "~optional" {
				continue
			}
			if !ok {
				return path, fmt.Sprintf("member %q missing", k)
			}
			if p, why := jsonMismatch(path+"."+k, gv, e[k]); why != "" {
				return p, why
			}
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := e[k]; !ok {
				return path, fmt.Sprintf("unexpected member %q", k)
			}
		}
		return "", ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			return path, fmt.Sprintf("got %v, want an array", got)
		}
		if len(g) != len(e) {
			return path, fmt.Sprintf("%d elements, want %d", len(g), len(e))
		}
		for i := range e {
			if p, why := jsonMismatch(fmt.Sprintf("%s[%d]", path, i), g[i], e[i]); why != "" {
				return p, why
			}
		}
		return "", ""
	default:
		if fmt.Sprintf("%T:%v", got, got) != fmt.Sprintf("%T:%v", exp, exp) {
			return path, fmt.Sprintf("got %v (%T), want %v (%T)", got, got, exp, exp)
		}
		return "", ""
	}
}

// js renders v as JSON for building expectations.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Exact error bodies of the contract.
const (
	errUnauthorized  = `{"statusCode":401,"message":"Unauthorized"}`
	errForbidden     = `{"statusCode":403,"message":"Forbidden resource","error":"Forbidden"}`
	errInvalidKey    = `{"statusCode":404,"message":"Invalid client key","error":"Not Found"}`
	errOriginDenied  = `{"statusCode":403,"message":"Origin domain is not allowed for this API key","error":"Forbidden"}`
	errTooMany       = `{"statusCode":429,"message":"Too many requests"}`
	errTooLarge      = `{"statusCode":413,"message":"request entity too large","error":"Payload Too Large"}`
	errKeyNotFound   = `{"statusCode":404,"message":"API key not found","error":"Not Found"}`
	errProjNotFound  = `{"statusCode":404,"message":"Project not found","error":"Not Found"}`
	errAcctNotFound  = `{"statusCode":404,"message":"Account not found","error":"Not Found"}`
	errAKNotFound    = `{"statusCode":404,"message":"Access key not found","error":"Not Found"}`
	errKeyConflict   = `{"statusCode":409,"message":"API key already exists","error":"Conflict"}`
	errKeyActive     = `{"statusCode":409,"message":"API key is already active","error":"Conflict"}`
	errAKActive      = `{"statusCode":409,"message":"Access key is already active","error":"Conflict"}`
	errBodyNotObject = `{"statusCode":400,"message":["body must be a JSON object"],"error":"Bad Request"}`
)

// badRequest is a validation error listing messages.
func badRequest(messages ...string) string {
	return js(map[string]any{"statusCode": 400, "message": messages, "error": "Bad Request"})
}

// errMalformed is the answer to a body that is not JSON: a 400 whose
// message is one string, as Express's body parser words it. (The position
// is not pinned: Go's parser counts it differently from JavaScript's.)
const errMalformed = `{"statusCode":400,"message":"~re:^Unexpected token in JSON at position [0-9]+$","error":"Bad Request"}`

func cannot(method, path string) string {
	return js(map[string]any{"statusCode": 404, "message": "Cannot " + method + " " + path, "error": "Not Found"})
}

// Patterns of generated values.
const (
	reLiveKey       = "~re:^live_[A-Za-z0-9]{64}$"
	reTestKey       = "~re:^test_[A-Za-z0-9]{64}$"
	reLiveAccessKey = "~re:^live_access_[A-Za-z0-9]{64}$"
	reTestAccessKey = "~re:^test_access_[A-Za-z0-9]{64}$"
	reUUID          = "~re:^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)

// iso formats t the way the wire does (Date.toISOString).
func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// now is the server clock as the wire shows it.
func (s *server) now() string { return iso(s.Clock.Now()) }

// obj builds an expectation object from defaults and overrides; a nil
// override value becomes JSON null, and the special value omit drops the
// member.
func obj(defaults map[string]any, overrides ...map[string]any) string {
	m := maps.Clone(defaults)
	for _, o := range overrides {
		for k, v := range o {
			if v == omit {
				delete(m, k)
				continue
			}
			m[k] = v
		}
	}
	return js(m)
}

type omitted struct{}

var omit any = omitted{}

// raw embeds literal JSON in an expectation built with obj.
type raw string

func (r raw) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// apiKeyWant is the expected ApiKey of a fresh generated key of a live
// project, created and last updated now.
func (s *server) apiKeyWant(projectID string, overrides ...map[string]any) string {
	now := s.now()
	return obj(map[string]any{
		"key": reLiveKey, "name": "key", "projectId": projectID, "env": "live",
		"customMetaData": map[string]any{}, "customAccountId": nil, "customUserId": nil,
		"isActive": true, "expiresAt": nil, "rateLimitConfigs": nil, "allowedDomains": []string{},
		"creationContext": map[string]any{}, "createdAt": now, "updatedAt": now,
		// Set by the usage flush, whose timing tests do not control.
		"lastUsedAt": "~optional",
	}, overrides...)
}

// keyWant is the expected ApiKey for k as it was returned, with overrides.
func keyWant(k keywayAPIKey, overrides ...map[string]any) string {
	var m map[string]any
	if err := json.Unmarshal(k.raw, &m); err != nil {
		panic(err)
	}
	m["lastUsedAt"] = "~optional"
	return obj(m, overrides...)
}

// actor is what the audit fields record for an access key.
func actor(accessKey string) string { return "access-key:…" + accessKey[len(accessKey)-4:] }

func (s *server) projectWant(id, name, env string, overrides ...map[string]any) string {
	now := s.now()
	return obj(map[string]any{
		"id": id, "name": name, "accountId": s.AccountID, "env": env, "isActive": true,
		"createdBy": actor(s.AccessKey), "createdByType": "ACCESS_KEY", "createdIn": "self-hosted",
		"lastChangedBy": actor(s.AccessKey), "lastChangedByType": "ACCESS_KEY",
		"createdAt": now, "updatedAt": now,
	}, overrides...)
}

// accessKeyWant is the expected AccessKey created now in the bootstrap account.
func (s *server) accessKeyWant(overrides ...map[string]any) string {
	now := s.now()
	return obj(map[string]any{
		"key": reLiveAccessKey, "name": "ak", "accountId": s.AccountID, "projectId": nil, "isActive": true,
		"rateLimit": nil, "rateLimitTtl": nil, "createdAt": now, "updatedAt": now,
	}, overrides...)
}

// bootstrapAccessKeyWant is the bootstrap account's access key as listed.
func (s *server) bootstrapAccessKeyWant() string {
	return obj(map[string]any{"key": s.AccessKey, "name": "Bootstrap access key", "accountId": s.AccountID, "projectId": nil, "isActive": true,
		"rateLimit": nil, "rateLimitTtl": nil, "createdAt": iso(startTime), "updatedAt": iso(startTime)})
}

// seededAccountWant is an account made by seedAccount at the instant at.
func seededAccountWant(id, at string) string {
	return obj(map[string]any{"id": id, "name": "Other account", "isActive": true, "createdBy": "", "createdByType": "", "createdIn": "",
		"lastChangedBy": "", "lastChangedByType": "", "createdAt": at, "updatedAt": at})
}

// keywayAPIKey is an API key as the server returned it, with its raw JSON
// for building expectations of later reads.
type keywayAPIKey struct {
	Key       string `json:"key"`
	ProjectID string `json:"projectId"`
	raw       []byte
}

// createKey creates an API key with the given body (projectId added when
// absent) and returns it.
func (s *server) createKey(projectID string, fields map[string]any) keywayAPIKey {
	s.t.Helper()
	body := map[string]any{"name": "key", "projectId": projectID}
	maps.Copy(body, fields)
	r := s.call("POST", "/api-keys", body).want(s.t, 201)
	var k keywayAPIKey
	r.decode(s.t, &k)
	k.raw = r.Body
	return k
}

// get reads an object back and returns its body, for "unchanged" checks.
func (s *server) get(path string) string {
	s.t.Helper()
	return string(s.call("GET", path, nil).want(s.t, 200).Body)
}

// projectKey creates a project-level access key for projectID.
func (s *server) projectKey(projectID string) string {
	s.t.Helper()
	var k struct {
		Key string `json:"key"`
	}
	s.call("POST", "/access-keys", map[string]any{"name": "project key", "projectId": projectID}).want(s.t, 201).decode(s.t, &k)
	return k.Key
}

// accessKey creates an access key from a body and returns its key.
func (s *server) accessKey(body map[string]any) string {
	s.t.Helper()
	var k struct {
		Key string `json:"key"`
	}
	s.call("POST", "/access-keys", body).want(s.t, 201).decode(s.t, &k)
	return k.Key
}

// unchanged returns a scenario asserting that GET path still answers body.
func unchanged(name, path, body string) scenario {
	return scenario{name: name, method: "GET", path: path, wantStatus: 200, wantJSON: body}
}

// noRate asks every rate-limit header to be absent.
var noRate = map[string]string{
	"ratelimit-limit": "", "ratelimit-remaining": "", "ratelimit-consumed": "", "ratelimit-reset": "", "retry-after-seconds": "",
}

// rate builds the expected rate-limit headers; retry "" asks for no
// retry-after-seconds.
func rate(limit, remaining, consumed int, reset time.Time, retry string) map[string]string {
	return map[string]string{
		"ratelimit-limit":     fmt.Sprint(limit),
		"ratelimit-remaining": fmt.Sprint(remaining),
		"ratelimit-consumed":  fmt.Sprint(consumed),
		"ratelimit-reset":     iso(reset),
		"retry-after-seconds": retry,
	}
}

// paddedBody is prefix + x… + suffix, exactly size bytes long.
func paddedBody(prefix, suffix string, size int) []byte {
	n := size - len(prefix) - len(suffix)
	if n < 0 {
		panic("paddedBody: size too small")
	}
	return []byte(prefix + strings.Repeat("x", n) + suffix)
}

// TestMatchJSON keeps the matcher honest: every kind of difference fails.
func TestMatchJSON(t *testing.T) {
	for _, c := range []struct {
		got, want string
		ok        bool
	}{
		{`{"a":1,"b":[true,null,"x"]}`, `{"b":[true,null,"x"],"a":1}`, true},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`{"a":1,"b":2}`, `{"a":1}`, false},
		{`{"a":1}`, `{"a":"1"}`, false},
		{`{"a":1}`, `{"a":1.0}`, false},
		{`{"a":null}`, `{"a":{}}`, false},
		{`{"a":[]}`, `{"a":{}}`, false},
		{`[1,2]`, `[2,1]`, false},
		{`[1,2]`, `[1,2,3]`, false},
		{`{"k":"live_abc"}`, `{"k":"~re:^live_[a-z]+$"}`, true},
		{`{"k":"test_abc"}`, `{"k":"~re:^live_[a-z]+$"}`, false},
		{`{"k":5}`, `{"k":"~re:5"}`, false},
		{`{"k":{"x":[1]}}`, `{"k":"~any"}`, true},
		{`"x"`, `"y"`, false},
	} {
		var got, want any
		dec := json.NewDecoder(strings.NewReader(c.want))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		dec = json.NewDecoder(strings.NewReader(c.got))
		dec.UseNumber()
		if err := dec.Decode(&got); err != nil {
			t.Fatal(err)
		}
		_, why := jsonMismatch("$", got, want)
		if (why == "") != c.ok {
			t.Errorf("match(%s, %s): mismatch %q, want ok=%v", c.got, c.want, why, c.ok)
		}
	}
}
