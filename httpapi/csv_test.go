package httpapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/keywaytest"
)

type exportIn struct{}

// A CSV whose rows fail midway breaks the transfer, so the client never
// takes a short file for a whole one, and the log says why.
func TestCSVFailureMidwayAborts(t *testing.T) {
	extra := api.Declare(api.Operation{ID: "Extra_export", Method: "GET", Path: "/extra-export", Summary: "An export that fails midway", Public: true},
		func(context.Context, api.Backend, *keyway.Caller, *exportIn) (api.CSV, error) {
			return api.CSV{Header: []string{"a"}, Rows: func(write func([]string) error) error {
				for range 2000 { // past the response buffer, so the status is sent
					if err := write([]string{strings.Repeat("x", 64)}); err != nil {
						return err
					}
				}
				return errors.New("the store failed")
			}}, nil
		})
	logged := &keywaytest.SyncBuffer{}
	h, err := httpapi.New(httpapi.Config{Ops: api.Bind(api.Backend{}, extra), Log: slog.New(slog.NewTextHandler(logged, nil)), Clock: keyway.SystemClock{}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/extra-export")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("the broken export read as a whole file")
	}
	if got := logged.String(); !strings.Contains(got, "aborted midway") || !strings.Contains(got, "the store failed") {
		t.Fatalf("the cause is not in the log: %q", got)
	}
}
