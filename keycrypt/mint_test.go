package keycrypt

import (
	"regexp"
	"strings"
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

// A refresh token is recognisable by its form, and its digest is what the
// store keeps.
func TestRefreshTokens(t *testing.T) {
	tok, h := NewRefreshToken()
	if !strings.HasPrefix(tok, "rt_") || len(tok) != 51 {
		t.Fatalf("refresh token %q", tok)
	}
	got, err := RefreshDigest(tok)
	if err != nil || got != h {
		t.Fatalf("RefreshDigest = %x, %v", got, err)
	}
	tok2, h2 := NewRefreshToken()
	if tok2 == tok || h2 == h {
		t.Fatal("refresh tokens repeat")
	}
	for _, bad := range []string{"", "rt_short", "xx" + tok[2:], tok + "x"} {
		if _, err := RefreshDigest(bad); err != ErrNotRefreshToken {
			t.Errorf("RefreshDigest(%q) = %v", bad, err)
		}
	}
}
