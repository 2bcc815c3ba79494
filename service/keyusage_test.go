package service_test

import (
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
)

// KeyUsage is one key's periods, found by internal id: another key's
// usage in the same project is not in it, a key without usage has no
// periods, and the window is checked as the other analytics operations
// check it.
func TestKeyUsage(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		admin, a := h.founder(t, h.email("admin"))
		p := h.project(t, admin, a)
		k, other, idle := h.apiKey(t, admin, p.ID), h.apiKey(t, admin, p.ID), h.apiKey(t, admin, p.ID)
		now := h.clock.Now().UTC()
		hour := now.Truncate(time.Hour)
		use := func(key *keyway.APIKey, at time.Time, ok, failed, limited int64) keyway.Usage {
			return keyway.Usage{KeyID: key.ID, ProjectID: p.ID, AccountID: a, At: keyway.NewTime(at.Truncate(time.Minute)),
				Successful: ok, Failed: failed, RateLimited: limited}
		}
		must(t, h.store.RecordUsage(h.ctx, keyway.UsageChunk{ID: "chunk-keyusage", At: keyway.NewTime(now), Rows: []keyway.Usage{
			use(k, hour.Add(-2*time.Hour), 3, 1, 0),
			use(k, hour.Add(5*time.Minute), 2, 0, 4),
			use(other, hour, 100, 100, 100),
		}}))
		q := service.AnalyticsQuery{DateGrouping: "hour", From: hour.Add(-24 * time.Hour).Format(time.RFC3339), To: hour.Add(time.Hour).Format(time.RFC3339)}
		got, err := h.svc.KeyUsage(h.ctx, admin, k.ID, q)
		must(t, err)
		if got.ID != k.ID || got.Name != k.Name || got.Total != (keyway.Totals{Successful: 5, Failed: 1, RateLimited: 4, Total: 10}) || len(got.Periods) != 2 ||
			!got.Periods[0].Period.Equal(hour.Add(-2*time.Hour)) || got.Periods[1].Total != 6 {
			t.Fatalf("by hour: %+v", got)
		}
		q.DateGrouping = "day"
		got, err = h.svc.KeyUsage(h.ctx, admin, k.ID, q)
		must(t, err)
		if got.Total.Total != 10 {
			t.Fatalf("by day: %+v", got)
		}
		got, err = h.svc.KeyUsage(h.ctx, admin, idle.ID, q)
		must(t, err)
		if got.Total.Total != 0 || got.Periods == nil || len(got.Periods) != 0 || got.ID != idle.ID {
			t.Fatalf("a key without usage: %+v", got)
		}
		// The project id of the query is not what is read.
		q.ProjectID = h.project(t, admin, a).ID
		if got, err = h.svc.KeyUsage(h.ctx, admin, k.ID, q); err != nil || got.Total.Total != 10 {
			t.Fatalf("with another project named: %+v %v", got, err)
		}
		for _, bad := range []service.AnalyticsQuery{
			{DateGrouping: "year"},
			{DateGrouping: ""},
			{DateGrouping: "day", From: "yesterday"},
			{DateGrouping: "day", From: q.To, To: q.From},
		} {
			if _, err := h.svc.KeyUsage(h.ctx, admin, k.ID, bad); keyway.ErrorCode(err) != keyway.CodeInvalid {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
		// The analytics of the project say the same, and rank the keys.
		totals, _, err := h.svc.APIKeyTotals(h.ctx, admin, service.AnalyticsQuery{ProjectID: p.ID, DateGrouping: "day", From: q.From, To: q.To})
		must(t, err)
		if len(totals.Keys) != 2 || totals.Keys[0].ID != other.ID || totals.Keys[1].ID != k.ID || totals.Keys[1].Total.Total != 10 {
			t.Fatalf("api key totals: %+v", totals.Keys)
		}
	})
}
