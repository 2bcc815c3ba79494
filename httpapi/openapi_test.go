package httpapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/httpapi"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// compareWithGolden fails when got differs from testdata/name, or rewrites
// the file under -update.
func compareWithGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./httpapi -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file; if the change is intended, run go test ./httpapi -update and review the diff", name)
	}
}

func newHandler(t *testing.T) *httpapi.Handler {
	t.Helper()
	h, err := httpapi.New(httpapi.Config{Ops: api.Declarations(), Log: slog.New(slog.DiscardHandler), Clock: keyway.SystemClock{}, Version: "test", Metrics: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestOpenAPIGolden(t *testing.T) {
	rec := httptest.NewRecorder()
	newHandler(t).ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /openapi.json: %d", rec.Code)
	}
	compareWithGolden(t, "openapi.json", rec.Body.Bytes())
}

// The table covers the contract: 55 operations of the original, 57 MCP
// tool names, all distinct, and every route in the OpenAPI document.
func TestOperationTableCoversContract(t *testing.T) {
	ops := api.Declarations()
	contract := 0
	for _, o := range ops {
		if len(o.Tools) > 0 {
			contract++
		}
	}
	if contract != 55 {
		t.Fatalf("%d operations with MCP tools, want the contract's 55", contract)
	}
	tools := map[string]bool{}
	routes := map[string]bool{}
	for _, o := range ops {
		for _, name := range o.Tools {
			if tools[name] {
				t.Errorf("tool %s declared twice", name)
			}
			tools[name] = true
		}
		route := o.Method + " " + o.Path
		if routes[route] {
			t.Errorf("route %s declared twice", route)
		}
		routes[route] = true
	}
	if len(tools) != 57 {
		t.Errorf("%d tool names, want 57", len(tools))
	}

	rec := httptest.NewRecorder()
	newHandler(t).ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	for _, o := range ops {
		entry := doc.Paths[o.Path][strings.ToLower(o.Method)]
		if entry == nil {
			t.Errorf("%s %s missing from the OpenAPI document", o.Method, o.Path)
			continue
		}
		if entry["operationId"] != o.ID {
			t.Errorf("%s %s: operationId %v, want %s", o.Method, o.Path, entry["operationId"], o.ID)
		}
	}
	for _, p := range []string{"/healthz", "/readyz", "/openapi.json", "/metrics"} {
		if doc.Paths[p]["get"] == nil {
			t.Errorf("GET %s missing from the OpenAPI document", p)
		}
	}
}
