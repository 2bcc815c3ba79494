package verify_test

// The cache at scale: entries live until invalidated (refreshed in the
// background, never reloaded wholesale on a timer), changes drop only
// what depends on them, unknown keys cannot push known ones out, and
// misses for many keys are read together.

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/verify"
)

// A cached key is not reloaded because time passes: an hour of minutes
// makes no read. Past the refresh interval its next use still answers
// from the cache, and reloads it in the background; a change the cache
// was never told about (a missed invalidation) then shows.
func TestEntriesLiveUntilRefreshedInBackground(t *testing.T) {
	f := newFixture(t)
	k := f.newKey(t, keyway.APIKeyCreate{Name: "before"})
	f.verify(t, k.Key.Reveal(), "")
	before := f.store.reads.Load()
	for range 9 {
		f.clock.Advance(time.Minute)
		f.verify(t, k.Key.Reveal(), "")
	}
	if n := f.store.reads.Load() - before; n != 0 {
		t.Fatalf("9 minutes of use reloaded the key %d times, want none", n)
	}

	// Behind the cache's back: no invalidation.
	stored, err := f.store.APIKey(context.Background(), k.AccountID, k.Key.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	stored.Name = "after"
	if err := f.store.Store.UpdateAPIKey(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(3 * time.Minute) // 12 minutes: past 10 and its jitter
	if got := answerName(t, f.verify(t, k.Key.Reveal(), "")); got != "before" {
		t.Fatalf("the use that finds the entry due answered %q, want the cached %q (no waiting on a reload)", got, "before")
	}
	keywaytest.Eventually(t, "the background reload", func() bool { return answerName(t, f.verify(t, k.Key.Reveal(), "")) == "after" })
	if n := f.store.reads.Load() - before; n != 1 {
		t.Fatalf("%d reads for one background reload", n)
	}
}

// An entry nobody used for its whole maximum age is loaded again before
// it is served.
func TestEntriesPastMaxAgeLoadAgain(t *testing.T) {
	f := newFixture(t)
	k := f.newKey(t, keyway.APIKeyCreate{})
	f.verify(t, k.Key.Reveal(), "")
	before := f.store.reads.Load()
	f.clock.Advance(31 * time.Minute)
	f.verify(t, k.Key.Reveal(), "")
	if n := f.store.reads.Load() - before; n != 1 {
		t.Fatalf("use after the maximum age made %d reads, want 1", n)
	}
}

func answerName(t *testing.T, r verify.Result) string {
	t.Helper()
	var k struct{ Name string }
	if err := json.Unmarshal(r.Answer(), &k); err != nil {
		t.Fatalf("answer %q: %v", r.Answer(), err)
	}
	return k.Name
}

// Deleting a project drops its keys' answers and nothing else; a new or
// changed access key drops no key answers at all.
func TestChangesDropOnlyWhatDependsOnThem(t *testing.T) {
	f := newFixture(t)
	other, err := f.svc.CreateProject(context.Background(), f.caller, &keyway.ProjectCreate{Name: "other", AccountID: f.project.AccountID, Env: keyway.EnvLive})
	if err != nil {
		t.Fatal(err)
	}
	mine := f.newKey(t, keyway.APIKeyCreate{})
	theirs, err := f.svc.CreateAPIKey(context.Background(), f.caller, &keyway.APIKeyCreate{Name: "k", ProjectID: other.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.verify(t, mine.Key.Reveal(), "")
	f.verify(t, theirs.Key.Reveal(), "")

	reads := func(what string, want int64, fn func()) {
		t.Helper()
		before := f.store.reads.Load()
		fn()
		if n := f.store.reads.Load() - before; n != want {
			t.Fatalf("%s: %d store reads, want %d", what, n, want)
		}
	}
	reads("creating an access key, then verifying both keys", 0, func() {
		if _, err := f.svc.CreateAccessKey(context.Background(), f.caller, &keyway.AccessKeyCreate{Name: "ci", AccountID: f.project.AccountID}); err != nil {
			t.Fatal(err)
		}
		f.verify(t, mine.Key.Reveal(), "")
		f.verify(t, theirs.Key.Reveal(), "")
	})
	if _, err := f.svc.DeleteProject(context.Background(), f.caller, other.ID); err != nil {
		t.Fatal(err)
	}
	reads("the key of a live project after another project's deletion", 0, func() {
		if r := f.verify(t, mine.Key.Reveal(), ""); r.Outcome != verify.Valid {
			t.Fatalf("key of a live project: %v", r.Outcome)
		}
	})
	reads("the key of the deleted project", 1, func() {
		if r := f.verify(t, theirs.Key.Reveal(), ""); r.Outcome != verify.Invalid {
			t.Fatalf("key of a deleted project: %v, want Invalid", r.Outcome)
		}
	})
}

// Unknown keys live in a bounded cache of their own: a flood of invented
// keys stays bounded and does not evict the keys in use.
func TestUnknownKeysKeptApart(t *testing.T) {
	f := newFixture(t)
	known := f.newKey(t, keyway.APIKeyCreate{})
	f.verify(t, known.Key.Reveal(), "")
	for i := range 3000 {
		f.verify(t, fmt.Sprintf("live_invented_%08d", i), "")
	}
	st := f.verifier.Stats()
	if st.UnknownEntries > 3000 || st.KeyEntries != 1 {
		t.Fatalf("after 3,000 unknown keys: %d known and %d unknown entries", st.KeyEntries, st.UnknownEntries)
	}
	before := f.store.reads.Load()
	f.verify(t, known.Key.Reveal(), "")
	if n := f.store.reads.Load() - before; n != 0 {
		t.Fatalf("a flood of unknown keys pushed the known key out (%d reads)", n)
	}
}

// Misses for different keys arriving together are read in a few queries,
// not one each.
func TestMissesAreReadInBatches(t *testing.T) {
	f := newFixture(t)
	var keys []string
	for range 60 {
		keys = append(keys, (f.newKey(t, keyway.APIKeyCreate{}).Key).Reveal())
	}
	f.store.gate, f.store.entered = make(chan struct{}), make(chan struct{}, 100)
	before, missed := f.store.reads.Load(), f.verifier.Stats().KeyMisses
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := f.verifier.Verify(context.Background(), f.caller, k, ""); err != nil || r.Outcome != verify.Valid {
				t.Errorf("verify: %v %v", r.Outcome, err)
			}
		}()
	}
	// Reads are held until every miss has been counted, so each is queued
	// or in a held batch: whatever came after the first reads waits for
	// the next batch.
	keywaytest.Eventually(t, "every miss to queue", func() bool { return f.verifier.Stats().KeyMisses-missed == uint64(len(keys)) })
	close(f.store.gate)
	wg.Wait()
	if n := f.store.reads.Load() - before; n > 8 {
		t.Fatalf("60 concurrent misses took %d reads, want a few batches", n)
	}
	f.store.gate = nil
	before = f.store.reads.Load()
	for _, k := range keys {
		f.verify(t, k, "")
	}
	if n := f.store.reads.Load() - before; n != 0 {
		t.Fatalf("%d reads after the batches: not every key was cached", n)
	}
}
