package main

// Usage analytics across real `keyway serve` processes on one PostgreSQL
// schema: each node counts its verifications in memory and adds them to
// the shared buckets every KEYWAY_USAGE_FLUSH_INTERVAL and once more on a
// clean stop. Nodes must add up (no double count), a clean stop must lose
// nothing, and a crash at most what the last flush interval counted.
//
// They need KEYWAY_TEST_POSTGRES_URL, like the other cluster tests:
//
//	KEYWAY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	go test -run Usage -v ./cmd/keyway/

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
)

// usageStartNode starts one node of c with its own usage flush interval
// and waits until it is ready; the first node started reads the account.
func usageStartNode(t *testing.T, c *cluster, name, flush string) *clusterNode {
	t.Helper()
	env := make(map[string]string, len(c.env)+1)
	for k, v := range c.env {
		env[k] = v
	}
	env["KEYWAY_USAGE_FLUSH_INTERVAL"] = flush
	env["KEYWAY_DATABASE_URL"] = usageNodeDBURL(t, c, name)
	n := startNode(t, name, env, c.logLevel)
	n.waitReady(t, 30*time.Second)
	c.nodes = append(c.nodes, n)
	if c.account == "" {
		r := n.must(t, "GET", "/accounts", c.access, nil)
		accounts := r.list(t)
		if r.status != 200 || len(accounts) != 1 {
			t.Fatalf("GET /accounts on %s: %s, want one account", name, r)
		}
		c.account, _ = accounts[0]["id"].(string)
	}
	return n
}

// usageNodeDBURL is c's database URL with the connections named after the
// node (application_name), so the server can tell which are its.
func usageNodeDBURL(t *testing.T, c *cluster, name string) string {
	t.Helper()
	u, err := url.Parse(c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", usageNodeApp(c, name))
	u.RawQuery = q.Encode()
	return u.String()
}

// usageNodeApp is the application_name of a node's connections: its
// schema's name is unique to the test.
func usageNodeApp(c *cluster, name string) string {
	u, _ := url.Parse(c.dbURL)
	return u.Query().Get("search_path") + "_" + name
}

// usageAwaitGone waits until the database server has no connection of
// node name left: whatever the node had sent is committed or rolled back,
// and nothing of it can arrive any more.
func usageAwaitGone(t *testing.T, c *cluster, name string) {
	t.Helper()
	admin, err := sql.Open("pgx", os.Getenv(keywaytest.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	app := usageNodeApp(c, name)
	keywaytest.EventuallyShows(t, "no connection of node "+name+" left", func() (bool, string) {
		var left int
		if err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&left); err != nil {
			t.Fatal(err)
		}
		return left == 0, fmt.Sprintf("%d connections", left)
	})
}

// usageAwaitFlushed waits until each node has written a count made after
// all the test's verifications: one verification of marker (a key of
// markerProject, which nothing else uses) per node. A node flushes all it
// holds at once, so by then it has written everything it counted before.
func usageAwaitFlushed(t *testing.T, c *cluster, markerProject, marker string, nodes ...*clusterNode) {
	t.Helper()
	for _, n := range nodes {
		usageMustVerify(t, c, n, marker, "", 1, 200)
	}
	usageAwaitTotal(t, c, nodes[0], markerProject, int64(len(nodes)), 10*time.Second)
}

// usageProjectTotals reads GET /analytics/project-totals by day.
func usageProjectTotals(c *cluster, n *clusterNode, project string) (keyway.ProjectTotals, error) {
	var out keyway.ProjectTotals
	r, err := n.do("GET", "/analytics/project-totals?projectId="+url.QueryEscape(project)+"&dateGrouping=day", c.access, nil)
	if err != nil {
		return out, err
	}
	if r.status != 200 {
		return out, fmt.Errorf("GET /analytics/project-totals on %s: %s", n.name, r)
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		return out, fmt.Errorf("GET /analytics/project-totals on %s: %v in %s", n.name, err, r)
	}
	return out, nil
}

// usageKeyTotals reads GET /analytics/api-key-totals by day, keyed by key.
func usageKeyTotals(c *cluster, n *clusterNode, project string) (map[string]keyway.Totals, error) {
	r, err := n.do("GET", "/analytics/api-key-totals?projectId="+url.QueryEscape(project)+"&dateGrouping=day", c.access, nil)
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, fmt.Errorf("GET /analytics/api-key-totals on %s: %s", n.name, r)
	}
	var out keyway.APIKeyTotals
	if err := json.Unmarshal(r.body, &out); err != nil {
		return nil, fmt.Errorf("GET /analytics/api-key-totals on %s: %v in %s", n.name, err, r)
	}
	m := map[string]keyway.Totals{}
	for _, k := range out.Keys {
		var sum keyway.Totals
		for _, p := range k.Periods {
			sum.Add(p.Successful, p.Failed, p.RateLimited)
		}
		if sum != k.Total {
			return nil, fmt.Errorf("api-key-totals on %s: key %s total %+v, its periods add up to %+v", n.name, keyway.Fingerprint(k.Key.Reveal()), k.Total, sum)
		}
		m[k.Key.Reveal()] = k.Total
	}
	return m, nil
}

// usageAwaitTotal polls project-totals on n until total.successful reaches
// want; a total above want fails at once (a double count).
func usageAwaitTotal(t *testing.T, c *cluster, n *clusterNode, project string, want int64, timeout time.Duration) keyway.ProjectTotals {
	t.Helper()
	var last keyway.ProjectTotals
	_, err := clusterAwait(timeout, func() (bool, string, error) {
		pt, err := usageProjectTotals(c, n, project)
		if err != nil {
			return false, "", err
		}
		last = pt
		s := fmt.Sprintf("%+v", pt.Total)
		if pt.Total.Successful > want {
			return false, s, fmt.Errorf("successful %d exceeds the %d verifications made", pt.Total.Successful, want)
		}
		return pt.Total.Successful == want, s, nil
	})
	if err != nil {
		t.Fatalf("project totals on %s: %v", n.name, err)
	}
	return last
}

// usageVerifyMany verifies key n times on node, over a few goroutines,
// and reports an error unless each answered want. Safe in any goroutine.
func usageVerifyMany(c *cluster, node *clusterNode, key, origin string, n, want int) error {
	const workers = 4
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first string
		bad   int
	)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				r, err := node.verify(c.access, key, origin)
				if err == nil && r.status == want {
					continue
				}
				mu.Lock()
				bad++
				if first == "" {
					if err != nil {
						first = err.Error()
					} else {
						first = fmt.Sprintf("verify on %s: %s, want %d", node.name, r, want)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if bad > 0 {
		return fmt.Errorf("%d of %d verifications failed, e.g. %s", bad, n, first)
	}
	return nil
}

// usageMustVerify is usageVerifyMany in the test goroutine.
func usageMustVerify(t *testing.T, c *cluster, node *clusterNode, key, origin string, n, want int) {
	t.Helper()
	if err := usageVerifyMany(c, node, key, origin, n, want); err != nil {
		t.Fatal(err)
	}
}

// usageFlushFailures are the nodes' logged flush failures.
func usageFlushFailures(nodes ...*clusterNode) []string {
	var out []string
	for _, n := range nodes {
		for _, line := range strings.Split(n.stderr.String(), "\n") {
			if strings.Contains(line, "flush usage failed") {
				out = append(out, n.name+": "+line)
			}
		}
	}
	return out
}

// Two nodes verify the same key concurrently and flush every 200 ms into
// the same buckets: the totals reach exactly N+M and stay there.
func TestUsageClusterNodesAddUp(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	const flush = 200 * time.Millisecond
	t.Run("one-key", func(t *testing.T) {
		c := newCluster(t, false)
		a := usageStartNode(t, c, "A", flush.String())
		b := usageStartNode(t, c, "B", flush.String())
		project := c.createProject(t, a)
		key := c.createKey(t, a, project, nil)
		markerProject := c.createProject(t, a)
		marker := c.createKey(t, a, markerProject, nil)

		const n, m = 300, 200
		var wg sync.WaitGroup
		var errA, errB error
		wg.Go(func() { errA = usageVerifyMany(c, a, key, "", n, 200) })
		wg.Go(func() { errB = usageVerifyMany(c, b, key, "", m, 200) })
		wg.Wait()
		if err := errors.Join(errA, errB); err != nil {
			t.Fatal(err)
		}
		usageAwaitTotal(t, c, a, project, n+m, 10*time.Second)
		// Once both nodes have flushed since: nothing is added twice.
		usageAwaitFlushed(t, c, markerProject, marker, a, b)
		for _, node := range []*clusterNode{a, b} {
			pt, err := usageProjectTotals(c, node, project)
			if err != nil {
				t.Fatal(err)
			}
			want := keyway.Totals{Successful: n + m, Total: n + m}
			if pt.Total != want {
				t.Errorf("project totals on %s after more flushes: %+v, want %+v", node.name, pt.Total, want)
			}
			if len(pt.Periods) != 1 || pt.Periods[0].Totals != want {
				t.Errorf("project totals on %s: periods %+v, want one day of %+v", node.name, pt.Periods, want)
			}
			keys, err := usageKeyTotals(c, node, project)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || keys[key] != want {
				t.Errorf("api-key-totals on %s: %+v, want the key with %+v", node.name, keys, want)
			}
		}
		if f := usageFlushFailures(a, b); len(f) > 0 {
			t.Errorf("flushes failed: %v", f)
		}
	})

	// Many keys of one project verified on both nodes for a few seconds:
	// every flush of each node writes rows of all of them and the same
	// project rows, and the two nodes' flushes overlap.
	t.Run("several-keys", func(t *testing.T) {
		const flush = 100 * time.Millisecond
		c := newCluster(t, false)
		a := usageStartNode(t, c, "A", flush.String())
		b := usageStartNode(t, c, "B", flush.String())
		project := c.createProject(t, a)
		var keys []string
		for range 30 {
			keys = append(keys, c.createKey(t, a, project, nil))
		}
		markerProject := c.createProject(t, a)
		marker := c.createKey(t, a, markerProject, nil)
		const run = 3 * time.Second
		var wg sync.WaitGroup
		errs := make([]error, 2)
		made := make([]map[string]int64, 2)
		for i, node := range []*clusterNode{a, b} {
			made[i] = map[string]int64{}
			wg.Go(func() {
				for deadline := time.Now().Add(run); time.Now().Before(deadline); {
					for _, k := range keys {
						r, err := node.verify(c.access, k, "")
						if err == nil && r.status != 200 {
							err = fmt.Errorf("verify on %s: %s, want 200", node.name, r)
						}
						if err != nil {
							errs[i] = err
							return
						}
						made[i][k]++
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, m := range made {
			for _, n := range m {
				total += n
			}
		}
		usageAwaitTotal(t, c, a, project, total, 15*time.Second)
		usageAwaitFlushed(t, c, markerProject, marker, a, b)
		pt, err := usageProjectTotals(c, b, project)
		if err != nil {
			t.Fatal(err)
		}
		if pt.Total.Successful != total || pt.Total.Total != total {
			t.Errorf("project totals on B: %+v, want %d successful", pt.Total, total)
		}
		got, err := usageKeyTotals(c, b, project)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if want := made[0][k] + made[1][k]; got[k].Successful != want || got[k].Total != want {
				t.Errorf("api-key-totals: key %s %+v, want %d successful", keyway.Fingerprint(k), got[k], want)
			}
		}
		t.Logf("%d verifications of %d keys over %v on two nodes flushing every %v", total, len(keys), run, flush)
		// Two nodes flushing keys of one project share its total rows; a
		// retried flush keeps totals exact, but none should fail (they
		// deadlocked on PostgreSQL while rows were written in batch order).
		if f := usageFlushFailures(a, b); len(f) > 0 {
			t.Errorf("%d flushes failed, e.g. %s", len(f), clusterTail(f[0], 400))
		}
	})
}

// kill -9 loses at most what the node counted since its last flush: the
// loss is bounded by the flush interval (here 1 s), never more, and what
// was flushed before the crash stays counted exactly once.
func TestUsageClusterKill9LosesAtMostOneInterval(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	c := newCluster(t, false)
	a := usageStartNode(t, c, "A", "1s")
	project := c.createProject(t, a)
	key := c.createKey(t, a, project, nil)

	const k, j = 120, 80
	usageMustVerify(t, c, a, key, "", k, 200)
	usageAwaitTotal(t, c, a, project, k, 10*time.Second) // flushed
	usageMustVerify(t, c, a, key, "", j, 200)
	a.kill9(t) // at once: the last j are most likely still in memory
	// A flush A sent before dying may still commit; once the server has
	// dropped all of A's connections, nothing more of A can arrive.
	usageAwaitGone(t, c, "A")

	b := usageStartNode(t, c, "B", "1s")
	pt, err := usageProjectTotals(c, b, project)
	if err != nil {
		t.Fatal(err)
	}
	got := pt.Total.Successful
	if got < k || got > k+j || pt.Total.Total != got {
		t.Fatalf("after kill -9 and a restart: totals %+v, want between %d (flushed before) and %d (all made) successful", pt.Total, k, k+j)
	}
	keys, err := usageKeyTotals(c, b, project)
	if err != nil {
		t.Fatal(err)
	}
	if keys[key] != pt.Total {
		t.Errorf("api-key-totals %+v, project totals %+v: want the same", keys[key], pt.Total)
	}
	t.Logf("kill -9 lost %d of the %d verifications made after the last confirmed flush", k+j-got, j)
}

// A clean stop (SIGTERM) flushes what was counted: with a flush interval of
// an hour only the shutdown flush can write it, and another node reads
// exactly what was verified.
func TestUsageClusterSIGTERMLosesNothing(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	c := newCluster(t, false)
	a := usageStartNode(t, c, "A", "1h")
	b := usageStartNode(t, c, "B", "1h")
	project := c.createProject(t, a)
	key := c.createKey(t, a, project, map[string]any{"allowedDomains": []string{"good.example.com"}})

	const ok, denied = 250, 30
	usageMustVerify(t, c, a, key, "", ok, 200)
	usageMustVerify(t, c, a, key, "evil.example.net", denied, 403)
	// Nothing is written before the stop.
	pt, err := usageProjectTotals(c, b, project)
	if err != nil {
		t.Fatal(err)
	}
	if pt.Total != (keyway.Totals{}) {
		t.Fatalf("totals before the stop: %+v, want none (flush interval 1h)", pt.Total)
	}

	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("node A still running 15 s after SIGTERM; stderr:\n%s", clusterTail(a.stderr.String(), 4000))
	}
	if code := a.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("node A exit status %d after SIGTERM; stderr:\n%s", code, clusterTail(a.stderr.String(), 4000))
	}

	want := keyway.Totals{Successful: ok, Failed: denied, Total: ok + denied}
	for _, n := range []*clusterNode{b, usageStartNode(t, c, "A2", "1h")} {
		pt, err := usageProjectTotals(c, n, project)
		if err != nil {
			t.Fatal(err)
		}
		if pt.Total != want {
			t.Errorf("totals on %s after A's clean stop: %+v, want %+v", n.name, pt.Total, want)
		}
		keys, err := usageKeyTotals(c, n, project)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || keys[key] != want {
			t.Errorf("api-key-totals on %s: %+v, want the key with %+v", n.name, keys, want)
		}
	}
	if f := usageFlushFailures(a); len(f) > 0 {
		t.Errorf("the shutdown flush failed: %v", f)
	}
}
