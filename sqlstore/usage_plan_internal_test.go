package sqlstore

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// SQLite keeps no statistics here, so its planner goes by the shape of a
// query alone: each usage read takes the index it was written for. A
// full-history read through the wrong one was ten times slower, with
// nothing else failing.
func TestUsageReadPlansSQLite(t *testing.T) {
	sealer, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), keywaytest.SQLiteURL(t), sealer)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The day summaries' reads: a project's days from its own rows, and
	// the days to summarize from those rows' index by time.
	for _, c := range []struct{ name, query, want string }{
		{"days with summaries", daysWithSummaries, "SEARCH usage_day USING PRIMARY KEY (project_id=? AND key_id=?)"},
		{"days to summarize", daysToSummarize, "SEARCH usage_day USING INDEX usage_day_projects_at (at>? AND at<?)"},
	} {
		if plan := usagePlan(t, s, c.query, "p", 1, 100, 100, "p"); !slices.ContainsFunc(plan, func(p string) bool { return strings.Contains(p, c.want) }) ||
			!slices.ContainsFunc(plan, func(p string) bool {
				return strings.Contains(p, "usage_day_keys") && strings.Contains(p, "(project_id=? AND at=?)")
			}) {
			t.Errorf("%s: plan %q, want %q and the summaries by (project_id, at)", c.name, plan, c.want)
		}
	}
	// The day's index holds the counts (migration 00016).
	byTime := map[string]string{"usage_hour": "USING INDEX ", "usage_day": "USING COVERING INDEX "}
	for _, table := range []string{"usage_hour", "usage_day"} {
		for _, c := range []struct {
			name, query, want string
		}{
			{"key totals by key", keyTotalsByKey(table), "USING PRIMARY KEY (project_id=? AND key_id>?)"},
			{"key totals by time", keyTotalsByTime(table), byTime[table] + table + "_project_at (project_id=? AND at>? AND at<?)"},
			{"a project's rows", `SELECT key_id, at, successful, failed, rate_limited FROM ` + table + `
				WHERE project_id = $1 AND key_id = '' AND at >= $2 AND at < $3 ORDER BY at`, "USING PRIMARY KEY (project_id=? AND key_id=?)"},
			{"some keys' rows", `SELECT key_id, at, successful, failed, rate_limited FROM ` + table + `
				WHERE project_id = $1 AND key_id IN ($4, $5) AND at >= $2 AND at < $3 ORDER BY key_id, at`, "USING PRIMARY KEY (project_id=? AND key_id=?)"},
		} {
			plan := usagePlan(t, s, c.query, "p", 1, 100, "a", "b")
			if !strings.Contains(plan[0], "SEARCH "+table+" "+c.want) {
				t.Errorf("%s of %s: plan %q, want %q", c.name, table, plan, c.want)
			}
		}
	}
}

// usagePlan is SQLite's plan of query, one entry per step.
func usagePlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.r.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
