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
		{"reachable", nil, 200, `{"status":"ok"}`},
		{"unreachable", errors.New("dial tcp 10.0.0.1:5432: secret-password-in-dsn"), 503,
			`{"statusCode":503,"message":"Store unreachable","error":"Service Unavailable"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := httpapi.New(api.Operations(nil, nil), nil, pinger{c.err}, slog.New(slog.DiscardHandler), keyway.SystemClock{}, "test")
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
