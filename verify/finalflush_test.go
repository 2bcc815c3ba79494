package verify_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/verify"
)

// A stopping node's final flush keeps retrying a store that refuses it,
// logging each failure, and returns once the store takes the counts.
func TestFinalFlushRetriesUntilTheStoreTakesIt(t *testing.T) {
	us := &recordingUsage{}
	f := newUsageFixtureWith(t, us, verify.Config{})
	k := f.newKey(t, keyway.APIKeyCreate{})
	f.verify(t, k.Key.Reveal(), "")
	us.failing.Store(true)
	logs := newLogLines()
	done := make(chan error, 1)
	// An ended context does not cut the final flush short.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	go func() { done <- f.verifier.FinalFlush(ctx, slog.New(slog.NewJSONHandler(logs, nil))) }()
	keywaytest.Eventually(t, "two failed final flushes", func() bool { return f.verifier.FlushStats().Failures >= 2 })
	us.failing.Store(false)
	if err := <-done; err != nil {
		t.Fatalf("FinalFlush: %v", err)
	}
	retried := 0
	for _, m := range logs.messages() {
		if m == "final usage flush failed; retrying" {
			retried++
		}
	}
	if retried < 2 {
		t.Errorf("logged %d retries, want one per failure (at least 2)", retried)
	}
	if tot := us.totals(); tot[usageKeyOwner(k)].successful != 1 {
		t.Fatalf("after the final flush the store has %v, want the one verification", tot)
	}
}
