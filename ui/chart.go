package ui

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
)

// A chart is verification outcomes per period drawn as inline SVG on the
// server: stacked bars of successful, failed and rate-limited, one per
// period of the range (empty ones too, so the time axis is even), with a
// <title> per bar for hover, an aria-label that sums the chart up for a
// screen reader, and the numbers again as a table (templates: "chart" in
// _key_usage.html). Nothing in it needs JavaScript; app.js only puts the
// numbers and dates in the browser's locale (data-num, data-at). Colours
// come from classes in app.css (.ok, .failed, .limited), never from style
// attributes, which the CSP forbids.
type chart struct {
	// ID names the chart's element (the key page's switch shows one of
	// two) and is its data-testid.
	ID      string
	Caption string
	// Grouping is hour, day, week or month.
	Grouping string
	Total    keyway.Totals
	// Rows are the periods that had verifications, for the data table.
	Rows []chartRow
	SVG  template.HTML
	// Empty is what the chart says when the range had no verifications.
	Empty string
}

// chartRow is one period of the data table.
type chartRow struct {
	At    time.Time
	Label string
	keyway.Totals
}

// Chart geometry, in the SVG's own units (it scales to its box).
const (
	chartW, chartH                   = 600, 240
	chartLeft, chartRight, chartTop  = 60, 8, 10
	chartBottom                      = 44
	chartPlotW                       = chartW - chartLeft - chartRight
	chartPlotH                       = chartH - chartTop - chartBottom
	maxChartTicks                    = 6
	chartHourLayout, chartDateLayout = "2006-01-02 15:04 UTC+00:00", "2006-01-02"
)

// periodStart is the start of the period at is in, as the service counts
// periods (UTC; ISO weeks from Monday).
func periodStart(grouping string, at time.Time) time.Time {
	at = at.UTC()
	switch grouping {
	case "hour":
		return at.Truncate(time.Hour)
	case "week":
		day := at.Truncate(24 * time.Hour)
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "month":
		return time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	default:
		return at.Truncate(24 * time.Hour)
	}
}

// nextPeriod is the start of the period after the one starting at t.
func nextPeriod(grouping string, t time.Time) time.Time {
	switch grouping {
	case "hour":
		return t.Add(time.Hour)
	case "week":
		return t.AddDate(0, 0, 7)
	case "month":
		return t.AddDate(0, 1, 0)
	default:
		return t.AddDate(0, 0, 1)
	}
}

// periodLabel names a period in text (UTC, the offset shown for hours).
func periodLabel(grouping string, t time.Time) string {
	switch grouping {
	case "hour":
		return t.Format(chartHourLayout)
	case "week":
		return "Week of " + t.Format(chartDateLayout)
	case "month":
		return t.Format("2006-01")
	default:
		return t.Format(chartDateLayout)
	}
}

// tickLabel is the short name of a period under the time axis.
func tickLabel(grouping string, t time.Time) string {
	switch grouping {
	case "hour":
		return t.Format("01-02 15:04")
	case "month":
		return t.Format("2006-01")
	default:
		return t.Format("01-02")
	}
}

// newChart lays out the periods of [from, to) by grouping; periods are the
// service's (sorted, empty ones left out).
func newChart(id, caption, grouping string, from, to time.Time, periods []keyway.PeriodTotals) *chart {
	c := &chart{ID: id, Caption: caption, Grouping: grouping}
	byStart := make(map[int64]keyway.Totals, len(periods))
	for _, p := range periods {
		at := periodStart(grouping, p.Period.Time)
		t := byStart[at.Unix()]
		t.Add(p.Successful, p.Failed, p.RateLimited)
		byStart[at.Unix()] = t
		c.Total.Add(p.Successful, p.Failed, p.RateLimited)
	}
	var bars []chartRow
	for t := periodStart(grouping, from); t.Before(to); t = nextPeriod(grouping, t) {
		row := chartRow{At: t, Label: periodLabel(grouping, t), Totals: byStart[t.Unix()]}
		bars = append(bars, row)
		if row.Total > 0 {
			c.Rows = append(c.Rows, row)
		}
	}
	if c.Total.Total == 0 {
		c.Empty = "No verifications in this range yet. Each POST /api-keys/auth/{key} is counted and shows here shortly after: usage is written in batches (every 10 seconds unless configured otherwise). Reload to see new ones."
		return c
	}
	c.SVG = drawBars(c, bars)
	return c
}

// niceStep is the smallest of 1, 2 or 5 times a power of ten at least x.
func niceStep(x float64) int64 {
	if x <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return int64(m * p)
		}
	}
	return int64(10 * p)
}

// num formats an SVG coordinate with one decimal at most.
func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

func drawBars(c *chart, bars []chartRow) template.HTML {
	var most chartRow
	for _, b := range bars {
		if b.Total > most.Total {
			most = b
		}
	}
	step := niceStep(float64(most.Total) / 4)
	top := (most.Total + step - 1) / step * step
	scale := float64(chartPlotH) / float64(top)
	slot := float64(chartPlotW) / float64(len(bars))
	gap := math.Min(slot*0.2, 4)
	base := float64(chartTop + chartPlotH)

	var s strings.Builder
	s.Grow(512 + 360*len(bars))
	first, last := bars[0], bars[len(bars)-1]
	summary := fmt.Sprintf("Verifications by %s, %s to %s: %d successful, %d failed, %d rate-limited, %d in total; the most, %d, in %s.",
		c.Grouping, first.Label, last.Label, c.Total.Successful, c.Total.Failed, c.Total.RateLimited, c.Total.Total, most.Total, most.Label)
	fmt.Fprintf(&s, `<svg class="bars" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, template.HTMLEscapeString(summary))
	// The count axis: grid lines and their values.
	for v := int64(0); v <= top; v += step {
		y := num(base - float64(v)*scale)
		fmt.Fprintf(&s, `<line class="grid" x1="%d" x2="%d" y1="%s" y2="%s"/><text x="%d" y="%s" text-anchor="end" dominant-baseline="middle" data-num="compact">%d</text>`,
			chartLeft, chartW-chartRight, y, y, chartLeft-6, y, v)
	}
	// The bars, each with what it stands for.
	for i, b := range bars {
		x := float64(chartLeft) + float64(i)*slot
		fmt.Fprintf(&s, `<g class="bar"><title>%s: %d successful, %d failed, %d rate-limited (%d in total)</title><rect class="hit" x="%s" y="%d" width="%s" height="%d"/>`,
			template.HTMLEscapeString(b.Label), b.Successful, b.Failed, b.RateLimited, b.Total, num(x), chartTop, num(slot), chartPlotH)
		y := base
		for _, part := range []struct {
			class string
			n     int64
		}{{"ok", b.Successful}, {"failed", b.Failed}, {"limited", b.RateLimited}} {
			if part.n == 0 {
				continue
			}
			h := float64(part.n) * scale
			y -= h
			fmt.Fprintf(&s, `<rect class="%s" x="%s" y="%s" width="%s" height="%s"/>`, part.class, num(x+gap/2), num(y), num(slot-gap), num(h))
		}
		s.WriteString(`</g>`)
	}
	// The time axis: at most maxChartTicks labels, evenly spread.
	fmt.Fprintf(&s, `<line class="axis" x1="%d" x2="%d" y1="%s" y2="%s"/>`, chartLeft, chartW-chartRight, num(base), num(base))
	every := (len(bars) + maxChartTicks - 1) / maxChartTicks
	for n, i := 0, 0; i < len(bars); n, i = n+1, i+every {
		// Every other label makes way on a narrow screen (app.css).
		class := map[bool]string{false: "tick", true: "tick odd"}[n%2 == 1]
		x := float64(chartLeft) + (float64(i)+0.5)*slot
		fmt.Fprintf(&s, `<text class="%s" x="%s" y="%s" text-anchor="middle" data-at="%s" data-utc="tick-%s">%s</text>`,
			class, num(x), num(base+22), bars[i].At.Format(time.RFC3339), c.Grouping, tickLabel(c.Grouping, bars[i].At))
	}
	fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end">UTC+00:00</text>`, chartW-chartRight, chartH-2)
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}
