package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookDeliveredMetric reads keyway_webhook_attempts_total{outcome="delivered"}
// from a node's /metrics.
func hookDeliveredMetric(t *testing.T, n *clusterNode) int {
	t.Helper()
	r := n.must(t, "GET", "/metrics", "", nil)
	if r.status != 200 {
		t.Fatalf("GET /metrics on %s: %s", n.name, r)
	}
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "keyway_webhook_attempts_total{") && strings.Contains(line, `outcome="delivered"`) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			return int(v)
		}
	}
	t.Fatalf("no delivered-attempts metric on %s", n.name)
	return 0
}

// Two nodes on one PostgreSQL database share the delivery queue: events
// created through either node all reach the receiver, and, in the normal
// case (no crash, receiver healthy), each exactly once.
func TestClusterWebhookDeliveredOnce(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	const total = 50
	c := newCluster(t, false)
	c.env = hookEnv(c.env)
	nodes := c.start(t, "A", "B")
	a, b := nodes[0], nodes[1]
	sink := newHookSink(t, 204)
	// A slow receiver keeps a backlog, so both nodes claim at the same time.
	sink.delay.Store(int64(20 * time.Millisecond))
	account, project, webhookID, secret := hookSetup(t, a, c.access, sink.url+"/hook")
	c.account = account

	// Both nodes create keys at once, half each, several at a time.
	var (
		mu   sync.Mutex
		keys []string
		errs []string
		wg   sync.WaitGroup
	)
	const perWorker = 5
	for i := range total / perWorker {
		n := []*clusterNode{a, b}[i%2]
		wg.Go(func() {
			for j := range perWorker {
				r, err := n.do("POST", "/api-keys", c.access, map[string]any{"name": fmt.Sprintf("k%d-%d", i, j), "projectId": project})
				mu.Lock()
				switch {
				case err != nil:
					errs = append(errs, err.Error())
				case r.status != 201:
					errs = append(errs, fmt.Sprintf("POST /api-keys on %s: %s", n.name, r))
				default:
					var k struct{ Key string }
					json.Unmarshal(r.body, &k)
					keys = append(keys, k.Key)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("creating keys: %v", errs)
	}
	start := time.Now()
	sink.await(t, 30*time.Second, fmt.Sprintf("all %d events", total), func(hits []hookHit) bool {
		seen := map[string]bool{}
		for _, h := range hits {
			seen[h.webhookID] = true
		}
		return len(seen) == total
	})
	took := time.Since(start)
	// Once every delivery is recorded delivered, nothing more is due: a
	// duplicate, if any, has arrived by then.
	hookAwaitDelivered(t, a, c.access, webhookID, total, 10*time.Second)
	hookAwaitDelivered(t, b, c.access, webhookID, total, 10*time.Second)
	hits := sink.snapshot()
	dups := hookCheck(t, hits, secret, keys)
	da, db := hookDeliveredMetric(t, a), hookDeliveredMetric(t, b)
	t.Logf("%d events created on two nodes: %d requests received in %v; sent by A %d, by B %d; %d events received more than once",
		total, len(hits), took.Round(time.Millisecond), da, db, dups)
	if da+db != len(hits) {
		t.Errorf("the nodes count %d+%d delivered attempts, the receiver %d requests", da, db, len(hits))
	}
	if dups > 0 || len(hits) != total {
		t.Errorf("%d requests for %d events: %d events sent more than once in the normal case", len(hits), total, dups)
	}
}
