package keyway

import (
	"context"
	"time"
)

// RateLimit is a fixed-window limit: at most Limit successful calls per TTL
// seconds, the window starting at its first hit.
type RateLimit struct {
	RateLimit    int `json:"rateLimit"`
	RateLimitTTL int `json:"rateLimitTtl"`
}

func (p *problems) rateLimit(v *RateLimit) {
	if v == nil {
		return
	}
	if v.RateLimit < 1 {
		p.add("rateLimitConfigs.rateLimit must be a positive integer")
	}
	if v.RateLimitTTL < 1 || v.RateLimitTTL > MaxRateLimitTTL {
		p.add("rateLimitConfigs.rateLimitTtl must be a whole number of seconds between 1 and %d", MaxRateLimitTTL)
	}
}

// RateResult is the state of one fixed window after a Take or Peek.
type RateResult struct {
	Allowed  bool
	Limit    int
	Consumed int
	// Reset is when the current window ends.
	Reset time.Time
}

// Remaining is how many calls the window still allows.
func (r RateResult) Remaining() int { return max(r.Limit-r.Consumed, 0) }

// RateLimiter counts calls in fixed windows that start at their first hit.
// Only allowed calls consume the window. The bucket id is a digest so the
// limiter never holds a secret.
type RateLimiter interface {
	// Take consumes one call if the window allows it.
	Take(ctx context.Context, bucket [32]byte, l RateLimit, now time.Time) (RateResult, error)
	// Peek reports the window without consuming it.
	Peek(ctx context.Context, bucket [32]byte, l RateLimit, now time.Time) (RateResult, error)
}
