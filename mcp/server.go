package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Doer sends an operation's request to a server that speaks the
// contract (an *http.Client, for keyway mcp).
type Doer interface {
	Do(r *http.Request) (*http.Response, error)
}

// Invoker runs an operation's request in this process and returns its
// result unencoded, or the status and messages of its error
// (httpapi.Handler.Invoke).
type Invoker interface {
	Invoke(r *http.Request) (out any, status int, messages []string)
}

// Backend is where tool calls go and with which credential.
type Backend struct {
	// Invoker, when set, runs calls in process; otherwise Doer sends them.
	Invoker Invoker
	Doer    Doer
	// Log, when set, hears failures a tool's caller is not told the cause of.
	Log *slog.Logger
	// BaseURL prefixes every path ("" for Local).
	BaseURL string
	// Header and Credential authenticate every call: x-api-key and an
	// access key (what every contract server accepts), or Authorization
	// and "Bearer <token>".
	Header, Credential string
	// RemoteAddr and Forward, for calls made on behalf of an /mcp request,
	// carry its client's address (and the balancer header naming it), so
	// per-address limits hold through MCP as over REST.
	RemoteAddr string
	Forward    http.Header
}

// maxAnswer bounds what one tool call reads back.
const maxAnswer = 32 << 20

// NewServer is an MCP server offering tools, each call sent to b.
func NewServer(tools []*Tool, b Backend, version string) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "keyway", Version: version}, nil)
	for _, t := range tools {
		s.AddTool(t.Def, func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return t.call(ctx, b, req.Params.Arguments), nil
		})
	}
	return s
}

// Call runs one call of t with raw arguments against b, as the MCP
// server does.
func Call(ctx context.Context, t *Tool, b Backend, raw json.RawMessage) *sdk.CallToolResult {
	return t.call(ctx, b, raw)
}

// call runs one tool call. Every failure, bad arguments included, is a
// tool error carrying the contract's status and message: an agent reads
// it and corrects itself, as a REST client would.
func (t *Tool) call(ctx context.Context, b Backend, raw json.RawMessage) *sdk.CallToolResult {
	req, err := t.request(ctx, b, raw)
	if err != nil {
		return failure(http.StatusBadRequest, []string{err.Error()})
	}
	if b.Invoker != nil {
		out, status, messages := b.Invoker.Invoke(req)
		if messages != nil {
			return failure(status, messages)
		}
		return t.result(b, out)
	}
	resp, err := b.Doer.Do(req)
	if err != nil {
		return failure(http.StatusBadGateway, []string{"the Keyway server could not be reached"})
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return failure(http.StatusBadGateway, []string{"the Keyway server's answer could not be read"})
	}
	if resp.StatusCode >= 300 {
		var e struct {
			StatusCode int             `json:"statusCode"`
			Message    json.RawMessage `json:"message"`
		}
		if json.Unmarshal(body, &e) != nil || e.StatusCode == 0 {
			return failure(resp.StatusCode, []string{http.StatusText(resp.StatusCode)})
		}
		var one string
		var many []string
		if json.Unmarshal(e.Message, &one) == nil {
			many = []string{one}
		} else if json.Unmarshal(e.Message, &many) != nil {
			many = []string{http.StatusText(resp.StatusCode)}
		}
		return failure(resp.StatusCode, many)
	}
	return t.success(resp, body)
}

func (t *Tool) success(resp *http.Response, body []byte) *sdk.CallToolResult {
	switch {
	case len(body) == 0:
		return okResult()
	case strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv"):
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: string(body)}}}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return failure(http.StatusBadGateway, []string{"the Keyway server answered something other than JSON"})
	}
	var next any
	if c := resp.Header.Get("x-next-cursor"); c != "" {
		next = c
	}
	if t.list {
		v = map[string]any{"result": v, "next_cursor": next}
	} else if obj, isObject := v.(map[string]any); isObject && t.paged {
		// A paged object (a key ranking) carries its own next_cursor.
		obj["next_cursor"] = next
	} else if !isObject {
		// Structured content must be an object.
		v = map[string]any{"result": v}
	}
	text, _ := json.Marshal(v) // it was just decoded from JSON
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: string(text)}}, StructuredContent: v}
}

func failure(status int, messages []string) *sdk.CallToolResult {
	e := map[string]any{"statusCode": status, "message": strings.Join(messages, "; ")}
	text, _ := json.Marshal(e)
	return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: string(text)}}, StructuredContent: e}
}

// request turns tool arguments into the operation's HTTP request.
func (t *Tool) request(ctx context.Context, b Backend, raw json.RawMessage) (*http.Request, error) {
	args := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(raw)) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &args); err != nil {
			return nil, fmt.Errorf("arguments must be a JSON object")
		}
	}
	path := t.Op.Path
	query := url.Values{}
	header := http.Header{}
	var fields map[string]json.RawMessage
	for arg, p := range t.params {
		v, ok := args[arg]
		if p.in == "body" {
			if ok {
				if fields == nil {
					fields = map[string]json.RawMessage{}
				}
				fields[p.name] = v
			}
			continue
		}
		if !ok && p.in == "path" && arg != p.name {
			// The route's own name, as the deprecated nested form spelled
			// it; never a body field, which is renamed away from it.
			v, ok = args[p.name]
		}
		if !ok || string(v) == "null" && arg == "next_cursor" {
			if p.in == "path" {
				return nil, fmt.Errorf("%s should not be empty", arg)
			}
			if arg == "next_cursor" && t.paged {
				query.Set("cursor", "")
			}
			continue
		}
		s, err := scalar(v)
		if err != nil {
			return nil, fmt.Errorf("%s %v", arg, err)
		}
		switch p.in {
		case "path":
			if s == "" {
				return nil, fmt.Errorf("%s should not be empty", arg)
			}
			path = strings.Replace(path, "{"+p.name+"}", url.PathEscape(s), 1)
		case "query":
			query.Set(p.name, s)
		case "header":
			header.Set(p.name, s)
		}
	}
	var body io.Reader
	if t.body != nil {
		data, isNested := args[nested]
		switch {
		case isNested && fields != nil:
			return nil, fmt.Errorf("give the body's fields either as top-level arguments or in the deprecated %q object, not both", nested)
		case isNested:
			// The API validates the body; only its shape is checked here.
			if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
				return nil, fmt.Errorf("%s must be an object", nested)
			}
		case fields != nil:
			var err error
			if data, err = json.Marshal(fields); err != nil {
				return nil, fmt.Errorf("the body's fields are not valid JSON")
			}
		default:
			data = json.RawMessage(`{}`)
		}
		body = bytes.NewReader(data)
		header.Set("Content-Type", "application/json")
	}
	u := b.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, t.Op.Method, u, body)
	if err != nil {
		return nil, fmt.Errorf("cannot build the request: %v", err)
	}
	if f, ok := ctx.Value(forwardedKey{}).(Forwarded); ok {
		b.Header, b.Credential, b.RemoteAddr, b.Forward = f.Header, f.Credential, f.RemoteAddr, f.Forward
	}
	for name, values := range b.Forward {
		header[name] = values
	}
	req.Header = header
	req.RemoteAddr = b.RemoteAddr
	if b.Credential != "" {
		req.Header.Set(b.Header, b.Credential)
	}
	return req, nil
}

// scalar renders a JSON argument as a path, query or header value: strings
// as they are, numbers and booleans as written, null as the literal null
// (which the API reads as "matches a null value").
func scalar(v json.RawMessage) (string, error) {
	if string(bytes.TrimSpace(v)) == "null" {
		return "null", nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s, nil
	}
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return "", fmt.Errorf("is not valid JSON")
	}
	switch x := x.(type) {
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strings.TrimSpace(string(v)), nil
	}
	return "", fmt.Errorf("must be a string, a number or a boolean")
}

// HTTPHandler serves tools over streamable HTTP, stateless so that any node
// of a cluster can answer any request, each call sent to b.
func HTTPHandler(tools []*Tool, b Backend, version string) http.Handler {
	s := NewServer(tools, b, version)
	return sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s }, &sdk.StreamableHTTPOptions{Stateless: true})
}
