//go:build race

package main

// Under the race detector, which slows the nodes too, latency bounds are
// logged, not checked.
const raceEnabled = true
