package service_test

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
)

// The project's keys are ranked by total (successful + failed + rate
// limited) in the window, most used first, ties by key id, and paged by
// cursor and by offset without gaps or repeats; the export lists them in
// the same order. The totals of past buckets are kept between views, and
// stay exact: a late count in a past day, a count in the current day and
// a new day starting each show in the next view.
func TestAPIKeyTotalsRankAndPage(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		admin, a := h.founder(t, h.email("admin"))
		p := h.project(t, admin, a)
		today := h.clock.Now().UTC().Truncate(24 * time.Hour)
		chunks := 0
		record := func(rows ...keyway.Usage) {
			t.Helper()
			chunks++
			must(t, h.store.RecordUsage(h.ctx, keyway.UsageChunk{ID: fmt.Sprint("ranks-", chunks), At: keyway.NewTime(h.clock.Now()), Rows: rows}))
		}
		use := func(k *keyway.APIKey, at time.Time, ok, failed, limited int64) keyway.Usage {
			return keyway.Usage{KeyID: k.ID, ProjectID: p.ID, AccountID: a, At: keyway.NewTime(at), Successful: ok, Failed: failed, RateLimited: limited}
		}
		totals := []int64{50, 40, 40, 40, 10, 5, 1}
		want := map[string]int64{}
		var keys []*keyway.APIKey
		var rows []keyway.Usage
		for i, n := range totals {
			k := h.apiKey(t, admin, p.ID)
			keys = append(keys, k)
			// Two days ago, yesterday and today, all three outcomes.
			rows = append(rows, use(k, today.AddDate(0, 0, -2).Add(time.Duration(i)*time.Hour), n/2, 0, 0),
				use(k, today.AddDate(0, 0, -1), 0, n/4, 0), use(k, today.Add(time.Minute), 0, 0, n-n/2-n/4),
				// Outside the window.
				use(k, today.AddDate(0, 0, -4), 1000, 0, 0))
			want[k.ID] = n
		}
		// A busier key of another project.
		q2 := h.project(t, admin, a)
		busy := h.apiKey(t, admin, q2.ID)
		rows = append(rows, keyway.Usage{KeyID: busy.ID, ProjectID: q2.ID, AccountID: a, At: keyway.NewTime(today), Successful: 10_000})
		record(rows...)

		q := service.AnalyticsQuery{ProjectID: p.ID, DateGrouping: "day",
			From: today.AddDate(0, 0, -3).Format(time.RFC3339), To: today.AddDate(0, 0, 1).Format(time.RFC3339)}
		ranking := func() []string {
			ids := make([]string, 0, len(want))
			for id := range want {
				ids = append(ids, id)
			}
			slices.SortFunc(ids, func(x, y string) int { return cmp.Or(cmp.Compare(want[y], want[x]), strings.Compare(x, y)) })
			return ids
		}
		check := func(what string) {
			t.Helper()
			for _, grouping := range []string{"day", "hour", "week"} {
				q := q
				q.DateGrouping = grouping
				got, next, err := h.svc.APIKeyTotals(h.ctx, admin, q)
				must(t, err)
				var ids []string
				for _, k := range got.Keys {
					ids = append(ids, k.ID)
					if k.Total.Total != want[k.ID] {
						t.Errorf("%s, by %s: %s has %d, want %d", what, grouping, k.Name, k.Total.Total, want[k.ID])
					}
				}
				if !slices.Equal(ids, ranking()) || next != "" {
					t.Fatalf("%s, by %s: ranked %v (next %q), want %v", what, grouping, ids, next, ranking())
				}
			}
		}
		check("recorded")
		check("again, from what was kept")

		// Cursor pages of 3: 3, 3, 1; then offsets; a bad cursor.
		var paged []string
		cursor := ""
		for pages := 1; ; pages++ {
			c := cursor
			q := q
			q.Page = keyway.Page{Limit: 3, Cursor: &c}
			got, next, err := h.svc.APIKeyTotals(h.ctx, admin, q)
			must(t, err)
			for _, k := range got.Keys {
				paged = append(paged, k.ID)
			}
			if next == "" {
				if pages != 3 {
					t.Errorf("%d cursor pages of 3 for 7 keys, want 3", pages)
				}
				break
			}
			if len(got.Keys) != 3 || pages > 3 {
				t.Fatalf("page %d of %d keys with a next cursor", pages, len(got.Keys))
			}
			cursor = next
		}
		if !slices.Equal(paged, ranking()) {
			t.Fatalf("cursor pages %v, want %v", paged, ranking())
		}
		all := len(want)
		for _, c := range []struct {
			page keyway.Page
			want []string
		}{
			{keyway.Page{Limit: 2, Offset: 4}, ranking()[4:6]},
			{keyway.Page{Limit: 2, Offset: 99}, nil},
			{keyway.Page{Limit: 2, Offset: math.MaxInt}, nil},
			{keyway.Page{Limit: 2, Cursor: ptr(strconv.Itoa(math.MaxInt - 1))}, nil},
			{keyway.Page{Limit: all, Cursor: new(string)}, ranking()},
		} {
			q := q
			q.Page = c.page
			got, next, err := h.svc.APIKeyTotals(h.ctx, admin, q)
			must(t, err)
			var ids []string
			for _, k := range got.Keys {
				ids = append(ids, k.ID)
			}
			if !slices.Equal(ids, c.want) || next != "" {
				t.Errorf("page %+v: %v next %q, want %v and no next", c.page, ids, next, c.want)
			}
		}
		bad := "not-a-cursor"
		q.Page = keyway.Page{Cursor: &bad}
		if _, _, err := h.svc.APIKeyTotals(h.ctx, admin, q); keyway.ErrorCode(err) != keyway.CodeInvalid {
			t.Errorf("a malformed cursor: %v, want invalid", err)
		}
		q.Page = keyway.Page{}

		// The export ranks the same way.
		export, err := h.svc.ExportUsage(h.ctx, admin, q)
		must(t, err)
		var exported []string
		must(t, export(func(row []string) error {
			for _, k := range keys {
				if string(k.Key) == row[1] && !slices.Contains(exported, k.ID) {
					exported = append(exported, k.ID)
				}
			}
			return nil
		}))
		if !slices.Equal(exported, ranking()) {
			t.Fatalf("export order %v, want %v", exported, ranking())
		}

		// A late count in a past day: the least used key becomes the most.
		last := keys[len(keys)-1]
		record(use(last, today.AddDate(0, 0, -2), 100, 0, 0))
		want[last.ID] += 100
		check("after a late count two days ago")
		// A count today, the bucket still being counted.
		record(use(keys[4], today.Add(time.Hour), 0, 200, 0))
		want[keys[4].ID] += 200
		check("after a count today")
		// Tomorrow: today is a past day now, and tomorrow's counts show.
		h.clock.Advance(24 * time.Hour)
		q.To = today.AddDate(0, 0, 2).Format(time.RFC3339)
		record(use(keys[5], today.AddDate(0, 0, 1), 0, 0, 7))
		want[keys[5].ID] += 7
		check("the next day")
	})
}
