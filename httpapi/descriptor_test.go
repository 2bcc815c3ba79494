package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/mcp"
)

type regionIn struct {
	Region string     `query:"region" required:"true" doc:"where to look"`
	Body   regionBody `body:"true"`
}

type regionBody struct {
	Tier  string   `json:"tier" enum:"free,paid"`
	Zones []string `json:"zones,omitempty" enum:"a,b"`
}

type regionOut struct {
	Region string `json:"region"`
	Tier   string `json:"tier"`
}

// One operation added the way the table adds them (api.Declare), with a
// required query parameter and enum body fields: the route refuses each
// violation with the contract's 400 before the handler runs, and OpenAPI
// and the MCP tool declare the same parameters and output.
func TestDescriptorEnforcedAndPublished(t *testing.T) {
	calls := 0
	extra := api.Declare(api.Operation{ID: "Extra_regions", Method: "POST", Path: "/extra-regions", Tools: []string{"create_an_extra_region"},
		Summary: "An operation added by this test", Public: true, Status: 200},
		func(_ context.Context, _ api.Backend, _ *keyway.Caller, in *regionIn) (regionOut, error) {
			calls++
			return regionOut{Region: in.Region, Tier: in.Body.Tier}, nil
		})
	ops := api.Bind(api.Backend{}, extra)
	h, err := httpapi.New(httpapi.Config{Ops: ops, Log: slog.New(slog.DiscardHandler), Clock: keyway.SystemClock{}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}

	const enumTier = "tier must be one of the following values: free, paid"
	for _, c := range []struct{ query, body, want string }{
		{"", `{"tier":"free"}`, `{"statusCode":400,"message":["region should not be empty"],"error":"Bad Request"}`},
		{"?region=eu", `{"tier":"gold"}`, `{"statusCode":400,"message":["` + enumTier + `"],"error":"Bad Request"}`},
		{"?region=eu", `{"tier":"free","zones":["a","z"]}`, `{"statusCode":400,"message":["each value in zones must be one of the following values: a, b"],"error":"Bad Request"}`},
		{"?region=eu", `{"tier":"FREE","zones":["c"]}`, `{"statusCode":400,"message":["` + enumTier + `","each value in zones must be one of the following values: a, b"],"error":"Bad Request"}`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/extra-regions"+c.query, strings.NewReader(c.body)))
		if rec.Code != 400 || rec.Body.String() != c.want {
			t.Errorf("POST /extra-regions%s %s: %d %s, want 400 %s", c.query, c.body, rec.Code, rec.Body, c.want)
		}
	}
	if calls != 0 {
		t.Fatalf("the operation ran %d times on invalid input", calls)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/extra-regions?region=eu", strings.NewReader(`{"tier":"paid","zones":["b"]}`)))
	if rec.Code != 200 || rec.Body.String() != `{"region":"eu","tier":"paid"}` || calls != 1 {
		t.Fatalf("valid call: %d %s, %d calls", rec.Code, rec.Body, calls)
	}

	// OpenAPI says what the descriptors say, and the output is the
	// handler's return type.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters  json.RawMessage `json:"parameters"`
			RequestBody json.RawMessage `json:"requestBody"`
			Responses   map[string]struct {
				Content json.RawMessage `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	entry := doc.Paths["/extra-regions"]["post"]
	const wantParams = `[{"description":"where to look","in":"query","name":"region","required":true,"schema":{"type":"string"}}]`
	if got := compact(t, entry.Parameters); got != wantParams {
		t.Errorf("OpenAPI parameters\n got %s\nwant %s", got, wantParams)
	}
	const wantBody = `{"content":{"application/json":{"schema":{"properties":{"tier":{"enum":["free","paid"],"type":"string"},"zones":{"items":{"enum":["a","b"],"type":"string"},"type":["null","array"]}},"required":["tier"],"type":"object"}}}}`
	if got := compact(t, entry.RequestBody); got != wantBody {
		t.Errorf("OpenAPI request body\n got %s\nwant %s", got, wantBody)
	}
	const wantOut = `{"application/json":{"schema":{"properties":{"region":{"type":"string"},"tier":{"type":"string"}},"required":["region","tier"],"type":"object"}}}`
	if got := compact(t, entry.Responses["200"].Content); got != wantOut {
		t.Errorf("OpenAPI output\n got %s\nwant %s", got, wantOut)
	}

	// So does the MCP tool: the query parameter and the body's fields side
	// by side, with the same values.
	tools, err := mcp.Tools(ops)
	if err != nil {
		t.Fatal(err)
	}
	last := tools[len(tools)-1]
	schema, _ := json.Marshal(last.Def.InputSchema)
	const wantSchema = `{"type":"object","properties":{"body":{"type":"object","description":"deprecated, accepted for one release: the whole request body as one object; give its fields as top-level arguments instead, not both"},"region":{"type":"string","description":"where to look"},"tier":{"type":"string","enum":["free","paid"]},"zones":{"type":["null","array"],"items":{"type":"string","enum":["a","b"]}}},"required":["region","tier"]}`
	if last.Def.Name != "create_an_extra_region" || string(schema) != wantSchema {
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
