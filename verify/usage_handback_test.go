package verify

import (
	"testing"
	"time"
)

// An add that loaded a minute, then paused until the minute was over and
// drained for the last time, still reaches the store: it hands the minute
// back, and the next drain takes its count, once.
func TestLateAddIsHandedBack(t *testing.T) {
	for _, c := range []struct {
		name string
		// retire moves the loaded minute out of the current slot before
		// the drains that drop it: a later minute's add, or none (the
		// counters go idle).
		retire bool
	}{{"idle key", false}, {"key used in the next minute", true}} {
		t.Run(c.name, func(t *testing.T) {
			b := newUsageBuffer(nil, FlushConfig{})
			k := &usageCounters{keyID: "k", owner: &owner{accountID: "a", projectID: "p"}}
			t0 := time.UnixMilli(1_700_000_040_000) // a minute's start
			k.success(b, t0)
			late := k.at(b, t0) // loaded; the add lands below
			if c.retire {
				k.success(b, t0.Add(time.Minute))
			}
			p := newPending()
			after := t0.Add(3 * time.Minute).UnixMilli()
			for range 3 {
				b.drainInto(p, after)
			}
			if !late.dropped.Load() {
				t.Fatal("three drains after its minute, the minute is still kept")
			}

			late.successful.Add(1)
			k.handBack(b, late)
			b.drainInto(p, after)
			b.drainInto(p, after)

			var got int64
			for _, u := range p.m {
				if u.At.Millis() == t0.UnixMilli() {
					got += u.Successful
				}
			}
			if got != 2 {
				t.Fatalf("minute %v counted %d successes, want 2 (the late one handed back once)", t0, got)
			}
		})
	}
}
