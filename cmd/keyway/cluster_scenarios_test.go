package main

// The multi-node scenarios; the harness they run on, and how to run
// them, is in cluster_test.go.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// Three nodes started at once on an empty schema all become ready, and the
// store is bootstrapped once: the one account and the one access key.
func TestClusterStartsTogether(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	c := newCluster(t, false)
	c.logLevel = "info" // to count the nodes that log a bootstrap
	nodes := c.start(t, "A", "B", "C")
	var account string
	for _, n := range nodes {
		r := n.must(t, "GET", "/accounts", c.access, nil)
		if r.status != 200 {
			t.Fatalf("GET /accounts on %s with the bootstrap key: %s", n.name, r)
		}
		accounts := r.list(t)
		if len(accounts) != 1 {
			t.Fatalf("GET /accounts on %s: %d accounts, want exactly 1 (one bootstrap): %s", n.name, len(accounts), r)
		}
		id, _ := accounts[0]["id"].(string)
		if account == "" {
			account = id
		} else if id != account {
			t.Fatalf("GET /accounts: node %s sees account %s, node A %s", n.name, id, account)
		}
	}
	for _, n := range nodes {
		r := n.must(t, "GET", "/access-keys?accountId="+account, c.access, nil)
		if r.status != 200 {
			t.Fatalf("GET /access-keys on %s: %s", n.name, r)
		}
		if keys := r.list(t); len(keys) != 1 || keys[0]["key"] != c.access {
			t.Fatalf("GET /access-keys on %s: want only the bootstrap key, got %d keys: %s", n.name, len(keys), clusterTail(string(r.body), 2000))
		}
	}
	// At most one node says it bootstrapped (the log line is info, so a
	// renamed message makes this check vacuous, never wrong), and none
	// printed a generated credential: the bootstrap key was given.
	var bootstrapped []string
	for _, n := range nodes {
		s := n.stderr.String()
		if strings.Contains(s, "bootstrapped an empty store") {
			bootstrapped = append(bootstrapped, n.name)
		}
		if strings.Contains(s, "first access key") {
			t.Errorf("node %s printed a generated access key although one was given:\n%s", n.name, s)
		}
	}
	if len(bootstrapped) > 1 {
		t.Errorf("nodes %v each logged a bootstrap of the store, want at most one", bootstrapped)
	}
}

// A key revoked on A stops verifying on B and C, whose caches hold it,
// within the limit; the propagation latency is measured.
func TestClusterRevocation(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	clusterForEachBus(t, func(t *testing.T, bus string, withRedis bool) {
		c := newCluster(t, withRedis)
		a, b, cc := c.startABC(t)
		project := c.createProject(t, a)
		const rounds = 20
		keys := make([]string, rounds)
		for i := range keys {
			keys[i] = c.createKey(t, a, project, nil)
		}
		var fromAck, fromSend []time.Duration
		for round, key := range keys {
			c.warm(t, key, b, cc)
			sent := time.Now()
			r := a.must(t, "DELETE", "/api-keys/"+key, c.access, nil)
			acked := time.Now()
			if r.status != 200 || strings.TrimSpace(string(r.body)) != "true" {
				t.Fatalf("round %d: DELETE /api-keys/{key} on A: %s, want 200 true", round, r)
			}
			at, err := c.awaitRevoked(key, clusterPollTimeout, b, cc)
			if err != nil {
				t.Fatalf("round %d: revocation on A did not reach the others: %v", round, err)
			}
			for _, when := range at {
				fromAck = append(fromAck, when.Sub(acked))
				fromSend = append(fromSend, when.Sub(sent))
			}
			c.expectVerify(t, key, "", 404, clusterInvalidKeyJSON, a)
		}
		t.Logf("revocation propagation (%s): %s (from DELETE response on A to 404 on B/C); from DELETE sent: %s",
			bus, clusterStats(fromAck), clusterStats(fromSend))
		clusterCheckLatencies(t, "revocation ("+bus+")", fromAck)
	})
}

// A key rotated on A: the old string stops verifying on B and C within the
// limit, the new one verifies there at once.
func TestClusterRotation(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	clusterForEachBus(t, func(t *testing.T, bus string, withRedis bool) {
		c := newCluster(t, withRedis)
		a, b, cc := c.startABC(t)
		project := c.createProject(t, a)
		key := c.createKey(t, a, project, nil)
		var fromAck []time.Duration
		for round := range 5 {
			c.warm(t, key, a, b, cc)
			r := a.must(t, "POST", "/api-keys/"+key+"/rotate", c.access, nil)
			acked := time.Now()
			if r.status != 201 {
				t.Fatalf("round %d: POST /api-keys/{key}/rotate on A: %s, want 201", round, r)
			}
			newKey, _ := r.object(t)["key"].(string)
			if newKey == "" || newKey == key {
				t.Fatalf("round %d: rotate answered key %q, want a new one: %s", round, keyway.Fingerprint(newKey), r)
			}
			at, err := c.awaitRevoked(key, clusterPropagationLimit, b, cc)
			if err != nil {
				t.Fatalf("round %d: the old key still verifies after rotation on A: %v", round, err)
			}
			for _, when := range at {
				fromAck = append(fromAck, when.Sub(acked))
			}
			c.expectVerify(t, key, "", 404, clusterInvalidKeyJSON, a)
			// A acknowledged the new key: every node finds it at once.
			c.expectVerify(t, newKey, "", 200, "", a, b, cc)
			key = newKey
		}
		t.Logf("rotation propagation (%s): %s (from rotate response on A to old key 404 on B/C)", bus, clusterStats(fromAck))
		clusterCheckLatencies(t, "rotation ("+bus+")", fromAck)
	})
}

// One key's rate limit is shared by the whole cluster: 3N concurrent
// verifications spread over three nodes admit exactly N.
func TestClusterSharedRateLimit(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	if os.Getenv(clusterRedisEnv) == "" {
		t.Logf("%s unset: a shared rate limit needs Redis, not run", clusterRedisEnv)
		return
	}
	const limit = 20
	c := newCluster(t, true)
	a, _, _ := c.startABC(t)
	project := c.createProject(t, a)
	key := c.createKey(t, a, project, map[string]any{"rateLimitConfigs": map[string]any{"rateLimit": limit, "rateLimitTtl": 60}})

	replies := make([]clusterReply, 3*limit)
	errs := make([]error, 3*limit)
	go1 := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replies {
		n := c.nodes[i%3]
		wg.Go(func() {
			<-go1
			replies[i], errs[i] = n.verify(c.access, key, "")
		})
	}
	close(go1)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var ok, limited int
	var remaining []int
	// One window, one end, whichever node answers.
	resets := map[string]bool{}
	for i, r := range replies {
		n := c.nodes[i%3].name
		if got := r.header.Get("ratelimit-limit"); got != strconv.Itoa(limit) {
			t.Errorf("request %d on %s: ratelimit-limit %q, want %d (%s)", i, n, got, limit, r)
		}
		resets[r.header.Get("ratelimit-reset")] = true
		switch {
		case r.status == 200:
			ok++
			rem, err := strconv.Atoi(r.header.Get("ratelimit-remaining"))
			if err != nil {
				t.Errorf("request %d on %s: 200 with ratelimit-remaining %q", i, n, r.header.Get("ratelimit-remaining"))
				continue
			}
			remaining = append(remaining, rem)
		case r.is(429, clusterTooManyJSON):
			limited++
			if r.header.Get("retry-after-seconds") == "" {
				t.Errorf("request %d on %s: 429 without retry-after-seconds", i, n)
			}
		default:
			t.Errorf("request %d on %s: %s, want 200 or 429 %s", i, n, r, clusterTooManyJSON)
		}
	}
	if len(resets) != 1 {
		t.Errorf("answers report %d different ratelimit-reset values, want one: %v", len(resets), resets)
	}
	if ok != limit || limited != 2*limit {
		t.Errorf("%d concurrent verifications over 3 nodes with a limit of %d: %d answered 200 and %d 429, want %d and %d",
			3*limit, limit, ok, limited, limit, 2*limit)
	}
	slices.Sort(remaining)
	want := make([]int, limit)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(remaining, want) {
		t.Errorf("ratelimit-remaining of the 200s: %v, want each of 0..%d once", remaining, limit-1)
	}
	// The window is spent on every node.
	c.expectVerify(t, key, "", 429, clusterTooManyJSON, c.nodes...)
}

// Sign-in guesses are counted once for the whole cluster when Redis is
// configured: ten attempts for one email spread over three nodes spend its
// budget on all of them.
func TestClusterSharedSigninThrottle(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	if os.Getenv(clusterRedisEnv) == "" {
		t.Logf("%s unset: a shared sign-in throttle needs Redis, not run", clusterRedisEnv)
		return
	}
	c := newCluster(t, true)
	a, _, _ := c.startABC(t)
	const pw = "correct horse battery"
	if r := a.must(t, "POST", "/auth/signup", "", map[string]any{"email": "kim@example.com", "password": pw, "name": "Kim"}); r.status != 201 {
		t.Fatalf("signup: %s", r)
	}
	for i := range 10 {
		n := c.nodes[i%3]
		if r := n.must(t, "POST", "/auth/login", "", map[string]any{"email": "kim@example.com", "password": "wrong guess!"}); r.status != 401 {
			t.Fatalf("attempt %d on %s: %s, want 401", i+1, n.name, r)
		}
	}
	for _, n := range c.nodes {
		r := n.must(t, "POST", "/auth/login", "", map[string]any{"email": "kim@example.com", "password": pw})
		if !r.is(429, clusterTooManyJSON) || r.header.Get("retry-after-seconds") == "" {
			t.Errorf("11th attempt on %s: %s, want 429 with retry-after-seconds", n.name, r)
		}
	}
}

// Changes of scope made on A reach B and C within the limit: a deleted
// project's keys, a deactivated access key, a narrowed allowedDomains.
func TestClusterScopeChanges(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	clusterForEachBus(t, func(t *testing.T, bus string, withRedis bool) {
		c := newCluster(t, withRedis)
		a, b, cc := c.startABC(t)

		t.Run("project-delete", func(t *testing.T) {
			project := c.createProject(t, a)
			var keys []string
			for range 3 {
				keys = append(keys, c.createKey(t, a, project, nil))
			}
			for _, k := range keys {
				c.warm(t, k, b, cc)
			}
			r := a.must(t, "DELETE", "/projects/"+project, c.access, nil)
			acked := time.Now()
			if r.status != 200 {
				t.Fatalf("DELETE /projects/{id} on A: %s", r)
			}
			var waits []func() (time.Time, error)
			for _, k := range keys {
				for _, n := range []*clusterNode{b, cc} {
					waits = append(waits, func() (time.Time, error) {
						at, err := c.awaitRevoked(k, clusterPropagationLimit, n)
						return clusterLatest(at), err
					})
				}
			}
			at, err := clusterAwaitAll(waits...)
			if err != nil {
				t.Fatalf("keys of the project deleted on A still verify: %v", err)
			}
			var lat []time.Duration
			for _, when := range at {
				lat = append(lat, when.Sub(acked))
			}
			t.Logf("project delete propagation (%s): %s (from A's answer to each key's 404 on B/C)", bus, clusterStats(lat))
			clusterCheckLatencies(t, "project delete ("+bus+")", lat)
		})

		t.Run("access-key-deactivate", func(t *testing.T) {
			project := c.createProject(t, a)
			key := c.createKey(t, a, project, nil)
			r := a.must(t, "POST", "/access-keys", c.access, map[string]any{"name": "second", "accountId": c.account})
			if r.status != 201 {
				t.Fatalf("POST /access-keys on A: %s", r)
			}
			second, _ := r.object(t)["key"].(string)
			if !strings.HasPrefix(second, "live_access_") {
				t.Fatalf("POST /access-keys on A: no access key in %s", r)
			}
			// Warm both ways a node checks an access key: a management
			// call and the verification hot path.
			for range 2 {
				for _, n := range []*clusterNode{b, cc} {
					if r := n.must(t, "GET", "/accounts", second, nil); r.status != 200 {
						t.Fatalf("GET /accounts on %s with the second access key: %s", n.name, r)
					}
					if r := n.must(t, "POST", "/api-keys/auth/"+key, second, nil); r.status != 200 {
						t.Fatalf("verify on %s with the second access key: %s", n.name, r)
					}
				}
			}
			r = a.must(t, "DELETE", "/access-keys/"+second, c.access, nil)
			acked := time.Now()
			if r.status != 200 {
				t.Fatalf("DELETE /access-keys/{key} on A: %s", r)
			}
			var waits []func() (time.Time, error)
			for _, n := range []*clusterNode{b, cc} {
				for _, path := range []string{"GET /accounts", "POST /api-keys/auth/" + key} {
					method, p, _ := strings.Cut(path, " ")
					waits = append(waits, func() (time.Time, error) {
						at, err := clusterAwaitVerdict(clusterPropagationLimit, 200, 401, clusterUnauthorizedJSON, func() (clusterReply, error) {
							return n.do(method, p, second, nil)
						})
						if err != nil {
							err = fmt.Errorf("node %s, %s %s with the deactivated access key: %w", n.name, method, clusterRedact(p), err)
						}
						return at, err
					})
				}
			}
			at, err := clusterAwaitAll(waits...)
			if err != nil {
				t.Fatalf("access key deactivated on A still works: %v", err)
			}
			var lat []time.Duration
			for _, when := range at {
				lat = append(lat, when.Sub(acked))
			}
			t.Logf("access key deactivate propagation (%s): %s (from A's answer to 401 on B/C, management and verification calls)", bus, clusterStats(lat))
			clusterCheckLatencies(t, "access key deactivate ("+bus+")", lat)
		})

		t.Run("allowed-domains", func(t *testing.T) {
			project := c.createProject(t, a)
			key := c.createKey(t, a, project, nil)
			const bad, good = "evil.example.net", "app.example.com"
			for range 2 {
				c.expectVerify(t, key, bad, 200, "", b, cc)
			}
			r := a.must(t, "PATCH", "/api-keys/"+key, c.access, map[string]any{"allowedDomains": []string{good}})
			acked := time.Now()
			if r.status != 200 {
				t.Fatalf("PATCH /api-keys/{key} allowedDomains on A: %s", r)
			}
			var waits []func() (time.Time, error)
			for _, n := range []*clusterNode{b, cc} {
				waits = append(waits, func() (time.Time, error) {
					at, err := clusterAwaitVerdict(clusterPropagationLimit, 200, 403, clusterOriginDeniedJSON, func() (clusterReply, error) {
						return n.verify(c.access, key, bad)
					})
					if err != nil {
						err = fmt.Errorf("node %s, origin %s: %w", n.name, bad, err)
					}
					return at, err
				})
			}
			at, err := clusterAwaitAll(waits...)
			if err != nil {
				t.Fatalf("allowedDomains narrowed on A not applied: %v", err)
			}
			var lat []time.Duration
			for _, when := range at {
				lat = append(lat, when.Sub(acked))
			}
			t.Logf("allowedDomains change propagation (%s): %s (from A's answer to 403 on B/C)", bus, clusterStats(lat))
			clusterCheckLatencies(t, "allowedDomains change ("+bus+")", lat)
			c.expectVerify(t, key, good, 200, "", b, cc)
			c.expectVerify(t, key, "", 200, "", b, cc)
		})
	})
}

// kill -9 of A while B and C verify keys under load and A creates keys:
// B and C never fail, and every key A acknowledged verifies on them.
func TestClusterKill9UnderLoad(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	if os.Getenv(clusterRedisEnv) == "" {
		t.Logf("%s unset: not run (the Redis variant is the one tested)", clusterRedisEnv)
		return
	}
	c := newCluster(t, true)
	a, b, cc := c.startABC(t)
	project := c.createProject(t, a)
	var existing []string
	for range 10 {
		existing = append(existing, c.createKey(t, a, project, nil))
	}
	for _, k := range existing {
		c.warm(t, k, b, cc)
	}

	var (
		stop, killed atomic.Bool
		mu           sync.Mutex
		failures     []string
		acked        []string
		wg           sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	type counts struct{ ok, okAfterKill atomic.Int64 }
	verified := map[*clusterNode]*counts{b: {}, cc: {}}
	for _, n := range []*clusterNode{b, cc} {
		for w := range 4 {
			wg.Go(func() {
				for i := w; !stop.Load(); i++ {
					after := killed.Load()
					k := existing[i%len(existing)]
					r, err := n.verify(c.access, k, "")
					switch {
					case err != nil:
						fail("node %s, key %s (A killed: %v): %v", n.name, keyway.Fingerprint(k), after, err)
					case r.status != 200:
						fail("node %s, key %s (A killed: %v): %s, want 200", n.name, keyway.Fingerprint(k), after, r)
					default:
						verified[n].ok.Add(1)
						if after {
							verified[n].okAfterKill.Add(1)
						}
					}
				}
			})
		}
	}
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			r, err := a.do("POST", "/api-keys", c.access, map[string]any{"name": fmt.Sprint("load ", i), "projectId": project})
			if err != nil {
				if !killed.Load() {
					fail("create on A before the kill: %v", err)
				}
				return // A is gone: connection errors are expected
			}
			if r.status != 201 {
				if !killed.Load() {
					fail("create on A before the kill: %s", r)
				}
				continue
			}
			var k struct{ Key string }
			if json.Unmarshal(r.body, &k) != nil || k.Key == "" {
				fail("create on A: no key in %s", r)
				continue
			}
			mu.Lock()
			acked = append(acked, k.Key)
			mu.Unlock()
		}
	})

	// Kill A once it has acknowledged some keys, mid-way through the load.
	_, err := clusterAwait(15*time.Second, func() (bool, string, error) {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 25, fmt.Sprintf("%d keys acknowledged", len(acked)), nil
	})
	if err != nil {
		stop.Store(true)
		wg.Wait()
		t.Fatalf("A did not create keys under load: %v; failures: %v", err, failures)
	}
	killed.Store(true)
	a.kill9(t)
	killedAt := time.Now()
	// Keep B and C under load for a while after the kill.
	_, _ = clusterAwait(10*time.Second, func() (bool, string, error) {
		enough := time.Since(killedAt) >= 1500*time.Millisecond &&
			verified[b].okAfterKill.Load() >= 200 && verified[cc].okAfterKill.Load() >= 200
		return enough, "", nil
	})
	stop.Store(true)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	for _, f := range failures {
		t.Error(f)
	}
	for _, n := range []*clusterNode{b, cc} {
		ok, after := verified[n].ok.Load(), verified[n].okAfterKill.Load()
		t.Logf("node %s: %d verifications answered 200, %d after the kill of A", n.name, ok, after)
		if after < 200 {
			t.Errorf("node %s answered only %d verifications in the %v after A was killed", n.name, after, time.Since(killedAt).Round(time.Millisecond))
		}
	}
	t.Logf("A acknowledged %d keys before kill -9", len(acked))
	for _, k := range acked {
		c.expectVerify(t, k, "", 200, "", b, cc)
	}
	for _, k := range existing {
		c.expectVerify(t, k, "", 200, "", b, cc)
	}
	// B and C still tell each other of changes with A gone.
	r := b.must(t, "DELETE", "/api-keys/"+existing[0], c.access, nil)
	if r.status != 200 {
		t.Fatalf("DELETE /api-keys/{key} on B after the kill of A: %s", r)
	}
	if _, err := c.awaitRevoked(existing[0], clusterPropagationLimit, cc); err != nil {
		t.Fatalf("revocation on B after the kill of A did not reach C: %v", err)
	}
}

// `keyway migrate` prepares a fresh schema and exits 0; a second run
// changes nothing; a node then starts on the schema and bootstraps it.
func TestMigrateCommand(t *testing.T) {
	base := clusterPostgres(t)
	if base == "" {
		return
	}
	c := newCluster(t, false)
	u, err := url.Parse(c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// snapshot is every table of the schema with its row count.
	snapshot := func() map[string]int {
		t.Helper()
		rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			tables = append(tables, name)
		}
		rows.Close()
		out := map[string]int{}
		for _, name := range tables {
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM "` + schema + `"."` + name + `"`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			out[name] = n
		}
		return out
	}
	migrate := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "migrate")
		cmd.Dir = t.TempDir()
		cmd.Env = clusterEnviron(map[string]string{"KEYWAY_DATABASE_URL": c.dbURL})
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("keyway migrate: %v; output:\n%s", err, out)
		}
	}
	if got := snapshot(); len(got) != 0 {
		t.Fatalf("fresh schema is not empty: %v", got)
	}
	migrate()
	first := snapshot()
	if len(first) == 0 {
		t.Fatalf("keyway migrate exited 0 but schema %s has no tables", schema)
	}
	migrate()
	if second := snapshot(); !reflect.DeepEqual(first, second) {
		t.Fatalf("second keyway migrate changed the schema: tables and row counts %v, then %v", first, second)
	}
	n := startNode(t, "A", c.env, "warn")
	n.waitReady(t, 30*time.Second)
	r := n.must(t, "GET", "/accounts", c.access, nil)
	if r.status != 200 || len(r.list(t)) != 1 {
		t.Fatalf("GET /accounts on a node started on the migrated schema: %s, want 200 with one account", r)
	}
}

// A clustered node stops promptly on SIGTERM, with exit status 0, whichever
// invalidation channel it holds open (a blocked subscription read once kept
// it from ever exiting).
func TestClusterNodeStopsOnSIGTERM(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	clusterForEachBus(t, func(t *testing.T, bus string, withRedis bool) {
		c := newCluster(t, withRedis)
		n := c.start(t, "A")[0]
		start := time.Now()
		if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-n.exited:
		case <-time.After(5 * time.Second):
			t.Fatalf("node still running 5 s after SIGTERM; stderr:\n%s", n.stderr)
		}
		if code := n.cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("exit status %d after SIGTERM; stderr:\n%s", code, n.stderr)
		}
		t.Logf("%s: stopped %v after SIGTERM", bus, time.Since(start).Round(time.Millisecond))
	})
}
