//go:build !race

package verify_test

import "time"

const (
	raceEnabled = false
	// chunkTimeout is the default.
	chunkTimeout = 30 * time.Second
	scaleKeys    = 150_000
)
