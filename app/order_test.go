package app_test

import (
	"fmt"
	"testing"

	"github.com/keywayhq/keyway"
)

// Keys created within one millisecond (the injected clock stands still)
// still list newest first, in reverse creation order, on every page.
func TestSameMillisecondKeysListNewestFirst(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		var created []string
		for i := range 5 {
			created = append(created, s.newKey(p.ID, map[string]any{"name": fmt.Sprint("k", i)}).Key)
		}
		var listed []keyway.APIKey
		s.call("GET", "/api-keys?projectId="+p.ID, nil).want(t, 200).decode(t, &listed)
		if len(listed) != len(created) {
			t.Fatalf("listed %d keys, want %d", len(listed), len(created))
		}
		for i, k := range listed {
			if want := created[len(created)-1-i]; k.Key != want {
				t.Fatalf("position %d: %s, want %s (newest first)", i, k.Name, keyway.Fingerprint(want))
			}
		}
	})
}
