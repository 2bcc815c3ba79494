package service

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
)

// Analytics windows: the last 30 days unless told, at most 400 days.
const (
	defaultAnalyticsWindow = 30 * 24 * time.Hour
	maxAnalyticsWindow     = 400 * 24 * time.Hour
)

// AnalyticsQuery is the query of the analytics operations.
type AnalyticsQuery struct {
	ProjectID    string
	DateGrouping string
	From, To     string
	keyway.Page
}

// window is a checked analytics query: buckets whose start is in
// [from, to), read at level and gathered into periods by period.
type window struct {
	project  *keyway.Project
	grouping string
	from, to time.Time
	level    keyway.UsageLevel
}

// period is the start of the period (UTC) a bucket belongs to.
func (w *window) period(at time.Time) time.Time {
	at = at.UTC()
	switch w.grouping {
	case "week":
		// ISO weeks start on Monday.
		day := at.Truncate(24 * time.Hour)
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "month":
		return time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	default:
		return at
	}
}

func (s *Service) analyticsWindow(ctx context.Context, c *keyway.Caller, q AnalyticsQuery) (*window, error) {
	var p []string
	w := &window{grouping: q.DateGrouping, level: keyway.UsageByDay}
	switch q.DateGrouping {
	case "hour":
		w.level = keyway.UsageByHour
	case "day", "week", "month":
	default:
		// REST refuses other values before calling; the dashboard and any
		// other caller get the same answer here.
		p = append(p, "dateGrouping must be one of hour, day, week, month")
	}
	now := s.clock.Now().UTC()
	w.to = now
	if q.To != "" {
		t, err := keyway.ParseTime(q.To)
		if err != nil {
			p = append(p, "to must be an ISO 8601 date-time")
		}
		w.to = t.Time.UTC()
	}
	w.from = w.to.Add(-defaultAnalyticsWindow).Truncate(24 * time.Hour)
	if q.From != "" {
		t, err := keyway.ParseTime(q.From)
		if err != nil {
			p = append(p, "from must be an ISO 8601 date-time")
		}
		w.from = t.Time.UTC()
	}
	if len(p) == 0 {
		switch {
		case !w.from.Before(w.to):
			p = append(p, "from must be before to")
		case w.to.Sub(w.from) > maxAnalyticsWindow:
			p = append(p, "from and to must be at most 400 days apart")
		}
	}
	if len(p) > 0 {
		return nil, keyway.Invalid(p...)
	}
	pr, err := s.namedProject(ctx, c, q.ProjectID)
	if err != nil {
		return nil, err
	}
	w.project = pr
	return w, nil
}

// periods gathers buckets into sorted periods, leaving out empty ones.
func (w *window) periods(rows []keyway.UsageRow) (keyway.Totals, []keyway.PeriodTotals) {
	var total keyway.Totals
	out := []keyway.PeriodTotals{}
	for _, r := range rows {
		total.Add(r.Successful, r.Failed, r.RateLimited)
		at := w.period(r.At)
		if n := len(out); n > 0 && out[n-1].Period.Equal(at) {
			out[n-1].Add(r.Successful, r.Failed, r.RateLimited)
			continue
		}
		pt := keyway.PeriodTotals{Period: keyway.NewTime(at)}
		pt.Add(r.Successful, r.Failed, r.RateLimited)
		out = append(out, pt)
	}
	return total, out
}

// ProjectTotals is GET /analytics/project-totals.
func (s *Service) ProjectTotals(ctx context.Context, c *keyway.Caller, q AnalyticsQuery) (*keyway.ProjectTotals, error) {
	us := s.usageStore
	w, err := s.analyticsWindow(ctx, c, q)
	if err != nil {
		return nil, err
	}
	rows, err := us.ProjectUsage(ctx, w.level, w.project.ID, w.from, w.to)
	if err != nil {
		return nil, err
	}
	total, periods := w.periods(rows)
	return &keyway.ProjectTotals{ProjectID: w.project.ID, DateGrouping: w.grouping, From: keyway.NewTime(w.from), To: keyway.NewTime(w.to),
		Total: total, Periods: periods}, nil
}

// APIKeyTotals is GET /analytics/api-key-totals: the keys that had usage in
// the window, revoked ones included, most used first, one page of them.
func (s *Service) APIKeyTotals(ctx context.Context, c *keyway.Caller, q AnalyticsQuery) (*keyway.APIKeyTotals, string, error) {
	us := s.usageStore
	w, err := s.analyticsWindow(ctx, c, q)
	if err != nil {
		return nil, "", err
	}
	keys, next, err := s.keyTotals(ctx, us, w, q.Page)
	if err != nil {
		return nil, "", err
	}
	out := &keyway.APIKeyTotals{ProjectID: w.project.ID, DateGrouping: w.grouping, From: keyway.NewTime(w.from), To: keyway.NewTime(w.to), Keys: []keyway.KeyTotals{}}
	for _, k := range keys {
		out.Keys = append(out.Keys, k.KeyTotals)
	}
	return out, next, nil
}

// keyTotal is a key's totals with the key itself, for export.
type keyTotal struct {
	keyway.KeyTotals
	key *keyway.APIKey
}

func (s *Service) keyTotals(ctx context.Context, us keyway.UsageStore, w *window, page keyway.Page) ([]keyTotal, string, error) {
	ranked, next, err := s.keyRanks.page(ctx, w.level, w.project.ID, w.from, w.to, page)
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, len(ranked))
	for i, r := range ranked {
		ids[i] = r.KeyID
	}
	out, err := s.keysTotals(ctx, us, w, ids)
	return out, next, err
}

// keysTotals reads the periods of some keys, in the order given.
func (s *Service) keysTotals(ctx context.Context, us keyway.UsageStore, w *window, ids []string) ([]keyTotal, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := us.KeysUsage(ctx, w.level, w.project.ID, ids, w.from, w.to)
	if err != nil {
		return nil, err
	}
	keys, err := s.store.APIKeysByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*keyway.APIKey, len(keys))
	for _, k := range keys {
		byID[k.ID] = k
	}
	out := make([]keyTotal, 0, len(ids))
	for _, id := range ids {
		k := byID[id]
		if k == nil {
			continue
		}
		// Rows come sorted by key, then time.
		lo, _ := slices.BinarySearchFunc(rows, id, func(row keyway.UsageRow, id string) int { return strings.Compare(row.KeyID, id) })
		hi := lo
		for hi < len(rows) && rows[hi].KeyID == id {
			hi++
		}
		total, periods := w.periods(rows[lo:hi])
		out = append(out, keyTotal{KeyTotals: keyway.KeyTotals{ID: k.ID, Key: k.Key, Name: k.Name, Total: total, Periods: periods}, key: k})
	}
	return out, nil
}

// KeyUsage is one key's totals per period in the window, for the key's page
// in the dashboard, which names keys by internal id (the key string is a
// secret and never goes in a URL). The key is found as APIKeyByID finds it
// (a key the caller cannot see is not found); q.ProjectID is ignored, the
// window is read in the key's own project with the role the other
// analytics operations need. A key without usage has no periods.
func (s *Service) KeyUsage(ctx context.Context, c *keyway.Caller, id string, q AnalyticsQuery) (*keyway.KeyTotals, error) {
	k, err := s.APIKeyByID(ctx, c, id)
	if err != nil {
		return nil, err
	}
	q.ProjectID = k.ProjectID
	w, err := s.analyticsWindow(ctx, c, q)
	if err != nil {
		return nil, err
	}
	keys, err := s.keysTotals(ctx, s.usageStore, w, []string{k.ID})
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return &keyway.KeyTotals{ID: k.ID, Key: k.Key, Name: k.Name, Periods: []keyway.PeriodTotals{}}, nil
	}
	return &keys[0].KeyTotals, nil
}

// ExportHeader is the first row of the usage export.
var ExportHeader = []string{"projectId", "key", "name", "customAccountId", "customUserId", "period", "successful", "failed", "rateLimited", "total"}

// ExportUsage is GET /analytics/export: one CSV row per key and period,
// most used keys first. The keys are ranked once, before the answer starts
// (so a failing store is still a clean error status), then read a
// thousand at a time as rows are written.
func (s *Service) ExportUsage(ctx context.Context, c *keyway.Caller, q AnalyticsQuery) (func(write func(row []string) error) error, error) {
	us := s.usageStore
	w, err := s.analyticsWindow(ctx, c, q)
	if err != nil {
		return nil, err
	}
	ranked, err := s.keyRanks.rank(ctx, w.level, w.project.ID, w.from, w.to, 0)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ranked))
	for i, k := range ranked {
		ids[i] = k.KeyID
	}
	return func(write func(row []string) error) error {
		for batch := range slices.Chunk(ids, keyway.MaxPageLimit) {
			keys, err := s.keysTotals(ctx, us, w, batch)
			if err != nil {
				return err
			}
			for _, k := range keys {
				for _, p := range k.Periods {
					if err := write([]string{w.project.ID, k.Key.Reveal(), k.Name, deref(k.key.CustomAccountID), deref(k.key.CustomUserID), p.Period.String(),
						strconv.FormatInt(p.Successful, 10), strconv.FormatInt(p.Failed, 10), strconv.FormatInt(p.RateLimited, 10), strconv.FormatInt(p.Total, 10)}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
