//go:build race

package app_test

// raceEnabled: the race detector slows requests about tenfold, so
// FuzzOperations runs its short seed set under it (the full set runs
// without it).
const raceEnabled = true
