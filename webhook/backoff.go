package webhook

import (
	"time"

	"github.com/keywayhq/keyway/backoff"
)

// Backoff spaces the retries of a failed delivery. Attempt 1 is the first
// retry; the first delivery is not delayed. A delivery is sent at most
// 1+MaxAttempts times.
type Backoff struct {
	// Base is the delay before the first retry; it doubles for each later one.
	Base time.Duration
	// Max caps a single delay; zero or negative means no cap.
	Max time.Duration
	// MaxAttempts is the number of retries before a delivery is given up.
	MaxAttempts int
}

// RetryWindow is how long a delivery is retried when no number of
// attempts is configured: about a day, long enough to outlast a
// receiver's bad deploy or a weekend.
const RetryWindow = 24 * time.Hour

// policy jitters equally, so that deliveries that failed together (a
// receiver down) do not all retry together.
func (b Backoff) policy() backoff.Policy {
	return backoff.Policy{Base: b.Base, Max: b.Max, Jitter: backoff.Equal}
}

// AttemptsFor returns the number of retries whose jitter-free delays add up
// to at least total: how many to allow so that retrying lasts that long.
// With jitter the real span is between half of that and all of it.
func AttemptsFor(base, maxDelay, total time.Duration) int {
	return backoff.Policy{Base: base, Max: maxDelay}.Attempts(total)
}
