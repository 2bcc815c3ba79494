package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
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
	extra := api.Declare(api.Operation{ID: "Extra_get", Method: "GET", Path: "/extra/{id}", Tools: []string{"get_single_extra_by_id"},
		Summary: "An operation added by this test", Public: true},
		func(_ context.Context, _ api.Backend, _ *keyway.Caller, in *extraIn) (map[string]string, error) {
			return map[string]string{"id": in.ID}, nil
		})
	ops := api.Bind(api.Backend{}, extra)
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
	res := mcp.Call(context.Background(), last, mcp.Backend{Invoker: h}, json.RawMessage(`{"id":"x2"}`))
	out, _ := json.Marshal(res.StructuredContent)
	if res.IsError || string(out) != `{"id":"x2"}` {
		t.Fatalf("tool call: %s (error %v)", out, res.IsError)
	}
}

type exportIn struct{}

// A CSV whose rows fail midway fails the tool call, not the MCP session,
// and shows no partial text.
func TestAbortedCSVIsAFailedCall(t *testing.T) {
	extra := api.Declare(api.Operation{ID: "Extra_export", Method: "GET", Path: "/extra-export", Tools: []string{"list_all_extra_export"},
		Summary: "An export that fails midway", Public: true},
		func(context.Context, api.Backend, *keyway.Caller, *exportIn) (api.CSV, error) {
			return api.CSV{Header: []string{"a"}, Rows: func(write func([]string) error) error {
				if err := write([]string{"partial"}); err != nil {
					return err
				}
				return errors.New("the store failed")
			}}, nil
		})
	ops := api.Bind(api.Backend{}, extra)
	h, err := httpapi.New(httpapi.Config{Ops: ops, Log: slog.New(slog.DiscardHandler), Clock: keyway.SystemClock{}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	tools, err := mcp.Tools(ops)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	res := mcp.Call(context.Background(), tools[len(tools)-1], mcp.Backend{Invoker: h, Log: log}, nil)
	out, _ := json.Marshal(res.StructuredContent)
	if !res.IsError || string(out) != `{"message":"Internal server error","statusCode":500}` {
		t.Fatalf("aborted answer: %s", out)
	}
	if !strings.Contains(logged.String(), "aborted midway") || !strings.Contains(logged.String(), "the store failed") {
		t.Fatalf("the cause is not in the log: %q", logged.String())
	}
}
