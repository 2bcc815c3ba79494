package keycrypt

import (
	"regexp"
	"testing"
)

func TestNewIDIncreases(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	prev := NewID()
	// More than one millisecond's worth of counter, to cross the rollover.
	for range 10000 {
		id := NewID()
		if !shape.MatchString(id) {
			t.Fatalf("%q is not a UUIDv7", id)
		}
		if id <= prev {
			t.Fatalf("ids not increasing: %s after %s", id, prev)
		}
		prev = id
	}
}
