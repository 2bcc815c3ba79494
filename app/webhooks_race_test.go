package app_test

import (
	"fmt"
	"testing"

	"github.com/keywayhq/keyway"
)

// TestWebhookConcurrentWrites: writes to one webhook that race each other
// all take effect. A DELETE answered `true` stays deleted whatever PATCH
// ran at the same time, and two PATCHes of different fields both apply.
func TestWebhookConcurrentWrites(t *testing.T) {
	const pairs = 100
	forEachServer(t, func(t *testing.T, s *server) {
		rcv := newReceiver(t)
		hooks := func() []string {
			ids := make([]string, pairs)
			for i := range ids {
				ids[i] = s.newWebhook(t, rcv.URL, []string{keyway.TopicAPIKeyCreated}, map[string]any{"name": fmt.Sprint("hook ", i)}).ID
			}
			return ids
		}
		t.Run("delete and patch", func(t *testing.T) {
			s := s.withT(t)
			ids := hooks()
			out := race(ids,
				func(id string) int { return s.call("DELETE", "/webhooks/"+id, nil).Status },
				func(id string) int { return s.call("PATCH", "/webhooks/"+id, map[string]any{"name": "renamed"}).Status })
			var alive []string
			for i, id := range ids {
				if out[i][0] != 200 {
					t.Fatalf("DELETE /webhooks/%s: %d", id, out[i][0])
				}
				if p := out[i][1]; p != 200 && p != 404 {
					t.Fatalf("PATCH /webhooks/%s: %d, want 200 or 404", id, p)
				}
				if st := s.call("GET", "/webhooks/"+id, nil).Status; st != 404 {
					alive = append(alive, fmt.Sprintf("%s (GET %d)", id, st))
				}
			}
			var listed []keyway.Webhook
			s.call("GET", "/webhooks", nil).want(t, 200).decode(t, &listed)
			if len(alive) > 0 || len(listed) > 0 {
				t.Fatalf("%d of %d webhooks deleted (DELETE answered true) while a PATCH ran are alive again, %d listed; e.g. %v",
					len(alive), pairs, len(listed), alive[:min(3, len(alive))])
			}
		})

		t.Run("patches of different fields", func(t *testing.T) {
			s := s.withT(t)
			ids := hooks()
			race(ids,
				func(id string) int {
					return s.call("PATCH", "/webhooks/"+id, map[string]any{"name": "renamed"}).want(t, 200).Status
				},
				func(id string) int {
					return s.call("PATCH", "/webhooks/"+id, map[string]any{"status": "paused"}).want(t, 200).Status
				})
			lost := 0
			for _, id := range ids {
				var w keyway.Webhook
				s.call("GET", "/webhooks/"+id, nil).want(t, 200).decode(t, &w)
				if w.Name != "renamed" || w.Status != keyway.WebhookPaused {
					lost++
				}
			}
			if lost > 0 {
				t.Fatalf("%d of %d webhooks lost one of two concurrent PATCHes (both answered 200)", lost, pairs)
			}
		})
	})
}
