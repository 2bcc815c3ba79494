package app_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/keywayhq/keyway"
)

// race runs first and second on each id at the same moment, a few ids at a
// time, and returns their statuses.
func race(ids []string, first, second func(id string) int) [][2]int {
	out := make([][2]int, len(ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, id := range ids {
		sem <- struct{}{}
		start := make(chan struct{})
		wg.Go(func() { <-start; out[i][0] = first(id) })
		wg.Go(func() { <-start; out[i][1] = second(id); <-sem })
		close(start)
	}
	wg.Wait()
	return out
}

// A revocation answered `true` stays revoked whatever update raced it, and
// two updates of different fields both apply: no write undoes another.
func TestAPIKeyConcurrentWrites(t *testing.T) {
	const pairs = 50
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		keys := func() []string {
			out := make([]string, pairs)
			for i := range out {
				out[i] = s.newKey(p.ID, map[string]any{"name": fmt.Sprint("k", i)}).Key.Reveal()
			}
			return out
		}

		t.Run("revoke and update", func(t *testing.T) {
			s := s.withT(t)
			ks := keys()
			out := race(ks,
				func(k string) int { return s.call("DELETE", "/api-keys/"+k, nil).Status },
				func(k string) int { return s.call("PATCH", "/api-keys/"+k, map[string]any{"name": "renamed"}).Status })
			for i, k := range ks {
				if out[i][0] != 200 || (out[i][1] != 200 && out[i][1] != 404) {
					t.Fatalf("DELETE %d, PATCH %d", out[i][0], out[i][1])
				}
				if st := s.call("POST", "/api-keys/auth/"+k, nil).Status; st != 404 {
					t.Fatalf("a key revoked while an update ran verifies again (%d)", st)
				}
			}
		})

		t.Run("updates of different fields", func(t *testing.T) {
			s := s.withT(t)
			ks := keys()
			race(ks,
				func(k string) int {
					return s.call("PATCH", "/api-keys/"+k, map[string]any{"name": "renamed"}).want(t, 200).Status
				},
				func(k string) int {
					return s.call("PATCH", "/api-keys/"+k, map[string]any{"customUserId": "u1"}).want(t, 200).Status
				})
			for _, k := range ks {
				var got keyway.APIKey
				s.call("GET", "/api-keys/"+k, nil).want(t, 200).decode(t, &got)
				if got.Name != "renamed" || got.CustomUserID == nil || *got.CustomUserID != "u1" {
					t.Fatalf("one of two concurrent updates was lost: name %q, customUserId %v", got.Name, got.CustomUserID)
				}
			}
		})

		t.Run("project delete and rename", func(t *testing.T) {
			s := s.withT(t)
			ids := make([]string, 20)
			for i := range ids {
				ids[i] = s.newProject(fmt.Sprint("p", i), "live").ID
			}
			race(ids,
				func(id string) int { return s.call("DELETE", "/projects/"+id, nil).want(t, 200).Status },
				func(id string) int { return s.call("PATCH", "/projects/"+id, map[string]any{"name": "renamed"}).Status })
			for _, id := range ids {
				if st := s.call("GET", "/projects/"+id, nil).Status; st != 404 {
					t.Fatalf("a project deleted while a rename ran is back (%d)", st)
				}
			}
		})
	})
}
