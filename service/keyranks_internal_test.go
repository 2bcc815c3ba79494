package service

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/keywayhq/keyway"
)

// topTotals picks the same first entries, in the same order, as sorting
// them all, whatever the cut (the bounded heap below half, a sort above),
// with many ties on the total; mergeTotals adds up two lists by key.
func TestTopTotalsAndMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var ts []keyway.KeyUsageTotal
	for i := range 1000 {
		var k keyway.KeyUsageTotal
		k.KeyID = fmt.Sprintf("key-%04d", r.IntN(100000))
		k.Add(int64(r.IntN(20)), int64(r.IntN(3)), int64(i%2))
		if !slices.ContainsFunc(ts, func(x keyway.KeyUsageTotal) bool { return x.KeyID == k.KeyID }) {
			ts = append(ts, k)
		}
	}
	want := slices.SortedFunc(slices.Values(ts), byRank)
	for _, top := range []int{0, 1, 2, 11, 101, len(ts)/2 - 1, len(ts) / 2, len(ts) - 1, len(ts), len(ts) + 5} {
		got := topTotals(slices.Clone(ts), top)
		n := len(ts)
		if top > 0 && top < n {
			n = top
		}
		if !slices.Equal(got, want[:n]) {
			t.Errorf("top %d: the first %d differ from a full sort", top, n)
		}
	}

	a := []keyway.KeyUsageTotal{{KeyID: "a"}, {KeyID: "c"}, {KeyID: "d"}}
	b := []keyway.KeyUsageTotal{{KeyID: "b"}, {KeyID: "c"}, {KeyID: "e"}}
	for i := range a {
		a[i].Add(1, 0, 0)
		b[i].Add(0, 2, 0)
	}
	got := mergeTotals(a, b)
	var ids []string
	for _, g := range got {
		ids = append(ids, g.KeyID)
	}
	if !slices.Equal(ids, []string{"a", "b", "c", "d", "e"}) || got[2].Total != 3 || got[2].Successful != 1 || got[2].Failed != 2 || a[1].Total != 1 {
		t.Fatalf("merged %+v (a is now %+v)", got, a)
	}
}
