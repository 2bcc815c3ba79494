package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/sqlstore"
)

// TestOffsetCap pages through a project holding a page more than
// sqlstore.MaxOffset keys: offsets up to the cap answer the right rows,
// deeper ones are refused with a pointer to the cursor, and offset and
// cursor pages list the same rows in the same order.
func TestOffsetCap(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		const total = sqlstore.MaxOffset + 50
		p, want := seedPagingKeys(t, s, total)
		list := func(t *testing.T, page keyway.Page) ([]*keyway.APIKey, string, error) {
			t.Helper()
			return s.APIKeys(ctx, keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true, Page: page})
		}
		mustList := func(t *testing.T, page keyway.Page) []*keyway.APIKey {
			t.Helper()
			ks, next, err := list(t, page)
			check(t, err)
			if page.Cursor == nil && next != "" {
				t.Fatalf("offset page returned cursor %q", next)
			}
			return ks
		}

		t.Run("up to the cap", func(t *testing.T) {
			for _, tc := range []struct{ limit, offset, from, to int }{
				{100, sqlstore.MaxOffset, sqlstore.MaxOffset, total},
				{100, sqlstore.MaxOffset - 30, sqlstore.MaxOffset - 30, sqlstore.MaxOffset + 50},
				{10, sqlstore.MaxOffset - 10, sqlstore.MaxOffset - 10, sqlstore.MaxOffset},
				{5, 1, 1, 6},
				// Negative offsets still read from the start.
				{5, -5, 0, 5},
			} {
				got := mustList(t, keyway.Page{Limit: tc.limit, Offset: tc.offset})
				mustEqual(t, fmt.Sprintf("limit %d offset %d", tc.limit, tc.offset), keysOf(got), keysOf(want[tc.from:tc.to]))
			}
		})

		t.Run("beyond the cap", func(t *testing.T) {
			for _, offset := range []int{sqlstore.MaxOffset + 1, 99_900, 1 << 40} {
				_, _, err := list(t, keyway.Page{Limit: 100, Offset: offset})
				mustCode(t, err, keyway.CodeInvalid)
				msg := strings.Join(keyway.AsError(err).Details, " ")
				for _, part := range []string{"offset", fmt.Sprint(sqlstore.MaxOffset), "cursor=", "x-next-cursor"} {
					if !strings.Contains(msg, part) {
						t.Fatalf("offset %d: message %q does not mention %q", offset, msg, part)
					}
				}
			}
			// A cursor page ignores the offset, as before.
			first := ""
			got := mustList(t, keyway.Page{Limit: 3, Offset: 99_900, Cursor: &first})
			mustEqual(t, "cursor page with a deep offset", keysOf(got), keysOf(want[:3]))
		})

		t.Run("offset and cursor pages agree", func(t *testing.T) {
			const limit = keyway.MaxPageLimit
			var byOffset []*keyway.APIKey
			for offset := 0; offset <= sqlstore.MaxOffset; offset += limit {
				byOffset = append(byOffset, mustList(t, keyway.Page{Limit: limit, Offset: offset})...)
			}
			var byCursor []*keyway.APIKey
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > total/limit+1 {
					t.Fatal("cursor pagination does not end")
				}
				ks, next, err := list(t, keyway.Page{Limit: limit, Cursor: &cursor})
				check(t, err)
				byCursor = append(byCursor, ks...)
				if next == "" {
					break
				}
				cursor = next
			}
			seen := make(map[string]bool, len(byCursor))
			for _, k := range byCursor {
				if seen[k.ID] {
					t.Fatalf("key %s listed twice by cursor", k.ID)
				}
				seen[k.ID] = true
			}
			mustEqual(t, "keys paged by cursor", keysOf(byCursor), keysOf(want))
			mustEqual(t, "keys paged by offset", keysOf(byOffset), keysOf(want))
		})
	})
}

// TestOffsetOtherLists checks that the cap and offset pages behave alike on
// lists other than API keys, which sort and filter differently: oldest
// first with a filter outside the index (projects), ties broken by a hash
// rather than an id (access keys), a subquery among the conditions
// (webhooks by topic). Every offset page must be a slice of the full list.
func TestOffsetOtherLists(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		var keep []string
		for i, n := range []int{1, 2, 2, 2, 3, 4, 4} {
			p := newProject(t, s, a.ID, at(n))
			if i == 3 {
				p.IsActive = false
				check(t, s.UpdateProject(ctx, p))
			}
			check(t, s.CreateAccessKey(ctx, &keyway.AccessKey{Key: keyway.AccessKeySecret(keycrypt.NewKey("ak_")), Name: "k", AccountID: a.ID, IsActive: true, CreatedAt: at(n), UpdatedAt: at(n)}))
			topic := keyway.TopicAPIKeyCreated
			if i%2 == 1 {
				topic = keyway.TopicAPIKeyDeleted
			}
			w := newWebhook(t, s, a.ID, nil, keyway.WebhookLive, topic)
			if topic == keyway.TopicAPIKeyCreated {
				keep = append(keep, w.ID)
			}
		}

		lists := []struct {
			name string
			ids  func(page keyway.Page) ([]string, error)
			want int
		}{
			{"projects", func(page keyway.Page) ([]string, error) {
				ps, _, err := s.Projects(ctx, a.ID, page)
				ids := make([]string, len(ps))
				for i, p := range ps {
					ids[i] = p.ID
				}
				return ids, err
			}, 6},
			{"access keys", func(page keyway.Page) ([]string, error) {
				ks, _, err := s.AccessKeys(ctx, a.ID, "", nil, page)
				ids := make([]string, len(ks))
				for i, k := range ks {
					ids[i] = k.Key.Reveal()
				}
				return ids, err
			}, 7},
			{"webhooks by topic", func(page keyway.Page) ([]string, error) {
				ws, _, err := s.Webhooks(ctx, keyway.WebhookFilter{AccountID: a.ID, Topic: keyway.TopicAPIKeyCreated, Page: page})
				ids := make([]string, len(ws))
				for i, w := range ws {
					ids[i] = w.ID
				}
				return ids, err
			}, len(keep)},
		}
		for _, l := range lists {
			all, err := l.ids(keyway.Page{})
			check(t, err)
			if len(all) != l.want {
				t.Fatalf("%s: %d in the full list, want %d", l.name, len(all), l.want)
			}
			for offset := 0; offset <= len(all); offset++ {
				for _, limit := range []int{1, 2, 3} {
					got, err := l.ids(keyway.Page{Limit: limit, Offset: offset})
					check(t, err)
					mustEqual(t, fmt.Sprintf("%s limit %d offset %d", l.name, limit, offset), got, all[offset:min(offset+limit, len(all))])
				}
			}
			_, err = l.ids(keyway.Page{Limit: 1, Offset: sqlstore.MaxOffset + 1})
			mustCode(t, err, keyway.CodeInvalid)
		}
	})
}
