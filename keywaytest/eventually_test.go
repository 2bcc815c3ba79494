package keywaytest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway/keywaytest"
)

// Poll, which every wait of the tests goes through, ends on the first of
// its three outcomes and says which.
func TestPollOutcomes(t *testing.T) {
	n := 0
	at, err := keywaytest.Poll{}.Until("the third try", func() (bool, string, error) {
		n++
		return n == 3, "", nil
	})
	if err != nil || n != 3 || at.IsZero() {
		t.Fatalf("held on try 3: err %v after %d tries, at %v", err, n, at)
	}

	refused := errors.New("a 500")
	_, err = keywaytest.Poll{}.Until("an answer", func() (bool, string, error) { return false, "", refused })
	if !errors.Is(err, refused) || errors.Is(err, keywaytest.ErrTimeout) {
		t.Fatalf("an error ends the wait as itself: %v", err)
	}

	start := time.Now()
	_, err = keywaytest.Poll{Timeout: 30 * time.Millisecond}.Until("never", func() (bool, string, error) { return false, "still no", nil })
	if !errors.Is(err, keywaytest.ErrTimeout) || !strings.Contains(err.Error(), "waiting for never; last seen: still no") {
		t.Fatalf("timeout: %v", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("gave up after %v, before its timeout", d)
	}
}
