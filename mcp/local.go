package mcp

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/maypok86/otter/v2"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway/api"
)

// Forwarded is what the tool calls of one /mcp request carry from it: its
// credential (Header: Credential) and its client's address, with the
// balancer header naming it, so that scope and per-address limits hold
// through MCP as over REST.
type Forwarded struct {
	Header, Credential, RemoteAddr string
	Forward                        http.Header
}

type forwardedKey struct{}

// maxToolSets bounds the SDK servers kept: one per distinct set of tools
// callers may use (every tool, or an MCP server token's selection).
const maxToolSets = 256

// Servers serves tools on /mcp for this process. An SDK server with its
// tools is built once per set of tools a caller may use and reused by
// every request with that set; a tool call runs in process through inv,
// with the credential of the /mcp request it came in.
type Servers struct {
	tools   []*Tool
	backend Backend
	version string
	sets    *otter.Cache[string, http.Handler]
}

// NewServers serves tools, each call run by inv; log hears what a caller
// is not told.
func NewServers(tools []*Tool, inv Invoker, version string, log *slog.Logger) *Servers {
	return &Servers{tools: tools, backend: Backend{Invoker: inv, Log: log}, version: version,
		sets: otter.Must(&otter.Options[string, http.Handler]{MaximumSize: maxToolSets})}
}

// Handler serves one /mcp request of a caller who may use the tools whose
// operation allow accepts (nil: all of them), each call made with f.
func (s *Servers) Handler(f Forwarded, allow func(api.Operation) bool) http.Handler {
	offered, key := s.tools, "*"
	if allow != nil {
		offered = nil
		var names strings.Builder
		for _, t := range s.tools {
			if allow(t.Op) {
				offered = append(offered, t)
				names.WriteString(t.Def.Name)
				names.WriteByte(',')
			}
		}
		key = names.String()
	}
	h, _ := s.sets.Get(context.Background(), key, otter.LoaderFunc[string, http.Handler](func(context.Context, string) (http.Handler, error) {
		return HTTPHandler(offered, s.backend, s.version), nil
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The SDK hands the request's context values on to tool handlers.
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardedKey{}, f)))
	})
}

// result is a tool's answer for an operation's result run in process: the
// same structured content the REST answer gives (see success), encoded
// once.
func (t *Tool) result(b Backend, out any) *sdk.CallToolResult {
	var text []byte
	var err error
	switch v := out.(type) {
	case api.Empty:
		return okResult()
	case api.CSV:
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		err := w.Write(v.Header)
		if err == nil {
			err = v.Rows(w.Write)
		}
		if w.Flush(); err == nil {
			err = w.Error()
		}
		if err != nil {
			if b.Log != nil {
				b.Log.Error("CSV answer of a tool call aborted midway", "tool", t.Def.Name, "error", err.Error())
			}
			return failure(http.StatusInternalServerError, []string{"Internal server error"})
		}
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: buf.String()}}}
	case interface{ ListPage() (any, string) }:
		items, next := v.ListPage()
		text, err = json.Marshal(listAnswer{Result: items, NextCursor: cursor(next)})
	case interface{ PagedValue() (any, string) }:
		value, next := v.PagedValue()
		if text, err = json.Marshal(value); err == nil {
			text, err = withCursor(text, next)
		}
	default:
		if text, err = json.Marshal(out); err == nil {
			switch {
			case t.list:
				text, err = json.Marshal(listAnswer{Result: json.RawMessage(text)})
			case len(text) == 0 || text[0] != '{':
				// Structured content must be an object.
				text, err = json.Marshal(map[string]json.RawMessage{"result": text})
			}
		}
	}
	if err != nil {
		return failure(http.StatusInternalServerError, []string{"Internal server error"})
	}
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: string(text)}}, StructuredContent: json.RawMessage(text)}
}

// listAnswer is a list tool's structured content.
type listAnswer struct {
	Result     any     `json:"result"`
	NextCursor *string `json:"next_cursor"`
}

func cursor(next string) *string {
	if next == "" {
		return nil
	}
	return &next
}

// withCursor adds next_cursor to an encoded object, as a paged tool
// answers.
func withCursor(object []byte, next string) ([]byte, error) {
	c, err := json.Marshal(cursor(next))
	if err != nil || len(object) < 2 || object[0] != '{' {
		return nil, errNotObject
	}
	out := append([]byte{}, object[:len(object)-1]...)
	if len(bytes.TrimSpace(object[1:len(object)-1])) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"next_cursor":`...)
	out = append(out, c...)
	return append(out, '}'), nil
}

var errNotObject = errors.New("a paged result must be an object")

func okResult() *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: `{"ok":true}`}}, StructuredContent: map[string]any{"ok": true}}
}
