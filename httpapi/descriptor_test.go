package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/mcp"
)

type regionIn struct {
	Region string `query:"region" required:"true" doc:"where to look"`
	Tier   string `query:"tier" enum:"free,paid"`
}

// One operation added here, with a required parameter and an enum one: the
// route refuses each violation with the contract's 400 before the call,
// and OpenAPI and the MCP tool declare the same parameters.
func TestDescriptorEnforcedAndPublished(t *testing.T) {
	calls := 0
	extra := api.Operation{ID: "Extra_regions", Method: "GET", Path: "/extra-regions", Tools: []string{"list_all_extra_regions"},
		Summary: "An operation added by this test", Public: true, Status: 200,
		Input: reflect.TypeFor[regionIn](), Output: reflect.TypeFor[map[string]string](),
		Call: func(_ context.Context, _ *keyway.Caller, in any) (any, error) {
			calls++
			return map[string]string{"region": in.(*regionIn).Region}, nil
		}}
	ops := append(api.Declarations(), extra)
	h, err := httpapi.New(httpapi.Config{Ops: ops, Log: slog.New(slog.DiscardHandler), Clock: keyway.SystemClock{}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct{ query, want string }{
		{"", `{"statusCode":400,"message":["region should not be empty"],"error":"Bad Request"}`},
		{"?region=eu&tier=gold", `{"statusCode":400,"message":["tier must be one of the following values: free, paid"],"error":"Bad Request"}`},
		{"?tier=gold", `{"statusCode":400,"message":["region should not be empty","tier must be one of the following values: free, paid"],"error":"Bad Request"}`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/extra-regions"+c.query, nil))
		if rec.Code != 400 || rec.Body.String() != c.want {
			t.Errorf("GET /extra-regions%s: %d %s, want 400 %s", c.query, rec.Code, rec.Body, c.want)
		}
	}
	if calls != 0 {
		t.Fatalf("the operation ran %d times on invalid input", calls)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/extra-regions?region=eu&tier=paid", nil))
	if rec.Code != 200 || rec.Body.String() != `{"region":"eu"}` || calls != 1 {
		t.Fatalf("valid call: %d %s, %d calls", rec.Code, rec.Body, calls)
	}

	// OpenAPI says what the descriptors say.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters json.RawMessage `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	const wantParams = `[{"description":"where to look","in":"query","name":"region","required":true,"schema":{"type":"string"}},{"in":"query","name":"tier","required":false,"schema":{"enum":["free","paid"],"type":"string"}}]`
	if got := compact(t, doc.Paths["/extra-regions"]["get"].Parameters); got != wantParams {
		t.Errorf("OpenAPI parameters\n got %s\nwant %s", got, wantParams)
	}

	// So does the MCP tool.
	tools, err := mcp.Tools(ops)
	if err != nil {
		t.Fatal(err)
	}
	last := tools[len(tools)-1]
	schema, _ := json.Marshal(last.Def.InputSchema)
	const wantSchema = `{"type":"object","properties":{"region":{"type":"string","description":"where to look"},"tier":{"type":"string","enum":["free","paid"]}},"required":["region"]}`
	if last.Def.Name != "list_all_extra_regions" || string(schema) != wantSchema {
		t.Errorf("tool %s\n got %s\nwant %s", last.Def.Name, schema, wantSchema)
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
