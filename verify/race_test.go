//go:build race

package verify_test

// Under the race detector, which slows this code about tenfold, the scale
// tests check the same paths with fewer keys and no time limit.
const (
	raceEnabled = true
	scaleKeys   = 20_000
)
