package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/keywaytest/harness"
	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/sqlstore"
)

// server is a real Keyway on 127.0.0.1:0 with a bootstrapped account, for
// end-to-end tests over HTTP, reporting to t.
type server struct {
	*harness.Server
	t testing.TB
	// events is the scenario tables' event tap, once one needs it.
	events *eventTap
}

// forEachServer runs fn against a fresh server per database engine.
func forEachServer(t *testing.T, fn func(t *testing.T, s *server)) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		fn(t, startServer(t, dbURL))
	})
}

func startServer(t testing.TB, dbURL string) *server {
	t.Helper()
	return startServerWithLog(t, dbURL, nil)
}

// startServerWithLog starts a server whose JSON log (debug level) goes to
// logTo; nil discards it.
func startServerWithLog(t testing.TB, dbURL string, logTo io.Writer) *server {
	t.Helper()
	return startServerWith(t, dbURL, logTo, nil)
}

// startServerWith also lets tune adjust the configuration before the
// server starts (webhook settings, for instance).
func startServerWith(t testing.TB, dbURL string, logTo io.Writer, tune func(*app.Config)) *server {
	t.Helper()
	return &server{Server: harness.Start(t, dbURL, harness.Options{Log: logTo, Tune: tune}), t: t}
}

// seedAccount creates another account with an account-level access key
// straight in the store, as signup will once users exist; it returns the
// account id and the key. Writes go through a second store handle, so the
// server's caches are untouched: nothing of this account is cached yet.
func (s *server) seedAccount() (accountID, accessKey string) {
	s.t.Helper()
	st := s.openStore(s.t)
	// Bootstrap only acts on an empty store, so build the objects by hand.
	now := keyway.NewTime(s.Clock.Now())
	a := &keyway.Account{ID: "acct-" + strings.ToLower(keycrypt.RandomString(10)), Name: "Other account", IsActive: true, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateAccount(context.Background(), a); err != nil {
		s.t.Fatal(err)
	}
	k := &keyway.AccessKey{Key: keyway.AccessKeySecret(keycrypt.NewKey(service.AccessKeyPrefix(keyway.EnvLive))), Name: "other", AccountID: a.ID, IsActive: true, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateAccessKey(context.Background(), k); err != nil {
		s.t.Fatal(err)
	}
	return a.ID, k.Key.Reveal()
}

// openStore opens a second handle on the server's database, closed when
// t ends.
func (s *server) openStore(t testing.TB) *sqlstore.Store {
	t.Helper()
	sealer, err := keycrypt.NewSealer(s.Secret)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(context.Background(), s.DBURL, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// response is an answer with the assertions the tests chain on it.
type response struct{ *harness.Response }

// call sends a request with the bootstrap access key. body is sent as is
// when it is a string or []byte, else JSON-encoded; nil sends none.
// Extra headers come as name, value pairs; setting x-api-key to "" sends
// no credential at all.
func (s *server) call(method, path string, body any, headers ...string) *response {
	s.t.Helper()
	return s.callAs(s.AccessKey, method, path, body, headers...)
}

func (s *server) callAs(accessKey, method, path string, body any, headers ...string) *response {
	s.t.Helper()
	r, err := harness.Do(http.DefaultClient, method, s.URL+path, accessKey, body, headers...)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	return &response{r}
}

func (r *response) want(t testing.TB, status int) *response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	return r
}

func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// wantJSON compares the body with want as JSON values; want may hold the
// patterns of scenario.wantJSON.
func (r *response) wantJSON(t testing.TB, want string) {
	t.Helper()
	matchJSON(t, r.Body, want)
}

// newProject creates a project in the bootstrapped account.
func (s *server) newProject(name string, env keyway.Env) keyway.Project {
	s.t.Helper()
	var p keyway.Project
	s.call("POST", "/projects", map[string]any{"name": name, "accountId": s.AccountID, "env": env}).want(s.t, 201).decode(s.t, &p)
	return p
}

// newKey creates an API key from fields (projectId is added when absent).
func (s *server) newKey(projectID string, fields map[string]any) keyway.APIKey {
	s.t.Helper()
	body := map[string]any{"name": "key", "projectId": projectID}
	for k, v := range fields {
		body[k] = v
	}
	var k keyway.APIKey
	s.call("POST", "/api-keys", body).want(s.t, 201).decode(s.t, &k)
	return k
}

// withT returns the server reporting to t, for use inside subtests and
// fuzz targets where the starting test's t must not be used.
func (s *server) withT(t testing.TB) *server {
	c := *s
	c.t = t
	return &c
}
