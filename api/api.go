// Package api declares every operation of the Keyway API once: method,
// path, MCP tool names, input and output types, and the call into the
// service. The REST router, the OpenAPI document and the MCP tools are all
// derived from this table, never written a second time.
package api

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sync"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/verify"
)

// Backend is what the operations run against once bound (Bind).
type Backend struct {
	Service  *service.Service
	Verifier *verify.Verifier
}

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
	// not counted against the access key's own management rate limit.
	Verification bool
	// Input is a struct whose fields carry `path`, `query` or `header` tags,
	// and at most one `body` field; nil when the operation takes nothing.
	Input reflect.Type
	// Output is the wire shape of a success. Declare derives it from the
	// handler's return type (a List[T] answers []T), so documentation and
	// tool schemas cannot drift from what is returned.
	Output reflect.Type
	// Call runs the operation with a *Input value; nil until bound.
	Call func(ctx context.Context, c *keyway.Caller, in any) (any, error)
	// Verify, on the operations that verify the API key in their path, is
	// their fast handler: the verdict for that key and the request's
	// origin, which a transport answers without binding a request (it is
	// most of the traffic). Nil until bound.
	Verify func(ctx context.Context, c *keyway.Caller, key, origin string) (verify.Result, error)
	// Raw, for the few routes that are not JSON (metrics), is served as is
	// instead of Call.
	Raw http.Handler

	// params is Input's tags, parsed once; see Params.
	params []Param
	// bind sets Call and Verify for a backend; nil for operations built
	// with their Call (the probes, tests).
	bind func(o *Operation, b Backend)
}

var declarations = sync.OnceValue(declare)

// Declarations is the operation table, unbound: what documentation, tool
// lists and tests read. Its operations cannot be called.
func Declarations() []Operation { return slices.Clone(declarations()) }

// Bind is the operation table, followed by any extra operations (a
// test's), with every operation bound to b.
func Bind(b Backend, extra ...Operation) []Operation {
	ops := append(Declarations(), extra...)
	for i := range ops {
		if ops[i].bind != nil {
			ops[i].bind(&ops[i], b)
		}
	}
	return ops
}

// Handler is the code of one operation: it gets the backend it was bound
// to and the bound input, and returns what the operation answers.
type Handler[In, Out any] func(ctx context.Context, b Backend, c *keyway.Caller, in *In) (Out, error)

// Declare makes o the operation that runs h. In's tags become the
// parameter descriptor and Out the output shape; use it to add an
// operation to the table (or, in a test, beside it).
func Declare[In, Out any](o Operation, h Handler[In, Out]) Operation {
	o.Input = reflect.TypeFor[In]()
	params, err := describe(o.Input)
	if err != nil {
		// The table is static: a bad tag is a programming error found by
		// every test that builds it.
		panic(err)
	}
	o.params = params
	o.Output = wireType[Out]()
	o.bind = func(o *Operation, b Backend) {
		o.Call = func(ctx context.Context, c *keyway.Caller, in any) (any, error) { return h(ctx, b, c, in.(*In)) }
	}
	return o.withDefaults()
}

// op is Declare, short for the table.
func op[In, Out any](o Operation, h Handler[In, Out]) Operation { return Declare(o, h) }

// noInput declares an operation that takes no input.
func noInput[Out any](o Operation, h func(ctx context.Context, b Backend, c *keyway.Caller) (Out, error)) Operation {
	o.Output = wireType[Out]()
	o.bind = func(o *Operation, b Backend) {
		o.Call = func(ctx context.Context, c *keyway.Caller, _ any) (any, error) { return h(ctx, b, c) }
	}
	return o.withDefaults()
}

// verification declares an operation that verifies the API key in its
// path: its fast handler is the verifier's, and its Call (for MCP) answers
// the key's cached encoding.
func verification(o Operation) Operation {
	o = Declare(o, func(ctx context.Context, b Backend, c *keyway.Caller, in *verifyIn) (Verified[keyway.APIKey], error) {
		r, err := b.Verifier.Verify(ctx, c, in.Key, in.Origin)
		return Verified[keyway.APIKey]{Result: r, Encoded: r.Answer()}, err
	})
	declared := o.bind
	o.bind = func(o *Operation, b Backend) {
		declared(o, b)
		o.Verify = b.Verifier.Verify
	}
	return o
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

// shaped is a result whose wire shape is another type's (List[T] answers
// []T).
type shaped interface{ wireShape() reflect.Type }

// wireType is the wire shape of a handler's result type T: pointers are
// their element (a nil one never reaches the wire) and shaped results are
// their shape.
func wireType[T any]() reflect.Type {
	var zero T
	if s, ok := any(zero).(shaped); ok {
		return s.wireShape()
	}
	return derefs(reflect.TypeFor[T]())
}

func derefs(t reflect.Type) reflect.Type {
	switch {
	case t.Kind() == reflect.Pointer:
		return t.Elem()
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Pointer:
		return reflect.SliceOf(t.Elem().Elem())
	}
	return t
}

// List is a page of results; Next is the cursor of the following page, ""
// on the last one. It answers []T.
type List[T any] struct {
	Items []T
	Next  string
}

func (List[T]) wireShape() reflect.Type { return derefs(reflect.TypeFor[[]T]()) }

// ListPage is the page for transports that do not know T: never a nil
// slice, since an empty page is [] on the wire.
func (l List[T]) ListPage() (items any, next string) {
	if l.Items == nil {
		return []T{}, l.Next
	}
	return l.Items, l.Next
}

// Paged is a single object whose list inside is paged; Next is the cursor
// of the following page, "" on the last one. It answers T.
type Paged[T any] struct {
	Value T
	Next  string
}

func (Paged[T]) wireShape() reflect.Type { return derefs(reflect.TypeFor[T]()) }

// PagedValue is the object and cursor for transports that do not know T.
func (p Paged[T]) PagedValue() (value any, next string) { return p.Value, p.Next }

// Verified is what a verification operation returns: the verifier's
// verdict and, for a valid key, the answer T, already encoded in Encoded
// when the verifier keeps it so. Transports turn a negative verdict into
// its error (Result.Err) and add the rate-limit state.
type Verified[T any] struct {
	Result  verify.Result
	Value   T
	Encoded []byte
}

func (Verified[T]) wireShape() reflect.Type { return derefs(reflect.TypeFor[T]()) }

// Verdict is the verdict and the answer for transports that do not know T.
func (v Verified[T]) Verdict() (verify.Result, any) {
	if v.Encoded != nil {
		return v.Result, json.RawMessage(v.Encoded)
	}
	return v.Result, v.Value
}

// Empty is a successful result with no body.
type Empty struct{}

// CSV is a result streamed as text/csv: the header row, then the rows Rows
// writes one by one.
type CSV struct {
	Header []string
	Rows   func(write func(row []string) error) error
}
