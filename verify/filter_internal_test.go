package verify

import (
	"strconv"
	"testing"

	"github.com/keywayhq/keyway/keycrypt"
)

// The filter never loses a digest it was given, and at its capacity
// answers "maybe" for under 1% of absent ones.
func TestDigestFilter(t *testing.T) {
	const n = 200_000
	f := newDigestFilter(n / 2) // capacity n: the worst it is used at
	if f.capacity < n || f.capacity > 2*n {
		t.Fatalf("capacity %d for %d keys", f.capacity, n)
	}
	for i := range n {
		f.add(keycrypt.HashKey("live_in_" + strconv.Itoa(i)))
	}
	for i := range n {
		if !f.has(keycrypt.HashKey("live_in_" + strconv.Itoa(i))) {
			t.Fatalf("digest %d lost", i)
		}
	}
	fp := 0
	for i := range n {
		if f.has(keycrypt.HashKey("live_out_" + strconv.Itoa(i))) {
			fp++
		}
	}
	rate := float64(fp) / n
	t.Logf("%d digests in %d KiB (%.1f bits each): %.3f%% false positives", n, f.bytes()/1024, float64(f.bytes()*8)/n, 100*rate)
	if rate > 0.01 {
		t.Fatalf("false positive rate %.3f%%, want under 1%%", 100*rate)
	}
	if f.full() {
		t.Fatal("full at its capacity")
	}
	f.add(keycrypt.HashKey("one more"))
	for range f.capacity - int(f.count.Load()) + 1 {
		f.add(keycrypt.HashKey("again"))
	}
	if !f.full() {
		t.Fatal("not full past its capacity")
	}
}
