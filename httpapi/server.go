// Package httpapi serves the operation table over HTTP with the exact
// wire behaviour of The Auth API (docs/api.md), plus the verification fast
// path, health probes and the OpenAPI document.
package httpapi

import (
	"context"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"runtime/debug"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/verify"
)

// Pinger reports whether a dependency is reachable, for /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Check is one dependency /readyz reports on: a Pinger it pings, or a
// Degraded function for work that can fall behind without making the node
// unfit to serve (usage flushes).
type Check struct {
	Name string // "database", "redis", "usage"
	Pinger
	// Degraded describes what is wrong, "" when all is well. A degraded
	// check leaves /readyz at 200 with status "degraded": verification
	// still works, and taking every node out of a load balancer because
	// their flushes fail would stop it.
	Degraded func() string
}

// Instrument receives what the handler measures; nil measures nothing.
type Instrument interface {
	// Op returns the recorder of one operation, asked once per route.
	Op(id string) OpRecorder
}

// OpRecorder records answered requests of one operation.
type OpRecorder interface {
	// Observe counts an answer and records how long it took.
	Observe(status int, d time.Duration)
	// Count counts an answer whose duration was not measured.
	Count(status int)
}

// Config is everything a Handler serves.
type Config struct {
	Ops      []api.Operation
	Verifier *verify.Verifier
	// Checks are the dependencies /readyz pings.
	Checks     []Check
	Log        *slog.Logger
	Clock      keyway.Clock
	Version    string
	Instrument Instrument
	// Metrics, when set, is served as is on GET /metrics.
	Metrics http.Handler
	// Users resolves a user token (a JWT) to its caller; nil refuses them.
	Users func(ctx context.Context, token string) (*keyway.Caller, error)
	// ClientAddressHeader names the header a trusted load balancer puts the
	// client's address in; "" uses the connection's peer.
	ClientAddressHeader string
	// MCP, when set, serves /mcp for a request whose credential checked
	// out; it gets the request, that credential and its caller.
	MCP func(r *http.Request, credential string, c *keyway.Caller) http.Handler
	// MCPServers resolves an MCP server's token to its caller; nil refuses
	// them.
	MCPServers func(ctx context.Context, token string) (*keyway.Caller, error)
	// Authenticated, when set, hears each management request whose
	// credential checked out (the first-start file goes at the first use of
	// the first access key). It runs on the request path: keep it cheap.
	Authenticated func(credential string, c *keyway.Caller)
}

// Handler is the HTTP face of Keyway.
type Handler struct {
	verifier *verify.Verifier
	log      *slog.Logger
	checks   []Check
	clock    keyway.Clock
	router   *router
	// fast are the routes of operations with a fast handler, by method,
	// tried before the router.
	fast     map[string][]*fastRoute
	openapi  []byte
	users    func(ctx context.Context, token string) (*keyway.Caller, error)
	mcpToken func(ctx context.Context, token string) (*keyway.Caller, error)
	// addressHeader is Config.ClientAddressHeader, canonicalized.
	addressHeader string
	// quiet thins out the lines of answers callers can repeat at will.
	quiet         *quietLog
	authenticated func(credential string, c *keyway.Caller)
}

type noRecorder struct{}

func (noRecorder) Observe(int, time.Duration) {}
func (noRecorder) Count(int)                  {}

// New builds the handler.
func New(cfg Config) (*Handler, error) {
	h := &Handler{verifier: cfg.Verifier, log: cfg.Log, checks: cfg.Checks, clock: cfg.Clock, router: newRouter(), fast: map[string][]*fastRoute{}, users: cfg.Users, mcpToken: cfg.MCPServers,
		addressHeader: http.CanonicalHeaderKey(cfg.ClientAddressHeader), quiet: newQuietLog(cfg.Clock, quietWindow), authenticated: cfg.Authenticated}
	recorder := func(id string) OpRecorder {
		if cfg.Instrument == nil {
			return noRecorder{}
		}
		return cfg.Instrument.Op(id)
	}
	all := append(cfg.Ops, h.probeOperations(cfg.Metrics)...)
	if cfg.MCP != nil {
		all = append(all, h.mcpOperations(cfg.MCP)...)
	}
	for _, o := range all {
		rec := recorder(o.ID)
		if o.Verify != nil {
			f, err := newFastRoute(o, rec)
			if err != nil {
				return nil, fmt.Errorf("operation %s: %w", o.ID, err)
			}
			h.fast[o.Method] = append(h.fast[o.Method], f)
			// The router serves it too, for paths the fast route leaves
			// to it (an escaped slash in the key).
		}
		if o.Raw != nil {
			h.router.handle(o.Method, o.Path, func(w http.ResponseWriter, r *http.Request, _ []string) { o.Raw.ServeHTTP(w, r) })
			continue
		}
		b, err := newBinder(o)
		if err != nil {
			return nil, fmt.Errorf("operation %s: %w", o.ID, err)
		}
		if b != nil {
			if got, want := b.pathParamNames(), pathParams(o.Path); !equalStrings(got, want) {
				return nil, fmt.Errorf("operation %s: path parameters %v do not match input fields %v", o.ID, want, got)
			}
		}
		op := &operation{o: o, b: b, rec: rec}
		h.router.handleOperation(o.Method, o.Path, op, h.serveOperation(op))
	}
	doc, err := api.OpenAPI(all, cfg.Version)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	h.openapi = doc
	return h, nil
}

func pathParams(pattern string) []string {
	var out []string
	for _, s := range splitPath(pattern) {
		if strings.HasPrefix(s, "{") {
			out = append(out, s[1:len(s)-1])
		}
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ServeHTTP routes a request. The routes of operations with a fast
// handler are tried first and served without the generic binding, since
// they are most of the traffic.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer h.recoverPanic(w, r)
	for _, f := range h.fast[r.Method] {
		if key, ok := f.key(r.URL.Path); ok {
			h.serveFast(w, r, f, key)
			return
		}
	}
	rt, params, ok := h.router.match(r.Method, r.URL.EscapedPath())
	if !ok {
		// NestJS names the request as Express's originalUrl: the path as
		// sent, with its query string.
		writeError(w, keyway.Errorf(keyway.CodeNotFound, "Cannot %s %s", r.Method, r.URL.RequestURI()))
		return
	}
	rt.h(w, r, params)
}

func (h *Handler) recoverPanic(w http.ResponseWriter, r *http.Request) {
	if p := recover(); p != nil {
		if p == http.ErrAbortHandler {
			panic(p)
		}
		h.log.Error("panic serving request", "method", r.Method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		writeError(w, keyway.Internal(fmt.Errorf("panic: %v", p)))
	}
}

// credential returns the management credential of a request, from the
// headers the contract accepts, in order.
func credential(r *http.Request) string {
	for _, name := range [...]string{"X-Api-Key", "Api-Key", "Api_key", "Access_key"} {
		if v := r.Header[name]; len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	if v := r.Header.Get("Authorization"); v != "" {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			v = strings.TrimSpace(v[7:])
		}
		return v
	}
	return ""
}

// isUserToken reports whether a credential is shaped like a JWT (three
// base64url parts), which marks it as a user token rather than an access key.
func isUserToken(s string) bool {
	return strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") == 2
}

// authenticate finds the caller a credential stands for: a user token, an
// MCP server's token or an access key, which also brings its own rate
// limit (the zero Access for the others, which have none).
func (h *Handler) authenticate(ctx context.Context, cred string) (*keyway.Caller, verify.Access, error) {
	var c *keyway.Caller
	var err error
	switch {
	case cred == "":
		err = keyway.ErrUnauthorized
	case isUserToken(cred):
		if h.users == nil {
			return nil, verify.Access{}, keyway.ErrUnauthorized
		}
		c, err = h.users(ctx, cred)
	case strings.HasPrefix(cred, keyway.MCPTokenPrefix):
		if h.mcpToken == nil {
			return nil, verify.Access{}, keyway.ErrUnauthorized
		}
		c, err = h.mcpToken(ctx, cred)
	default:
		a, err := h.verifier.Access(ctx, cred)
		return a.Caller, a, err
	}
	return c, verify.Access{}, err
}

// admit is the door of every operation that needs a credential, on REST,
// on the fast routes and for MCP tool calls alike: it authenticates the
// credential once, holds an MCP server's token to the tools it allows, and
// takes a management call from an access key's own rate limit (whose
// state goes into hdr).
func (h *Handler) admit(ctx context.Context, hdr http.Header, cred string, o api.Operation) (*keyway.Caller, error) {
	c, access, err := h.authenticate(ctx, cred)
	if err != nil {
		return nil, err
	}
	if h.authenticated != nil && o.Verify == nil {
		h.authenticated(cred, c)
	}
	if !mayRun(c, o) {
		return nil, keyway.ErrForbidden
	}
	if o.Verification {
		return c, nil
	}
	res, limited, err := h.verifier.Limit(ctx, access)
	if err != nil || !limited {
		return c, err
	}
	setRateHeaders(hdr, res)
	if !res.Allowed {
		setRetryAfter(hdr, res.Reset.Sub(h.clock.Now()))
		return nil, verify.ErrTooManyCalls
	}
	return c, nil
}

// operation is a route of the table: its operation, binder and recorder.
type operation struct {
	o   api.Operation
	b   *binder
	rec OpRecorder
}

func (h *Handler) serveOperation(op *operation) func(http.ResponseWriter, *http.Request, []string) {
	return func(w http.ResponseWriter, r *http.Request, params []string) {
		start := time.Now()
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		out, err := h.run(r, w.Header(), op, params)
		var status int
		if err != nil {
			status = h.fail(w, r, err)
		} else {
			status = h.writeResult(w, r, op.o.Status, out)
		}
		h.record(r, op, status, time.Since(start))
	}
}

// record counts and logs an answered request.
func (h *Handler) record(r *http.Request, op *operation, status int, d time.Duration) {
	op.rec.Observe(status, d)
	o := op.o
	if status == http.StatusNotImplemented {
		// A feature turned off answers anyone who asks: at most one
		// line per operation a minute, so callers cannot fill the log.
		ok, suppressed := h.quiet.allow(o.ID)
		if ok {
			h.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("op", o.ID), slog.String("method", o.Method), slog.String("route", o.Path),
				slog.Int("status", status), slog.Duration("duration", d), slog.Int("suppressed", suppressed))
		}
		return
	}
	h.log.LogAttrs(r.Context(), levelFor(status), "request",
		slog.String("op", o.ID), slog.String("method", o.Method), slog.String("route", o.Path),
		slog.Int("status", status), slog.Duration("duration", d))
}

func levelFor(status int) slog.Level {
	if serverFault(status) {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// run admits, binds and runs one operation for a request, REST's or an MCP
// tool call's. A verification's negative verdict is its error, and its
// headers go into hdr with the rate-limit state.
func (h *Handler) run(r *http.Request, hdr http.Header, op *operation, params []string) (any, error) {
	ctx := r.Context()
	o := op.o
	var caller *keyway.Caller
	if o.Public {
		// Public operations are the sign-in ones, throttled per address.
		ctx = keyway.WithClientAddress(ctx, h.clientAddress(r))
	} else {
		c, err := h.admit(ctx, hdr, credential(r), o)
		if err != nil {
			return nil, err
		}
		caller = c
	}
	var in any
	if op.b != nil {
		v, err := op.b.bind(r, params)
		if err != nil {
			return nil, err
		}
		in = v
	}
	out, err := o.Call(ctx, caller, in)
	if err != nil {
		return nil, err
	}
	if v, ok := out.(verdict); ok {
		res, answer := v.Verdict()
		h.verdictHeaders(hdr, res)
		if err := res.Err(); err != nil {
			return nil, err
		}
		out = answer
	}
	return out, nil
}

// Invoke runs the operation a request is for in this process, with the
// same admission, binding and validation as REST, and returns its result
// unencoded (an api.List, api.Paged, api.CSV, api.Empty, json.RawMessage
// or a value): MCP tool calls on /mcp come through here. On failure it
// returns the answer's status and the contract's messages.
func (h *Handler) Invoke(r *http.Request) (out any, status int, messages []string) {
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("panic serving a tool call", "method", r.Method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			out, status, messages = nil, http.StatusInternalServerError, []string{"Internal server error"}
		}
	}()
	op, params, err := h.route(r)
	if err == nil {
		start := time.Now()
		if r.Body != nil {
			r.Body = http.MaxBytesReader(nil, r.Body, MaxBodyBytes)
		}
		out, err = h.run(r, http.Header{}, op, params)
		status = op.o.Status
		switch {
		case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
			// As on REST: the caller went away, nobody reads the answer.
			h.record(r, op, statusClientGone, time.Since(start))
			return nil, statusClientGone, []string{"the request was canceled"}
		case err != nil:
			status = StatusOf(keyway.AsError(err).Code)
		}
		h.record(r, op, status, time.Since(start))
	}
	if err != nil {
		if serverFault(StatusOf(keyway.AsError(err).Code)) {
			h.log.Error("request failed", "error", err.Error())
		}
		status, messages = errorMessages(err)
		return nil, status, messages
	}
	return out, status, nil
}

// route finds the operation of a request (not a fast route's shortcut,
// nor a raw route).
func (h *Handler) route(r *http.Request) (*operation, []string, error) {
	rt, params, ok := h.router.match(r.Method, r.URL.EscapedPath())
	if !ok || rt.op == nil {
		return nil, nil, keyway.Errorf(keyway.CodeNotFound, "Cannot %s %s", r.Method, r.URL.RequestURI())
	}
	return rt.op, params, nil
}

// clientAddress is the address a request came from: the connection's peer,
// or, behind a trusted load balancer, the address it reports. Of an
// X-Forwarded-For list only the last entry is the balancer's own word; the
// others are whatever the client sent.
func (h *Handler) clientAddress(r *http.Request) string {
	if h.addressHeader != "" {
		if vs := r.Header.Values(h.addressHeader); len(vs) > 0 {
			last := vs[len(vs)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := strings.TrimSpace(last); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusClientGone is recorded for a request whose client went away
// before it was answered (nginx's 499): not a server failure, and nobody
// reads the answer.
const statusClientGone = 499

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) int {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		h.log.Debug("client went away before the answer", "error", err.Error())
		return statusClientGone
	}
	var e *keyway.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		setRetryAfter(w.Header(), e.RetryAfter)
	}
	status, body := encodeError(err)
	if serverFault(status) {
		h.log.Error("request failed", "error", err.Error())
	}
	writeJSON(w, status, body)
	return status
}

// The shapes of results whose item type a transport does not know
// (api.List, api.Paged, api.Verified).
type (
	listed interface {
		ListPage() (items any, next string)
	}
	paged interface {
		PagedValue() (value any, next string)
	}
	verdict interface {
		Verdict() (verify.Result, any)
	}
)

func (h *Handler) writeResult(w http.ResponseWriter, r *http.Request, status int, out any) int {
	switch v := out.(type) {
	case api.Empty:
		w.Header()["Content-Length"] = []string{"0"}
		w.WriteHeader(status)
		return status
	case json.RawMessage:
		writeJSON(w, status, v)
		return status
	case listed:
		var next string
		if out, next = v.ListPage(); next != "" {
			w.Header().Set("x-next-cursor", next)
		}
	case paged:
		var next string
		if out, next = v.PagedValue(); next != "" {
			w.Header().Set("x-next-cursor", next)
		}
	case api.CSV:
		return h.writeCSV(w, r, status, v)
	}
	body, err := json.Marshal(out)
	if err != nil {
		status, body = encodeError(keyway.Internal(err))
	}
	writeJSON(w, status, body)
	return status
}

// writeCSV streams a CSV result. Once rows are flowing the status is sent,
// so a failure midway aborts the response: the client sees a broken
// transfer, never a CSV that merely looks short, and the log says why.
func (h *Handler) writeCSV(w http.ResponseWriter, r *http.Request, status int, v api.CSV) int {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="usage.csv"`)
	w.WriteHeader(status)
	cw := csv.NewWriter(w)
	err := cw.Write(v.Header)
	if err == nil {
		err = v.Rows(cw.Write)
	}
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil {
		if r.Context().Err() == nil {
			h.log.Error("CSV answer aborted midway", "error", err.Error())
		}
		panic(http.ErrAbortHandler)
	}
	return status
}

// readiness is the answer of /readyz: every check by name.
type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// probeOperations are the routes outside the contract: health probes,
// metrics and the OpenAPI document. They are in the same table so the
// document lists them too; they are not MCP tools.
func (h *Handler) probeOperations(metrics http.Handler) []api.Operation {
	type status struct {
		Status string `json:"status"`
	}
	ops := []api.Operation{
		{ID: "healthz", Method: "GET", Path: "/healthz", Summary: "The process is up", Public: true, Status: 200, Output: reflect.TypeFor[status](),
			Call: func(context.Context, *keyway.Caller, any) (any, error) { return status{"ok"}, nil }},
		{ID: "readyz", Method: "GET", Path: "/readyz", Summary: "The store (and Redis, when configured) answer", Public: true, Status: 200, Output: reflect.TypeFor[readiness](),
			Call: func(ctx context.Context, _ *keyway.Caller, _ any) (any, error) { return h.readiness(ctx) }},
		{ID: "openapi", Method: "GET", Path: "/openapi.json", Summary: "This document", Public: true, Status: 200,
			Call: func(context.Context, *keyway.Caller, any) (any, error) { return json.RawMessage(h.openapi), nil }},
	}
	ops = append(ops, api.Operation{ID: "signupPage", Method: "GET", Path: "/signup", Summary: "Where older invitation emails link to: redirects (303) to the dashboard's sign-up page /ui/signup, keeping the query", Public: true, Status: 303, Raw: signupPage{}})
	if metrics != nil {
		ops = append(ops, api.Operation{ID: "metrics", Method: "GET", Path: "/metrics", Summary: "Prometheus metrics (text exposition format)", Public: true, Status: 200, Raw: metrics})
	}
	return ops
}

// signupPage is where invitation emails sent before the dashboard link
// to: the sign-up page is now the dashboard's, so the link still works.
// The query (the invitation id) is kept; the redirect itself is not
// cached and sends no Referer on.
type signupPage struct{}

func (signupPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	to := "/ui/signup"
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// mcpOperations mount the MCP endpoint. A request without a valid
// credential is refused here, before any MCP exchange; tool calls then act
// with that credential through the REST handler.
func (h *Handler) mcpOperations(serve func(r *http.Request, credential string, c *keyway.Caller) http.Handler) []api.Operation {
	endpoint := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred := credential(r)
		c, _, err := h.authenticate(r.Context(), cred)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		serve(r, cred, c).ServeHTTP(w, r)
	})
	var ops []api.Operation
	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		ops = append(ops, api.Operation{ID: "mcp" + method, Method: method, Path: "/mcp",
			Summary: "Model Context Protocol, streamable HTTP (stateless): every operation as a tool", Status: 200, Raw: endpoint})
	}
	return ops
}

// mayRun is where an MCP server's token is held to the tools it allows, on
// /mcp and on REST alike.
func mayRun(c *keyway.Caller, o api.Operation) bool {
	return c.MCPServer == nil || api.Allows(c.MCPServer.Config, o)
}

// readiness pings every dependency; any failure is a 503 naming the
// failing ones, with causes in the log only.
func (h *Handler) readiness(ctx context.Context) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	r := readiness{Status: "ok", Checks: map[string]string{}}
	var down []string
	for _, c := range h.checks {
		if c.Degraded != nil {
			if why := c.Degraded(); why != "" {
				r.Status, r.Checks[c.Name] = "degraded", why
				continue
			}
			r.Checks[c.Name] = "ok"
			continue
		}
		if err := c.Ping(ctx); err != nil {
			h.log.Error("readiness check failed", "check", c.Name, "error", err.Error())
			r.Checks[c.Name] = "unreachable"
			down = append(down, c.Name)
			continue
		}
		r.Checks[c.Name] = "ok"
	}
	if len(down) > 0 {
		return nil, keyway.Errorf(keyway.CodeUnavailable, "Unreachable: %s", strings.Join(down, ", "))
	}
	return r, nil
}
