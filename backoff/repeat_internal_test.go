package backoff

import (
	"context"
	"slices"
	"testing"
	"time"
)

// After a call that made progress the pause starts over from Base; each
// failure since doubles it.
func TestRepeatPauses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := Policy{Base: 100 * time.Millisecond, Max: 500 * time.Millisecond}
	progress := []bool{false, false, true, false, false, false, false, true, true}
	var pauses []time.Duration
	call := 0
	p.repeat(ctx, func(context.Context) bool {
		ok := progress[call]
		call++
		if call == len(progress) {
			cancel()
		}
		return ok
	}, func(_ context.Context, d time.Duration) bool {
		pauses = append(pauses, d)
		return ctx.Err() == nil
	})
	ms := time.Millisecond
	want := []time.Duration{100 * ms, 200 * ms, 100 * ms, 200 * ms, 400 * ms, 500 * ms, 500 * ms, 100 * ms, 100 * ms}
	if !slices.Equal(pauses, want) {
		t.Errorf("pauses %v, want %v", pauses, want)
	}
}
