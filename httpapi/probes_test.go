package httpapi_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/httpapi"
)

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func TestReadyz(t *testing.T) {
	for _, c := range []struct {
		name     string
		err      error
		want     int
		wantBody string
	}{
		{"reachable", nil, 200, `{"status":"ok","checks":{"database":"ok","redis":"ok"}}`},
		{"unreachable", errors.New("dial tcp 10.0.0.1:6379: secret-password-in-dsn"), 503,
			`{"statusCode":503,"message":"Unreachable: redis","error":"Service Unavailable"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := httpapi.New(httpapi.Config{Ops: api.Declarations(), Checks: []httpapi.Check{{Name: "database", Pinger: pinger{nil}}, {Name: "redis", Pinger: pinger{c.err}}}, Log: slog.New(slog.DiscardHandler), Clock: keyway.SystemClock{}, Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			if rec.Code != c.want || strings.TrimSpace(rec.Body.String()) != c.wantBody {
				t.Fatalf("GET /readyz: %d %s, want %d %s", rec.Code, rec.Body, c.want, c.wantBody)
			}
		})
	}
}

// Work that falls behind (usage flushes failing) shows as degraded with
// its reason, at 200: the node still verifies and must stay in rotation.
func TestReadyzDegraded(t *testing.T) {
	why := "3 usage flushes in a row failed; 12 rows wait in memory"
	reason := why
	h, err := httpapi.New(httpapi.Config{Ops: api.Declarations(), Checks: []httpapi.Check{
		{Name: "database", Pinger: pinger{nil}},
		{Name: "usage", Degraded: func() string { return reason }},
	}, Log: slog.New(slog.DiscardHandler), Clock: keyway.SystemClock{}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ reason, body string }{
		{why, `{"status":"degraded","checks":{"database":"ok","usage":"` + why + `"}}`},
		{"", `{"status":"ok","checks":{"database":"ok","usage":"ok"}}`},
	} {
		reason = c.reason
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != c.body {
			t.Fatalf("GET /readyz: %d %s, want 200 %s", rec.Code, rec.Body, c.body)
		}
	}
}
