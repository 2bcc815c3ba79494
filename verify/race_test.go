//go:build race

package verify_test

import "time"

// Under the race detector, which slows this code about tenfold, the scale
// tests check the same paths with fewer keys, no time limit and a chunk
// timeout stretched to match.
const (
	raceEnabled  = true
	chunkTimeout = time.Minute
	scaleKeys    = 20_000
	unknownFlood = 100_000
)
