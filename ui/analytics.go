package ui

import (
	"cmp"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
)

// analyticsService is what the analytics pages and charts: project totals, most used keys, CSV export, a key's usage call.
type analyticsService interface {
	ProjectTotals(ctx context.Context, c *keyway.Caller, q service.AnalyticsQuery) (*keyway.ProjectTotals, error)
	APIKeyTotals(ctx context.Context, c *keyway.Caller, q service.AnalyticsQuery) (*keyway.APIKeyTotals, string, error)
	ExportUsage(ctx context.Context, c *keyway.Caller, q service.AnalyticsQuery) (func(write func(row []string) error) error, error)
	KeyUsage(ctx context.Context, c *keyway.Caller, id string, q service.AnalyticsQuery) (*keyway.KeyTotals, error)
}

// analyticsRoutes maps the analytics pages and charts: project totals, most used keys, CSV export, a key's usage.
func (h *handler) analyticsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/projects/{id}/analytics", h.private(h.analyticsPage))
	mux.HandleFunc("GET /ui/projects/{id}/analytics/export", h.private(h.exportUsage))
}

// Limits of the analytics page's range, in whole UTC days.
const (
	defaultAnalyticsDays = 30
	// maxHourDays keeps a chart by hour to about 750 bars; the service
	// allows more, which no chart can show.
	maxHourDays = 31
	// topKeys is how many of the most used keys one page lists.
	topKeys = 10
)

// groupings are the periods a chart can be grouped by, as the service
// names them, with what the form shows.
var groupings = []struct{ Value, Label string }{{"hour", "Hour"}, {"day", "Day"}, {"week", "Week"}, {"month", "Month"}}

// analyticsForm is the range form as typed: whole UTC days from From to
// To, both included, grouped by By.
type analyticsForm struct {
	By, From, To string
	// from and to are the service's window: [from, to+1 day).
	from, to time.Time
}

// query is the service's query of the form.
func (f analyticsForm) query(projectID string) service.AnalyticsQuery {
	return service.AnalyticsQuery{ProjectID: projectID, DateGrouping: f.By, From: f.from.Format(time.RFC3339), To: f.to.Format(time.RFC3339)}
}

// values is the form in a query string: ids and dates only.
func (f analyticsForm) values() url.Values {
	return url.Values{"by": {f.By}, "from": {f.From}, "to": {f.To}}
}

// readAnalyticsForm reads the range of a request, defaulting to the last
// 30 days by day, and says what is wrong with it in the form's own words.
func readAnalyticsForm(r *http.Request, now time.Time) (analyticsForm, error) {
	q := r.URL.Query()
	f := analyticsForm{By: strings.TrimSpace(q.Get("by")), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	today := now.UTC().Truncate(24 * time.Hour)
	if f.By == "" {
		f.By = "day"
	}
	if f.To == "" {
		f.To = today.Format(chartDateLayout)
	}
	if f.From == "" {
		to, err := time.Parse(chartDateLayout, f.To)
		if err != nil {
			to = today
		}
		f.From = to.AddDate(0, 0, 1-defaultAnalyticsDays).Format(chartDateLayout)
	}
	var problems []string
	known := false
	for _, g := range groupings {
		known = known || g.Value == f.By
	}
	if !known {
		problems = append(problems, "Group by must be hour, day, week or month.")
	}
	from, err1 := time.Parse(chartDateLayout, f.From)
	if err1 != nil {
		problems = append(problems, "From is not a date: use the form YYYY-MM-DD, e.g. "+today.Format(chartDateLayout)+".")
	}
	to, err2 := time.Parse(chartDateLayout, f.To)
	if err2 != nil {
		problems = append(problems, "To is not a date: use the form YYYY-MM-DD, e.g. "+today.Format(chartDateLayout)+".")
	}
	if err1 == nil && err2 == nil {
		switch days := int(to.Sub(from).Hours()/24) + 1; {
		case days < 1:
			problems = append(problems, "From must be on or before To: the range runs from the first day to the last, both included.")
		case f.By == "hour" && days > maxHourDays:
			problems = append(problems, "By hour shows at most 31 days at a time: choose a shorter range, or group by day.")
		}
	}
	if problems != nil {
		return f, keyway.Invalid(problems...)
	}
	f.from, f.to = from, to.AddDate(0, 0, 1)
	return f, nil
}

// analyticsData is a project's analytics page.
type analyticsData struct {
	Project   *keyway.Project
	Form      analyticsForm
	Groupings []struct{ Value, Label string }
	// Chart and Keys are nil when the form had a problem.
	Chart *chart
	Keys  []rankedKey
	// NextKeys and FirstKeys are the URLs of the next page of keys and
	// of the first.
	NextKeys, FirstKeys string
	// Export is the URL of the CSV export, "" for a role that may not
	// export.
	Export string
}

// rankedKey is one of the most used keys; Rank is 0 past the first page,
// whose cursor does not say how far down it starts.
type rankedKey struct {
	Rank int
	keyway.KeyTotals
}

// canExport is whether the caller may export a project's usage: the
// service lets every role in the project read its analytics, export
// included (it is REST's GET /analytics/export, key strings and all).
func canExport(c *keyway.Caller, p *keyway.Project) bool {
	return c.Can(keyway.RoleViewer, p.AccountID, p.ID)
}

func (h *handler) analyticsPage(w http.ResponseWriter, r *http.Request) {
	p, ok := h.project(w, r)
	if !ok {
		return
	}
	v := visitOf(r)
	f, err := readAnalyticsForm(r, h.clock.Now())
	if err != nil {
		h.showAnalytics(w, r, p, f, err)
		return
	}
	q := f.query(p.ID)
	totals, err := h.svc.ProjectTotals(r.Context(), v.Caller, q)
	if err != nil {
		h.showAnalytics(w, r, p, f, err)
		return
	}
	cursor := r.URL.Query().Get("keys")
	q.Page = keyway.Page{Limit: topKeys, Cursor: &cursor}
	// The table shows each key's total over the range only, which for
	// whole days the day buckets give exactly: ranking 10,000 keys over
	// hour buckets would cost more for the same numbers.
	q.DateGrouping = "day"
	keys, next, err := h.svc.APIKeyTotals(r.Context(), v.Caller, q)
	if err != nil {
		h.showAnalytics(w, r, p, f, err)
		return
	}
	base := "/ui/projects/" + url.PathEscape(p.ID) + "/analytics?"
	d := analyticsData{Project: p, Form: f, Groupings: groupings,
		Chart: newChart("project-usage", "Verifications of "+p.Name+" by "+f.By+", "+f.From+" to "+f.To+" (UTC)", f.By, f.from, f.to, totals.Periods)}
	for i, k := range keys.Keys {
		rk := rankedKey{KeyTotals: k}
		if cursor == "" {
			rk.Rank = i + 1
		}
		d.Keys = append(d.Keys, rk)
	}
	if cursor != "" {
		d.FirstKeys = base + f.values().Encode()
	}
	if next != "" {
		nv := f.values()
		nv.Set("keys", next)
		d.NextKeys = base + nv.Encode()
	}
	if canExport(v.Caller, p) {
		d.Export = "/ui/projects/" + url.PathEscape(p.ID) + "/analytics/export?" + f.values().Encode()
	}
	h.render(w, r, http.StatusOK, "analytics", &page{Title: "Analytics · " + p.Name, Data: d})
}

// showAnalytics shows the range form again with its problem (the status
// the API answers for it, a 400 for bad input), and no chart.
func (h *handler) showAnalytics(w http.ResponseWriter, r *http.Request, p *keyway.Project, f analyticsForm, err error) {
	st := status(err)
	if st != http.StatusBadRequest {
		h.fail(w, r, visitOf(r), err)
		return
	}
	h.render(w, r, st, "analytics", &page{Title: "Analytics · " + p.Name, Error: message(err),
		Data: analyticsData{Project: p, Form: f, Groupings: groupings}})
}

// exportUsage streams the service's usage export, the same CSV as REST's
// GET /analytics/export, as a download. Its URL holds ids and dates only.
func (h *handler) exportUsage(w http.ResponseWriter, r *http.Request) {
	p, ok := h.project(w, r)
	if !ok {
		return
	}
	v := visitOf(r)
	f, err := readAnalyticsForm(r, h.clock.Now())
	if err != nil {
		h.showAnalytics(w, r, p, f, err)
		return
	}
	rows, err := h.svc.ExportUsage(r.Context(), v.Caller, f.query(p.ID))
	if err != nil {
		h.showAnalytics(w, r, p, f, err)
		return
	}
	name := "keyway-usage-" + fileSafe(p.Name) + "-" + f.From + "-to-" + f.To + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	cw := csv.NewWriter(w)
	err = cw.Write(service.ExportHeader)
	if err == nil {
		err = rows(cw.Write)
	}
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil {
		// The status is sent: a failure midway must break the transfer,
		// never leave a CSV that merely looks short.
		if r.Context().Err() == nil {
			h.log.Error("ui: usage export aborted midway", "project", p.ID, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
}

// fileSafe is a name reduced to letters, digits and dashes, for a file name.
func fileSafe(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return cmp.Or(strings.TrimSuffix(b.String(), "-"), "project")
}

// keyUsageData is the usage section of a key's page: its chart by hour
// (the last 24 hours) and by day (the last 30 days), one shown and the
// other hidden; app.js switches between them, and without it the links
// ask for the page with ?by=hour or ?by=day.
type keyUsageData struct {
	Key       *keyway.APIKey
	By        string
	Hour, Day *chart
	// Error is why the usage cannot be shown (the key's project was
	// deleted, say); the rest of the page still is.
	Error string
}

// keyUsage is the key usage chart on a key's page (templates/_key_usage.html); nil shows nothing.
func (h *handler) keyUsage(r *http.Request, k *keyway.APIKey) any {
	d := &keyUsageData{Key: k, By: "hour"}
	if r.Method == http.MethodGet && r.URL.Query().Get("by") == "day" {
		d.By = "day"
	}
	now := h.clock.Now().UTC()
	hourTo := now.Truncate(time.Hour).Add(time.Hour)
	dayTo := now.Truncate(24*time.Hour).AddDate(0, 0, 1)
	for _, c := range []struct {
		out      **chart
		id, by   string
		from, to time.Time
		caption  string
	}{
		{&d.Hour, "usage-hour", "hour", hourTo.Add(-24 * time.Hour), hourTo, "Verifications of this key by hour, the last 24 hours"},
		{&d.Day, "usage-day", "day", dayTo.AddDate(0, 0, -defaultAnalyticsDays), dayTo, "Verifications of this key by day, the last 30 days"},
	} {
		q := service.AnalyticsQuery{DateGrouping: c.by, From: c.from.Format(time.RFC3339), To: c.to.Format(time.RFC3339)}
		t, err := h.svc.KeyUsage(r.Context(), visitOf(r).Caller, k.ID, q)
		if err != nil {
			if status(err) == http.StatusInternalServerError {
				h.log.Error("ui: key usage", "key", k.ID, "err", err)
			}
			d.Error = "The usage of this key cannot be shown: " + message(err)
			return d
		}
		*c.out = newChart(c.id, c.caption, c.by, c.from, c.to, t.Periods)
	}
	return d
}
