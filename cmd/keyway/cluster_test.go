package main

// Multi-node tests: several real `keyway serve` processes (this test
// binary, re-run as keyway by TestMain) on one PostgreSQL schema, with the
// same KEYWAY_SECRET_KEY and bootstrap access key, and optionally one
// Redis database. A change made through one node must reach the caches of
// the others (through Redis, or PostgreSQL LISTEN/NOTIFY without Redis).
//
// They need a PostgreSQL server: KEYWAY_TEST_POSTGRES_URL. Without it each
// test returns at once (logging why) instead of calling t.Skip, so a plain
// `go test ./...` on a laptop stays quiet. KEYWAY_TEST_REDIS_URL
// (redis://host:port/0) adds the Redis variants; the tests take a logical
// database of their own on that server (1..15, see clusterRedisURL).
//
//	KEYWAY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	KEYWAY_TEST_REDIS_URL=redis://127.0.0.1:6379/0 \
//	go test -run Cluster -v ./cmd/keyway/

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/keywaytest/harness"
)

// clusterRedisEnv names the Redis server the Redis variants use.
const clusterRedisEnv = keywaytest.RedisEnv

// How long a change made on one node may take to reach the others: the
// contract. The goal is far lower (clusterPropagationGoal) and only logged.
const (
	clusterPropagationLimit = time.Second
	clusterPropagationGoal  = 100 * time.Millisecond
	// clusterPollTimeout is how long a poll waits before giving up; longer
	// than the limit, so a slow propagation is measured, not just failed.
	clusterPollTimeout = 2 * time.Second
	clusterPollEvery   = time.Millisecond
)

// The bodies the contract fixes.
const (
	clusterInvalidKeyJSON   = `{"statusCode":404,"message":"Invalid client key","error":"Not Found"}`
	clusterTooManyJSON      = `{"statusCode":429,"message":"Too many requests"}`
	clusterUnauthorizedJSON = `{"statusCode":401,"message":"Unauthorized"}`
	clusterOriginDeniedJSON = `{"statusCode":403,"message":"Origin domain is not allowed for this API key","error":"Forbidden"}`
)

// clusterPostgres returns the base PostgreSQL URL, or "" after logging
// that the cluster tests do not run here. The caller returns on "": a
// cluster needs a shared database, SQLite cannot be one.
func clusterPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv(keywaytest.PostgresEnv)
	if base == "" {
		t.Logf("%s unset: cluster tests need a shared PostgreSQL, not run", keywaytest.PostgresEnv)
	}
	return base
}

// clusterForEachBus runs fn once per way nodes tell each other of changes:
// through Redis when KEYWAY_TEST_REDIS_URL is set, and through PostgreSQL
// LISTEN/NOTIFY (no Redis configured) always.
func clusterForEachBus(t *testing.T, fn func(t *testing.T, bus string, withRedis bool)) {
	t.Helper()
	if os.Getenv(clusterRedisEnv) != "" {
		t.Run("redis", func(t *testing.T) { fn(t, "redis", true) })
	} else {
		t.Logf("%s unset: Redis variant not run", clusterRedisEnv)
	}
	t.Run("listen-notify", func(t *testing.T) { fn(t, "listen-notify", false) })
}

// ---------------------------------------------------------------------------
// Nodes

// clusterNode is one `keyway serve` process.
type clusterNode struct {
	name   string
	url    string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan struct{} // closed when the process has exited
}

// lockedBuffer is a bytes.Buffer safe to read while a process writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// clusterEnviron is the test's environment without any KEYWAY_ setting
// (so a developer's KEYWAY_REDIS_URL cannot turn a no-Redis variant into a
// Redis one), plus env and the switch that makes the binary run main.
func clusterEnviron(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEYWAY_") {
			out = append(out, kv)
		}
	}
	out = append(out, "KEYWAY_TEST_MAIN=1")
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// startNode starts `keyway serve` with env on a free port and a data dir
// of its own, logging at logLevel, without waiting for it: call
// waitReady. The process is killed when the test ends.
func startNode(t *testing.T, name string, env map[string]string, logLevel string) *clusterNode {
	t.Helper()
	addr := freeAddr(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "serve", "--addr", addr, "--data-dir", dir, "--log-level", logLevel)
	cmd.Dir = dir
	cmd.Env = clusterEnviron(env)
	n := &clusterNode{name: name, url: "http://" + addr, cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = n.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node %s: %v", name, err)
	}
	go func() {
		cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-n.exited:
		default:
			cmd.Process.Kill()
			<-n.exited
		}
		out := n.stderr.String()
		// Under -race the nodes are instrumented too: a race there fails.
		if strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("node %s reported a data race", name)
		}
		if out != "" && (t.Failed() || strings.Contains(out, `"level":"ERROR"`)) {
			t.Logf("node %s stderr:\n%s", name, clusterTail(out, 4000))
		}
	})
	return n
}

func clusterTail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// waitReady polls GET /readyz until 200; it fails at once if the process
// exits.
func (n *clusterNode) waitReady(t *testing.T, timeout time.Duration) {
	t.Helper()
	errExited := errors.New("exited")
	_, err := keywaytest.Poll{Timeout: timeout}.Until("/readyz to answer 200", func() (bool, string, error) {
		select {
		case <-n.exited:
			return false, "", errExited
		default:
		}
		r, err := n.do("GET", "/readyz", "", nil)
		if err != nil {
			return false, err.Error(), nil
		}
		return r.status == 200, fmt.Sprintf("%d %s", r.status, r.body), nil
	})
	if errors.Is(err, errExited) {
		t.Fatalf("node %s exited before it was ready (%v); stderr:\n%s", n.name, n.cmd.ProcessState, clusterTail(n.stderr.String(), 4000))
	}
	if err != nil {
		t.Fatalf("node %s not ready: %v; stderr:\n%s", n.name, err, clusterTail(n.stderr.String(), 4000))
	}
}

// kill9 sends SIGKILL and waits for the process to be gone.
func (n *clusterNode) kill9(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 node %s: %v", n.name, err)
	}
	select {
	case <-n.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("node %s still running 10 s after SIGKILL", n.name)
	}
}

// ---------------------------------------------------------------------------
// HTTP

var clusterClient = &http.Client{
	Transport: &http.Transport{
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	},
	Timeout: 10 * time.Second,
}

type clusterReply struct {
	status int
	header http.Header
	body   []byte
}

// String is the status and the start of the body, for messages.
func (r clusterReply) String() string {
	body := string(bytes.TrimSpace(r.body))
	if len(body) > 160 {
		body = body[:160] + "…"
	}
	return fmt.Sprintf("%d %s", r.status, body)
}

// do sends one request; hdr is name, value pairs. Safe in any goroutine.
func (n *clusterNode) do(method, path, accessKey string, body any, hdr ...string) (clusterReply, error) {
	r, err := harness.Do(clusterClient, method, n.url+path, accessKey, body, hdr...)
	if err != nil {
		return clusterReply{}, fmt.Errorf("node %s: %s %s: %w", n.name, method, clusterRedact(path), err)
	}
	return clusterReply{status: r.Status, header: r.Header, body: r.Body}, nil
}

// must is do that fails the test on a transport error; test goroutine only.
func (n *clusterNode) must(t *testing.T, method, path, accessKey string, body any, hdr ...string) clusterReply {
	t.Helper()
	r, err := n.do(method, path, accessKey, body, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// verify is POST /api-keys/auth/{key}, with x-origin-domain when origin is set.
func (n *clusterNode) verify(accessKey, key, origin string) (clusterReply, error) {
	if origin != "" {
		return n.do("POST", "/api-keys/auth/"+key, accessKey, nil, "x-origin-domain", origin)
	}
	return n.do("POST", "/api-keys/auth/"+key, accessKey, nil)
}

// clusterRedact shortens key strings in paths for messages.
func clusterRedact(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "live_") || strings.HasPrefix(p, "test_") {
			parts[i] = keyway.Fingerprint(p)
		}
	}
	return strings.Join(parts, "/")
}

func clusterJSONEqual(got []byte, want string) bool {
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

// is reports whether r has the status and, when want is set, that JSON body.
func (r clusterReply) is(status int, want string) bool {
	return r.status == status && (want == "" || clusterJSONEqual(r.body, want))
}

func (r clusterReply) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("want a JSON object, got %s", r)
	}
	return m
}

func (r clusterReply) list(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("want a JSON array of objects, got %s", r)
	}
	return l
}

// ---------------------------------------------------------------------------
// Polling

// clusterAwait is keywaytest's poll at a millisecond's resolution, since
// what it returns, when the satisfying answer arrived, is a propagation
// time; it fails no test, so it runs in goroutines of its own. check
// returns an error for an answer that is neither "not yet" nor done (a
// 5xx, a wrong body): that ends the wait at once.
func clusterAwait(timeout time.Duration, check func() (done bool, last string, err error)) (time.Time, error) {
	return keywaytest.Poll{Timeout: timeout, MaxPause: clusterPollEvery}.Until("the answer awaited", check)
}

// clusterAwaitVerdict polls fn (one request) until it answers doneStatus
// with doneBody; stillStatus is the only other answer accepted meanwhile.
func clusterAwaitVerdict(timeout time.Duration, stillStatus, doneStatus int, doneBody string, fn func() (clusterReply, error)) (time.Time, error) {
	return clusterAwait(timeout, func() (bool, string, error) {
		r, err := fn()
		if err != nil {
			return false, "", err
		}
		switch {
		case r.is(doneStatus, doneBody):
			return true, r.String(), nil
		case r.status == stillStatus:
			return false, r.String(), nil
		default:
			return false, r.String(), fmt.Errorf("unexpected answer %s (want %d until it becomes %d %s)", r, stillStatus, doneStatus, doneBody)
		}
	})
}

// clusterAwaitAll runs the waits concurrently and returns, per wait, when
// it was satisfied, or the first error.
func clusterAwaitAll(waits ...func() (time.Time, error)) ([]time.Time, error) {
	at := make([]time.Time, len(waits))
	errs := make([]error, len(waits))
	var wg sync.WaitGroup
	for i, w := range waits {
		wg.Go(func() { at[i], errs[i] = w() })
	}
	wg.Wait()
	return at, errors.Join(errs...)
}

// clusterLatest is the latest of ts (the zero time for none).
func clusterLatest(ts []time.Time) time.Time {
	var latest time.Time
	for _, t := range ts {
		if t.After(latest) {
			latest = t
		}
	}
	return latest
}

// clusterStats is "n=… min=… p50=… p99=… max=…" (nearest-rank percentiles).
func clusterStats(ds []time.Duration) string {
	if len(ds) == 0 {
		return "n=0"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	pct := func(p float64) time.Duration {
		return s[max(int(math.Ceil(p*float64(len(s))))-1, 0)]
	}
	r := func(d time.Duration) string { return d.Round(time.Microsecond).String() }
	return fmt.Sprintf("n=%d min=%s p50=%s p99=%s max=%s", len(s), r(s[0]), r(pct(0.50)), r(pct(0.99)), r(s[len(s)-1]))
}

// clusterCheckLatencies fails when the worst latency reaches the contract's
// limit and only warns when p99 misses the goal.
func clusterCheckLatencies(t *testing.T, what string, ds []time.Duration) {
	t.Helper()
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if worst := s[len(s)-1]; worst >= clusterPropagationLimit {
		t.Errorf("%s: worst propagation %v, want < %v", what, worst, clusterPropagationLimit)
	}
	if p99 := s[max(int(math.Ceil(0.99*float64(len(s))))-1, 0)]; p99 >= clusterPropagationGoal {
		t.Logf("WARNING: %s: p99 propagation %v misses the %v goal (not a failure: the contract is < %v)", what, p99, clusterPropagationGoal, clusterPropagationLimit)
	}
}

// ---------------------------------------------------------------------------
// Clusters

type cluster struct {
	dbURL    string
	redisURL string // "" without Redis
	env      map[string]string
	access   string // the bootstrap access key
	nodes    []*clusterNode
	account  string // the bootstrap account's id
	logLevel string // of the nodes; warn unless set before start
}

// newCluster prepares a fresh schema (and a Redis database of its own when
// withRedis) and the settings all its nodes share; start starts nodes.
func newCluster(t *testing.T, withRedis bool) *cluster {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	c := &cluster{
		dbURL:    keywaytest.PostgresURL(t, os.Getenv(keywaytest.PostgresEnv)),
		access:   keycrypt.NewKey("live_access_"),
		logLevel: "warn",
	}
	c.env = map[string]string{
		"KEYWAY_DATABASE_URL":         c.dbURL,
		"KEYWAY_SECRET_KEY":           base64.StdEncoding.EncodeToString(secret),
		"KEYWAY_BOOTSTRAP_ACCESS_KEY": c.access,
	}
	if withRedis {
		c.redisURL = clusterRedisURL(t)
		c.env["KEYWAY_REDIS_URL"] = c.redisURL
	}
	return c
}

// start starts one node per name concurrently and waits until all are ready.
func (c *cluster) start(t *testing.T, names ...string) []*clusterNode {
	t.Helper()
	var started []*clusterNode
	for _, name := range names {
		started = append(started, startNode(t, name, c.env, c.logLevel))
	}
	for _, n := range started {
		n.waitReady(t, 30*time.Second)
	}
	c.nodes = append(c.nodes, started...)
	return started
}

// startABC starts A, then B and C together, and reads the account id.
func (c *cluster) startABC(t *testing.T) (a, b, cc *clusterNode) {
	t.Helper()
	c.start(t, "A")
	c.start(t, "B", "C")
	r := c.nodes[0].must(t, "GET", "/accounts", c.access, nil)
	if r.status != 200 {
		t.Fatalf("GET /accounts on A with the bootstrap key: %s", r)
	}
	accounts := r.list(t)
	if len(accounts) != 1 {
		t.Fatalf("GET /accounts on A: %d accounts, want 1: %s", len(accounts), r)
	}
	c.account, _ = accounts[0]["id"].(string)
	return c.nodes[0], c.nodes[1], c.nodes[2]
}

func (c *cluster) createProject(t *testing.T, n *clusterNode) string {
	t.Helper()
	r := n.must(t, "POST", "/projects", c.access, map[string]any{"name": "p " + keycrypt.RandomString(6), "accountId": c.account, "env": "live"})
	if r.status != 201 {
		t.Fatalf("POST /projects on %s: %s", n.name, r)
	}
	id, _ := r.object(t)["id"].(string)
	if id == "" {
		t.Fatalf("POST /projects on %s: no id in %s", n.name, r)
	}
	return id
}

// createKey makes an API key in project through n, with extra fields.
func (c *cluster) createKey(t *testing.T, n *clusterNode, project string, extra map[string]any) string {
	t.Helper()
	body := map[string]any{"name": "k " + keycrypt.RandomString(6), "projectId": project}
	for k, v := range extra {
		body[k] = v
	}
	r := n.must(t, "POST", "/api-keys", c.access, body)
	if r.status != 201 {
		t.Fatalf("POST /api-keys on %s: %s", n.name, r)
	}
	key, _ := r.object(t)["key"].(string)
	if key == "" {
		t.Fatalf("POST /api-keys on %s: no key in %s", n.name, r)
	}
	return key
}

// expectVerify fails unless verifying key on each node answers status.
func (c *cluster) expectVerify(t *testing.T, key, origin string, status int, body string, nodes ...*clusterNode) {
	t.Helper()
	for _, n := range nodes {
		r, err := n.verify(c.access, key, origin)
		if err != nil {
			t.Fatal(err)
		}
		if !r.is(status, body) {
			t.Fatalf("verify %s on %s (origin %q): %s, want %d %s", keyway.Fingerprint(key), n.name, origin, r, status, body)
		}
	}
}

// warm verifies key twice on each node, expecting 200: the entry is cached.
func (c *cluster) warm(t *testing.T, key string, nodes ...*clusterNode) {
	t.Helper()
	for range 2 {
		c.expectVerify(t, key, "", 200, "", nodes...)
	}
}

// awaitRevoked waits, on all nodes concurrently, until key verifies 404
// with the contract's body; meanwhile only 200 is accepted. It returns
// when each node's 404 arrived.
func (c *cluster) awaitRevoked(key string, timeout time.Duration, nodes ...*clusterNode) ([]time.Time, error) {
	var waits []func() (time.Time, error)
	for _, n := range nodes {
		waits = append(waits, func() (time.Time, error) {
			at, err := clusterAwaitVerdict(timeout, 200, 404, clusterInvalidKeyJSON, func() (clusterReply, error) {
				return n.verify(c.access, key, "")
			})
			if err != nil {
				err = fmt.Errorf("node %s, key %s: %w", n.name, keyway.Fingerprint(key), err)
			}
			return at, err
		})
	}
	return clusterAwaitAll(waits...)
}

// ---------------------------------------------------------------------------
// Redis, without a client library

// clusterRedisURL claims a logical database of the Redis server named by
// KEYWAY_TEST_REDIS_URL for this test and returns its URL.
//
// Tests and other people's test runs share that server, so a database is
// claimed atomically (a Lua script: if the claim key is absent, FLUSHDB
// and set it, with a TTL in case the run dies) and released — flushed —
// when the test ends. Database 0, the one in the variable, is never used.
// Note that Redis pub/sub channels are not per database: nodes of
// concurrent runs may see each other's invalidations, which only costs
// them a cache reload.
func clusterRedisURL(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(os.Getenv(clusterRedisEnv))
	if err != nil || u.Scheme != "redis" {
		t.Fatalf("%s: want redis://host:port/db, got %q (%v)", clusterRedisEnv, os.Getenv(clusterRedisEnv), err)
	}
	const claimKey = "keyway-test:claim"
	// A database is claimed only when it is unclaimed and holds nothing
	// but Keyway's own keys (an earlier run's leftovers): anything else
	// may be somebody's data on a shared Redis, and claiming flushes it.
	const claim = `if redis.call('exists', KEYS[1]) == 1 then return 0 end
local cursor = '0'
repeat
  local page = redis.call('scan', cursor, 'count', 1000)
  cursor = page[1]
  for _, k in ipairs(page[2]) do
    if string.sub(k, 1, 7) ~= 'keyway:' then return 0 end
  end
until cursor == '0'
redis.call('flushdb')
redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`
	const release = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('flushdb') return 1 end
return 0`
	token := keycrypt.RandomString(20)
	for db := 1; db <= 15; db++ {
		got, err := clusterRedisDo(u, db, "EVAL", claim, "1", claimKey, token, "600")
		if err != nil {
			t.Fatalf("claim Redis database %d: %v", db, err)
		}
		if got != int64(1) {
			continue
		}
		t.Cleanup(func() {
			if _, err := clusterRedisDo(u, db, "EVAL", release, "1", claimKey, token); err != nil {
				t.Logf("release Redis database %d: %v", db, err)
			}
		})
		v := *u
		v.Path = "/" + strconv.Itoa(db)
		return v.String()
	}
	t.Fatalf("no free Redis database: 1..15 all hold a %q claim or keys that are not Keyway's", claimKey)
	return ""
}

// clusterRedisDo runs one command in database db on a new connection.
func clusterRedisDo(u *url.URL, db int, args ...string) (any, error) {
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "6379")
	}
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(conn)
	call := func(args ...string) (any, error) {
		var b bytes.Buffer
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := conn.Write(b.Bytes()); err != nil {
			return nil, err
		}
		return clusterRESPRead(rd)
	}
	if u.User != nil {
		pass, ok := u.User.Password()
		auth := []string{"AUTH", pass}
		if !ok {
			auth = []string{"AUTH", u.User.Username()}
		} else if u.User.Username() != "" {
			auth = []string{"AUTH", u.User.Username(), pass}
		}
		if _, err := call(auth...); err != nil {
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	if _, err := call("SELECT", strconv.Itoa(db)); err != nil {
		return nil, fmt.Errorf("SELECT %d: %w", db, err)
	}
	return call(args...)
}

// clusterRESPRead reads one RESP2 reply: string, int64, []byte, nil or []any.
func clusterRESPRead(rd *bufio.Reader) (any, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty RESP line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, errors.New(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(rd, b); err != nil {
			return nil, err
		}
		return b[:n], nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = clusterRESPRead(rd); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected RESP line %q", line)
}

// ---------------------------------------------------------------------------
// Tests
