//go:build !race

package verify_test

import "time"

const (
	raceEnabled = false
	// chunkTimeout is the default.
	chunkTimeout = 30 * time.Second
	// unknownFlood is how many unknown keys TestUnknownKeyFlood sends.
	unknownFlood = 1_000_000
	scaleKeys    = 150_000
)
