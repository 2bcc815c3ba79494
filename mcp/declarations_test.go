package mcp_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/mcp"
)

type extraIn struct {
	ID string `path:"id"`
}

// One operation added to the table appears as a route, in the OpenAPI
// document and as an MCP tool, with nothing else written: all three are
// derived from the same declarations.
func TestOneDeclarationEverywhere(t *testing.T) {
	extra := api.Operation{ID: "Extra_get", Method: "GET", Path: "/extra/{id}", Tools: []string{"get_single_extra_by_id"},
		Summary: "An operation added by this test", Public: true, Status: 200,
		Input: reflect.TypeFor[extraIn](), Output: reflect.TypeFor[map[string]string](),
		Call: func(_ context.Context, _ *keyway.Caller, in any) (any, error) {
			return map[string]string{"id": in.(*extraIn).ID}, nil
		}}
	ops := append(api.Declarations(), extra)
	h, err := httpapi.New(httpapi.Config{Ops: ops, Log: slog.New(slog.DiscardHandler), Clock: keyway.SystemClock{}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}

	// The route.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/extra/x1", nil))
	if rec.Code != 200 || rec.Body.String() != `{"id":"x1"}` {
		t.Fatalf("GET /extra/x1: %d %s", rec.Code, rec.Body)
	}

	// The OpenAPI document.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string   `json:"operationId"`
			Tools       []string `json:"x-mcp-tools"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Paths["/extra/{id}"]["get"]; got.OperationID != "Extra_get" || !slices.Equal(got.Tools, []string{"get_single_extra_by_id"}) {
		t.Fatalf("OpenAPI entry %+v", got)
	}

	// The tool, which runs the same route.
	tools, err := mcp.Tools(ops)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) != 58 {
		t.Fatalf("%d tools, want 58", len(tools))
	}
	last := tools[len(tools)-1]
	schema, _ := json.Marshal(last.Def.InputSchema)
	if last.Def.Name != "get_single_extra_by_id" || string(schema) != `{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}` || !last.Def.Annotations.ReadOnlyHint {
		t.Fatalf("tool %s %s %+v", last.Def.Name, schema, last.Def.Annotations)
	}
	res := mcp.Call(context.Background(), last, mcp.Backend{Doer: mcp.Local{Handler: h}}, json.RawMessage(`{"id":"x2"}`))
	out, _ := json.Marshal(res.StructuredContent)
	if res.IsError || string(out) != `{"id":"x2"}` {
		t.Fatalf("tool call: %s (error %v)", out, res.IsError)
	}
}

// A handler that aborts its answer midway fails the tool call, not the
// MCP session.
func TestLocalAbortIsAFailedCall(t *testing.T) {
	aborting := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("partial"))
		panic(http.ErrAbortHandler)
	})
	tools, err := mcp.Tools(api.Declarations())
	if err != nil {
		t.Fatal(err)
	}
	res := mcp.Call(context.Background(), tools[0], mcp.Backend{Doer: mcp.Local{Handler: aborting}}, nil)
	out, _ := json.Marshal(res.StructuredContent)
	if !res.IsError || string(out) != `{"message":"the Keyway server could not be reached","statusCode":502}` {
		t.Fatalf("aborted answer: %s", out)
	}
}
