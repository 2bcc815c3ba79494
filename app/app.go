// Package app assembles a Keyway server from its configuration: store,
// verifier, service, HTTP handler and background work. cmd/keyway only
// parses flags; end-to-end tests start an App on port 0.
package app

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/invalidation"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/mcp"
	"github.com/keywayhq/keyway/metrics"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/ui"
	"github.com/keywayhq/keyway/usertoken"
	"github.com/keywayhq/keyway/verify"
)

// App is one running Keyway node.
type App struct {
	cfg        Config
	flushEvery time.Duration
	log        *slog.Logger
	stderr     io.Writer
	clock      keyway.Clock

	svc       *service.Service
	verifier  *verify.Verifier
	limiter   *ratelimit.Memory
	metrics   *metrics.Metrics
	server    *http.Server
	listener  net.Listener
	debugAddr string
	// closers close what Start opened, in reverse order.
	closers []func() error
	// broadcaster tells other nodes of changes; nil on a single node.
	broadcaster *invalidation.Broadcaster

	// bg scopes the background work (usage flushes, invalidation bus).
	bg       context.Context
	stopBG   context.CancelFunc
	bgDone   sync.WaitGroup
	serveErr chan error

	closeOnce sync.Once
	closeErr  error
}

// Options are the App's collaborators; zero values take the defaults.
type Options struct {
	// Log receives the JSON log (default: discarded).
	Log *slog.Logger
	// Stderr receives the one-time bootstrap credential (default: os.Stderr).
	Stderr io.Writer
	// Clock drives expiry and rate-limit windows (default: the wall clock).
	Clock keyway.Clock
	// FlushInterval, when set, overrides Config.UsageFlushInterval; tests
	// shorten it.
	FlushInterval time.Duration
}

// New prepares an App; Start opens everything.
func New(cfg Config, opts Options) *App {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Clock == nil {
		opts.Clock = keyway.SystemClock{}
	}
	return &App{cfg: cfg, log: opts.Log, stderr: opts.Stderr, clock: opts.Clock, flushEvery: cmp.Or(opts.FlushInterval, cfg.UsageFlushInterval)}
}

// NewLogger returns the JSON logger for a level name.
func NewLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// Start opens the store, bootstraps an empty one, and starts serving.
func (a *App) Start(ctx context.Context) (err error) {
	if err := a.cfg.check(); err != nil {
		return err
	}
	// Whatever opened before a failure is closed again.
	defer func() {
		if err != nil {
			if a.stopBG != nil {
				a.stopBG()
				a.bgDone.Wait()
			}
			a.closeAll()
			if a.listener != nil {
				a.listener.Close()
			}
		}
	}()
	dataDir, dbURL, err := a.cfg.Database()
	if err != nil {
		return err
	}
	embedded := strings.HasPrefix(dbURL, "sqlite:")
	secret, err := a.secret(dataDir, embedded)
	if err != nil {
		return err
	}
	store, err := a.openStore(ctx, dbURL, secret)
	if err != nil {
		return err
	}
	checks := []httpapi.Check{{Name: "database", Pinger: store}}
	a.metrics = metrics.New()
	limiter, bus, err := a.cluster(ctx, dbURL, embedded, &checks)
	if err != nil {
		return err
	}
	a.bg, a.stopBG = context.WithCancel(context.Background())
	invalidator := a.startVerifier(store, limiter, bus, &checks)
	hooks, err := a.startWebhooks(store)
	if err != nil {
		return err
	}
	tokens, err := usertoken.NewIssuer(secret, usertoken.DefaultTTL, a.clock)
	if err != nil {
		return err
	}
	// Listen before the people settings: links in emails and MCP server
	// urls default to the address actually bound (port 0 in tests).
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.listener = ln
	people, err := a.people(embedded, secret)
	if err != nil {
		return err
	}
	people.Store, people.Groups, people.Tokens, people.Limiter = store, store, tokens, limiter
	// The operations are built over the service, and the service checks
	// tool names against them: ops is set right after.
	var ops []api.Operation
	svc, err := service.New(service.Deps{
		Store: store, Invalidator: invalidator, Clock: a.clock, Usage: store,
		People: people, Webhooks: hooks,
		MCPServers: service.MCPServers{Store: store, PublicURL: people.PublicURL,
			IsTool: func(name string) bool { return api.IsToolName(ops, name) }},
	})
	if err != nil {
		return err
	}
	a.svc = svc
	first, err := a.bootstrap(ctx, svc, dataDir, embedded, people.PublicURL)
	if err != nil {
		return err
	}
	var authenticated func(string, *keyway.Caller)
	if first != nil {
		authenticated = first.authenticated
	}
	ops = api.Bind(api.Backend{Service: svc, Verifier: a.verifier})
	tools, err := mcp.Tools(ops)
	if err != nil {
		return err
	}
	// Tool calls on /mcp run in the handler itself, which exists only once
	// built: self is set right after.
	var self *httpapi.Handler
	servers := mcp.NewServers(tools, invoker(func(r *http.Request) (any, int, []string) { return self.Invoke(r) }), service.Version, a.log)
	handler, err := httpapi.New(httpapi.Config{
		Ops: ops, Verifier: a.verifier, Checks: checks,
		Log: a.log, Clock: a.clock, Version: service.Version,
		Instrument: a.metrics, Metrics: a.metrics.Handler(), Users: svc.UserCaller,
		ClientAddressHeader: a.cfg.ClientAddressHeader,
		MCP: func(r *http.Request, credential string, c *keyway.Caller) http.Handler {
			var allow func(api.Operation) bool
			if c.MCPServer != nil {
				cfg := c.MCPServer.Config
				allow = func(o api.Operation) bool { return api.Allows(cfg, o) }
			}
			f := mcp.Forwarded{Header: "Authorization", Credential: "Bearer " + credential, RemoteAddr: r.RemoteAddr}
			if name := a.cfg.ClientAddressHeader; name != "" {
				f.Forward = http.Header{http.CanonicalHeaderKey(name): r.Header.Values(name)}
			}
			return servers.Handler(f, allow)
		},
		MCPServers:    svc.MCPServerCaller,
		Authenticated: authenticated,
	})
	if err != nil {
		return err
	}
	self = handler
	dashboard, err := ui.New(ui.Config{Service: svc, PublicURL: people.PublicURL, Log: a.log, Clock: a.clock,
		System: a.systemInfo(checks, dbURL, embedded)})
	if err != nil {
		return err
	}
	a.serve(ln, ui.Mount(dashboard, handler))
	a.background(func(ctx context.Context) { a.verifier.RunFlusher(ctx, a.flushEvery, a.log) })
	a.background(func(ctx context.Context) { a.limiter.RunSweeper(ctx, a.flushEvery, a.clock) })
	a.background(func(ctx context.Context) { svc.RunExpiryNotices(ctx, a.cfg.ExpiryNoticeInterval, a.log) })
	retention := sqlstore.UsageRetention{Minute: a.cfg.UsageMinuteRetention, Hour: a.cfg.UsageHourRetention, Day: a.cfg.UsageDayRetention}
	a.background(func(ctx context.Context) { store.RunUsagePruning(ctx, retention, a.clock, a.log) })
	a.background(func(ctx context.Context) { store.RunUsageSummaries(ctx, a.clock, a.log) })
	if err := a.startDebug(); err != nil {
		return err
	}
	a.log.Info("keyway listening", "addr", ln.Addr().String(), "database", keyway.RedactURL(dbURL), "redis", a.cfg.RedisURL != "")
	return nil
}

// openStore opens the database, sealing secrets with secret.
func (a *App) openStore(ctx context.Context, dbURL string, secret []byte) (*sqlstore.Store, error) {
	sealer, err := keycrypt.NewSealer(secret)
	if err != nil {
		return nil, err
	}
	store, err := sqlstore.Open(ctx, dbURL, sealer, sqlstore.WithMaxConns(a.cfg.DatabaseMaxConns))
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, store.Close)
	return store, nil
}

// serve starts the HTTP server on ln.
func (a *App) serve(ln net.Listener, handler http.Handler) {
	a.server = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.serveErr = make(chan error, 1)
	go func() { a.serveErr <- a.server.Serve(ln) }()
}

// background runs work until Close, which waits for it to return.
func (a *App) background(work func(ctx context.Context)) {
	a.bgDone.Add(1)
	go func() {
		defer a.bgDone.Done()
		work(a.bg)
	}()
}

// invoker adapts a function to mcp.Invoker.
type invoker func(r *http.Request) (any, int, []string)

func (f invoker) Invoke(r *http.Request) (any, int, []string) { return f(r) }
