package main

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// metricValue reads an unlabelled metric from a node's /metrics.
func metricValue(t *testing.T, n *clusterNode, name string) float64 {
	t.Helper()
	r := n.must(t, "GET", "/metrics", "", nil)
	if r.status != 200 {
		t.Fatalf("GET /metrics on %s: %s", n.name, r)
	}
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return v
		}
	}
	t.Fatalf("no metric %s on %s", name, n.name)
	return 0
}

// With every node's key filter built, a key created on A verifies at once
// on B and C (the filter's "no" waits for the bus to deliver what A
// published first), and unknown keys there are refused by the filter,
// with no store read.
func TestClusterKeyFilter(t *testing.T) {
	if clusterPostgres(t) == "" {
		return
	}
	clusterForEachBus(t, func(t *testing.T, bus string, withRedis bool) {
		c := newCluster(t, withRedis)
		a, b, cc := c.startABC(t)
		project := c.createProject(t, a)
		for _, n := range []*clusterNode{a, b, cc} {
			keywaytest.EventuallyWithin(t, clusterPollTimeout, "the key filter of "+n.name+" to be built", func() bool {
				return metricValue(t, n, "keyway_key_filter_bytes") != 0
			})
		}
		refusedB := metricValue(t, b, "keyway_key_filter_refusals_total")
		for range 30 {
			key := c.createKey(t, a, project, nil)
			// The first verification of a new key anywhere is its
			// first: B and C asked before they could have heard of it
			// but for the sync.
			c.expectVerify(t, key, "", 200, "", b, cc)
			c.expectVerify(t, keycrypt.NewKey("live_"), "", 404, clusterInvalidKeyJSON, b)
		}
		if got := metricValue(t, b, "keyway_key_filter_refusals_total") - refusedB; got < 30 {
			t.Fatalf("B's filter refused %v of 30 unknown keys", got)
		}
	})
}
