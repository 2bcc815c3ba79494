// Package api declares every operation of the Keyway API once: method,
// path, MCP tool names, input and output types, and the call into the
// service. The REST router, the OpenAPI document and the MCP tools are all
// derived from this table, never written a second time.
package api

import (
	"context"
	"net/http"
	"reflect"

	"github.com/keywayhq/keyway"
)

// Operation is one entry of the table.
type Operation struct {
	// ID is the operationId of the original's OpenAPI document.
	ID      string
	Method  string
	Path    string // with {param} segments
	Tools   []string
	Summary string
	// Status is the success status: 201 for POST unless noted, else 200.
	Status int
	// Public operations need no credential.
	Public bool
	// Verification operations answer for a customer's API key; they are
	// served by the hot path and not counted against the access key's own
	// management rate limit.
	Verification bool
	// Input is a struct whose fields carry `path`, `query` or `header` tags,
	// and at most one `body` field; nil when the operation takes nothing.
	Input reflect.Type
	// Output describes a successful result for documentation.
	Output reflect.Type
	// Call runs the operation with a *Input value.
	Call func(ctx context.Context, c *keyway.Caller, in any) (any, error)
	// Raw, for the few routes that are not JSON (metrics), is served as is
	// instead of Call.
	Raw http.Handler

	// params is Input's tags, parsed once; see Params.
	params []Param
}

// List is a page of results; Next is the cursor of the following page, ""
// on the last one.
type List struct {
	Items any
	Next  string
}

// Empty is a successful result with no body.
type Empty struct{}

// Paged is a single object whose list inside is paged; Next is the cursor
// of the following page, "" on the last one.
type Paged struct {
	Value any
	Next  string
}

// CSV is a result streamed as text/csv: the header row, then the rows Rows
// writes one by one.
type CSV struct {
	Header []string
	Rows   func(write func(row []string) error) error
}

func op[In any](o Operation, call func(ctx context.Context, c *keyway.Caller, in *In) (any, error)) Operation {
	o.Input = reflect.TypeFor[In]()
	params, err := describe(o.Input)
	if err != nil {
		// The table is static: a bad tag is a programming error found by
		// every test that builds it.
		panic(err)
	}
	o.params = params
	o.Call = func(ctx context.Context, c *keyway.Caller, in any) (any, error) { return call(ctx, c, in.(*In)) }
	return o.withDefaults()
}

func noInput(o Operation, call func(ctx context.Context, c *keyway.Caller) (any, error)) Operation {
	o.Call = func(ctx context.Context, c *keyway.Caller, _ any) (any, error) { return call(ctx, c) }
	return o.withDefaults()
}

func (o Operation) withDefaults() Operation {
	if o.Status == 0 {
		o.Status = http.StatusOK
		if o.Method == http.MethodPost {
			o.Status = http.StatusCreated
		}
	}
	return o
}

func outputOf[T any]() reflect.Type { return reflect.TypeFor[T]() }
