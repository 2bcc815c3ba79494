//go:build !race

package verify_test

const (
	raceEnabled = false
	scaleKeys   = 150_000
)
