// Package app assembles a Keyway server from its configuration: store,
// verifier, service, HTTP handler and background work. cmd/keyway only
// parses flags; end-to-end tests start an App on port 0.
package app

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/firebase"
	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/invalidation"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/mailer"
	"github.com/keywayhq/keyway/mcp"
	"github.com/keywayhq/keyway/metrics"
	"github.com/keywayhq/keyway/password"
	"github.com/keywayhq/keyway/pgnotify"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/redis"
	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/usertoken"
	"github.com/keywayhq/keyway/verify"
	"github.com/keywayhq/keyway/webhook"
)

// App is one running Keyway node.
type App struct {
	cfg        Config
	flushEvery time.Duration
	log        *slog.Logger
	stderr     io.Writer
	clock      keyway.Clock

	store     *sqlstore.Store
	svc       *service.Service
	verifier  *verify.Verifier
	limiter   *ratelimit.Memory
	metrics   *metrics.Metrics
	server    *http.Server
	listener  net.Listener
	debugAddr string
	// closers close what Start opened, in reverse order.
	closers []func() error

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
	sealer, err := keycrypt.NewSealer(secret)
	if err != nil {
		return err
	}
	if a.cfg.DatabaseMaxConns < 0 {
		return errors.New("KEYWAY_DATABASE_MAX_CONNS must not be negative")
	}
	store, err := sqlstore.Open(ctx, dbURL, sealer, sqlstore.WithMaxConns(a.cfg.DatabaseMaxConns))
	if err != nil {
		return err
	}
	a.store = store
	a.closers = append(a.closers, store.Close)
	checks := []httpapi.Check{{Name: "database", Pinger: store}}
	a.metrics = metrics.New()

	a.limiter = ratelimit.NewMemory()
	var limiter keyway.RateLimiter = a.limiter
	var bus invalidation.Bus
	if a.cfg.RedisURL != "" {
		rc, err := redis.Open(ctx, a.cfg.RedisURL)
		if err != nil {
			return err
		}
		a.closers = append(a.closers, rc.Close)
		checks = append(checks, httpapi.Check{Name: "redis", Pinger: rc})
		var fallback keyway.RateLimiter
		if a.cfg.RedisOutage == "open" {
			fallback = a.limiter
		}
		rl := redis.NewRateLimiter(rc, fallback, a.log)
		a.metrics.RateLimitStoreErrors(rl.Errors.Load)
		limiter = rl
		bus = redis.NewBus(rc, rc.Channel("invalidate"), a.log)
	} else if !embedded {
		pb, err := pgnotify.Open(ctx, dbURL, a.log)
		if err != nil {
			return err
		}
		a.closers = append(a.closers, func() error { pb.Close(); return nil })
		bus = pb
	}

	cacheBytes, err := humanize.ParseBytes(a.cfg.CacheMaxBytes)
	if err != nil || cacheBytes < 1<<20 || cacheBytes > 1<<40 {
		return fmt.Errorf("KEYWAY_CACHE_MAX_BYTES %q: want a size from 1MiB to 1TiB, like 512MiB", a.cfg.CacheMaxBytes)
	}
	if a.cfg.UsageMaxPending < 0 || a.cfg.CacheRefresh < 0 {
		return errors.New("KEYWAY_USAGE_MAX_PENDING and KEYWAY_CACHE_REFRESH must not be negative")
	}
	a.verifier = verify.New(store, limiter, a.clock, store, verify.Config{
		MaxBytes: int64(cacheBytes), RefreshInterval: a.cfg.CacheRefresh,
		Flush: verify.FlushConfig{MaxPending: a.cfg.UsageMaxPending, OnFlush: a.metrics.UsageFlushes()},
	})
	a.closers = append(a.closers, func() error { a.verifier.Close(); return nil })
	checks = append(checks, httpapi.Check{Name: "usage", Degraded: a.verifier.FlushFailing})
	a.metrics.Verifier(a.verifier)
	var invalidator keyway.Invalidator = a.verifier
	a.bg, a.stopBG = context.WithCancel(context.Background())
	if bus != nil {
		// Several nodes share the store: changes travel to the others.
		b := invalidation.New(a.verifier, bus, newNodeID(), a.log)
		a.metrics.PublishFailures(b.PublishFailures.Load)
		a.verifier.SetPeerSync(b.Sync)
		invalidator = b
		a.bgDone.Add(1)
		go func() {
			defer a.bgDone.Done()
			b.Run(a.bg)
		}()
	}
	// The key filter is built in the background: until it is, unknown
	// keys are read from the store, so a node with many keys is ready at
	// once.
	a.bgDone.Add(1)
	go func() {
		defer a.bgDone.Done()
		a.verifier.RunFilter(a.bg, verify.FilterConfig{}, a.log)
	}()
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
	ops = api.Operations(svc, a.verifier)
	tools, err := mcp.Tools(ops)
	if err != nil {
		return err
	}
	// Tool calls on /mcp go through the REST handler itself, which exists
	// only once built: self is set right after.
	var self http.Handler
	local := mcp.Local{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { self.ServeHTTP(w, r) })}
	handler, err := httpapi.New(httpapi.Config{
		Ops: ops, Verifier: a.verifier, Checks: checks,
		Log: a.log, Clock: a.clock, Version: service.Version,
		Instrument: a.metrics, Metrics: a.metrics.Handler(), Users: svc.UserCaller,
		ClientAddressHeader: a.cfg.ClientAddressHeader,
		MCP: func(r *http.Request, credential string, c *keyway.Caller) http.Handler {
			offered := tools
			if c.MCPServer != nil {
				offered = nil
				for _, t := range tools {
					if api.Allows(c.MCPServer.Config, t.Op) {
						offered = append(offered, t)
					}
				}
			}
			b := mcp.Backend{Doer: local, Header: "Authorization", Credential: "Bearer " + credential, RemoteAddr: r.RemoteAddr}
			if name := a.cfg.ClientAddressHeader; name != "" {
				b.Forward = http.Header{http.CanonicalHeaderKey(name): r.Header.Values(name)}
			}
			return mcp.HTTPHandler(offered, b, service.Version)
		},
		MCPServers:    svc.MCPServerCaller,
		Authenticated: authenticated,
	})
	if err != nil {
		return err
	}
	self = handler
	a.server = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.serveErr = make(chan error, 1)
	go func() { a.serveErr <- a.server.Serve(ln) }()

	a.bgDone.Add(1)
	go func() {
		defer a.bgDone.Done()
		a.verifier.RunFlusher(a.bg, a.flushEvery, a.log)
	}()
	a.bgDone.Add(1)
	go a.sweepLimits()
	a.bgDone.Add(1)
	go a.noticeExpiringKeys()
	a.bgDone.Add(1)
	go a.pruneUsage()
	if err := a.startDebug(); err != nil {
		return err
	}
	a.log.Info("keyway listening", "addr", ln.Addr().String(), "database", keyway.RedactURL(dbURL), "redis", a.cfg.RedisURL != "")
	return nil
}

// startDebug serves the profiler on its own listener, if configured:
// never on the API's, where anyone who reaches the service would reach it.
// A bare port binds loopback.
func (a *App) startDebug() error {
	addr := a.cfg.DebugAddr
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("KEYWAY_DEBUG_ADDR %q: %w", addr, err)
	}
	if host == "" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("debug listener on %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		a.log.Warn("the profiler listens beyond loopback: anyone reaching it can read this process's memory profile", "addr", ln.Addr().String())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.debugAddr = ln.Addr().String()
	go srv.Serve(ln)
	a.closers = append(a.closers, srv.Close)
	return nil
}

// DebugAddr is the profiler's address, "" without one.
func (a *App) DebugAddr() string { return a.debugAddr }

// startWebhooks wires the webhook operations and starts this node's
// dispatcher.
func (a *App) startWebhooks(store *sqlstore.Store) (service.Webhooks, error) {
	allow, err := webhook.ParseAllowNetworks(a.cfg.WebhookAllowNetworks)
	if err != nil {
		return service.Webhooks{}, fmt.Errorf("KEYWAY_WEBHOOK_ALLOW_NETWORKS: %w", err)
	}
	base, maxDelay, timeout := a.cfg.WebhookRetryBase, a.cfg.WebhookRetryMax, a.cfg.WebhookTimeout
	if base <= 0 || maxDelay < base || timeout <= 0 || a.cfg.WebhookMaxAttempts < 0 {
		return service.Webhooks{}, errors.New("webhook settings: retry base, timeout and attempts must be positive, and retry max at least the base")
	}
	guard := webhook.NewGuard(allow, nil)
	sender := webhook.NewSender(guard, timeout)
	// Backoff counts retries; the setting counts sends.
	backoff := webhook.Backoff{Base: base, Max: maxDelay, MaxAttempts: a.cfg.WebhookMaxAttempts - 1}
	if a.cfg.WebhookMaxAttempts == 0 {
		backoff.MaxAttempts = webhook.AttemptsFor(backoff.Base, backoff.Max, webhook.RetryWindow)
	}
	d := webhook.NewDispatcher(store, sender, a.clock, backoff, a.log)
	// The lease outlasts one send (the timeout) with room to record it; a
	// crashed node's claims come back after it.
	d.Lease = timeout + 10*time.Second
	d.FailingAfter = a.cfg.WebhookFailingAfter
	a.metrics.Webhooks(&d.Delivered, &d.Retried, &d.GaveUp)
	store.OnEvents(d.Wake)
	a.bgDone.Add(1)
	go func() {
		defer a.bgDone.Done()
		d.Run(a.bg)
	}()
	return service.Webhooks{Store: store, Guard: guard, Pinger: webhook.Pinger{Sender: sender, Clock: a.clock}}, nil
}

// people configures sign-in and email. Without SMTP, email goes to the log
// with its secrets masked, except in the embedded default, where a person
// trying Keyway on their machine reads the sign-in code there.
func (a *App) people(embedded bool, secret []byte) (service.People, error) {
	var sender mailer.Sender = mailer.LogSender{Log: a.log, ShowSecrets: embedded && a.cfg.DatabaseURL == ""}
	if a.cfg.SMTPURL != "" {
		smtp, err := mailer.NewSMTP(a.cfg.SMTPURL, a.cfg.MailFrom)
		if err != nil {
			return service.People{}, fmt.Errorf("KEYWAY_SMTP_URL: %w", err)
		}
		sender = smtp
	}
	queue := mailer.NewQueue(sender, mailer.QueueOptions{Log: a.log})
	a.closers = append(a.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return queue.Close(ctx)
	})
	codeKey, err := keycrypt.DeriveKey(secret, "login-code")
	if err != nil {
		return service.People{}, err
	}
	if a.cfg.PasswordHashSlots < 0 {
		return service.People{}, errors.New("KEYWAY_PASSWORD_HASH_SLOTS must not be negative")
	}
	hasher := password.NewHasher(password.Default, a.cfg.PasswordHashSlots)
	a.log.Info("password hashing bounded", "slots", hasher.Slots(), "queue", hasher.Queue(), "maxMemoryMiB", hasher.MaxMemory()>>20)
	p := service.People{
		Passwords: hasher, Mail: queue, CodeKey: codeKey,
		PublicURL:    cmp.Or(a.cfg.PublicURL, "http://"+a.listener.Addr().String()),
		AddressLimit: keyway.RateLimit{RateLimit: a.cfg.SigninAddressLimit, RateLimitTTL: 15 * 60},
	}
	if a.cfg.FirebaseProjectID != "" {
		v, err := firebase.New(firebase.Options{ProjectID: a.cfg.FirebaseProjectID, CertsURL: a.cfg.FirebaseCertsURL, Now: a.clock.Now})
		if err != nil {
			return service.People{}, fmt.Errorf("KEYWAY_FIREBASE_PROJECT_ID: %w", err)
		}
		p.Firebase = v
	}
	return p, nil
}

// noticeExpiringKeys writes the notifications of keys about to expire, at
// start and then every ExpiryNoticeInterval; several nodes running it
// write each notice once (the store decides).
func (a *App) noticeExpiringKeys() {
	defer a.bgDone.Done()
	t := time.NewTicker(a.cfg.ExpiryNoticeInterval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(a.bg, time.Minute)
		if _, err := a.svc.NotifyExpiringKeys(ctx); err != nil && a.bg.Err() == nil {
			a.log.Error("expiring-key notices failed; will retry", "error", err.Error())
		}
		cancel()
		select {
		case <-a.bg.Done():
			return
		case <-t.C:
		}
	}
}

// pruneUsage deletes usage buckets past their level's retention, at start
// and then hourly. Every node may run it: deleting twice is harmless.
func (a *App) pruneUsage() {
	defer a.bgDone.Done()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		now := a.clock.Now()
		for _, r := range []struct {
			level keyway.UsageLevel
			keep  time.Duration
		}{{keyway.UsageByMinute, a.cfg.UsageMinuteRetention}, {keyway.UsageByHour, a.cfg.UsageHourRetention}, {keyway.UsageByDay, a.cfg.UsageDayRetention}} {
			if r.keep <= 0 {
				continue
			}
			ctx, cancel := context.WithTimeout(a.bg, time.Minute)
			if _, err := a.store.PruneUsage(ctx, r.level, now.Add(-r.keep)); err != nil && a.bg.Err() == nil {
				a.log.Error("pruning usage failed; will retry", "level", string(r.level), "error", err.Error())
			}
			cancel()
		}
		ctx, cancel := context.WithTimeout(a.bg, time.Minute)
		if _, err := a.store.PruneUsageChunks(ctx, now.Add(-24*time.Hour)); err != nil && a.bg.Err() == nil {
			a.log.Error("pruning usage chunk ids failed; will retry", "error", err.Error())
		}
		cancel()
		select {
		case <-a.bg.Done():
			return
		case <-t.C:
		}
	}
}

// newNodeID names this process on the invalidation bus, so it can skip its
// own messages.
func newNodeID() string { return keycrypt.RandomString(12) }

// Addr is the address the server listens on (useful with port 0).
func (a *App) Addr() string { return a.listener.Addr().String() }

// URL is the server's base URL.
func (a *App) URL() string { return "http://" + a.Addr() }

// Wait blocks until the server stops on its own (an error) or ctx ends.
func (a *App) Wait(ctx context.Context) error {
	select {
	case err := <-a.serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

// Close stops accepting connections, lets in-flight requests finish (up to
// ctx's deadline), flushes buffered usage and closes the store. Later calls
// return the first call's result.
func (a *App) Close(ctx context.Context) error {
	a.closeOnce.Do(func() { a.closeErr = a.close(ctx) })
	return a.closeErr
}

func (a *App) close(ctx context.Context) error {
	var errs []error
	if a.server != nil {
		if err := a.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown http: %w", err))
		}
	}
	if a.stopBG != nil {
		a.stopBG()
		a.bgDone.Wait()
	}
	if a.verifier != nil {
		if err := a.finalFlush(ctx); err != nil {
			errs = append(errs, fmt.Errorf("flush usage: %w", err))
		}
	}
	if err := a.closeAll(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// closeAll closes what Start opened, last first.
func (a *App) closeAll() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	return errors.Join(errs...)
}

// sweepLimits forgets the in-memory rate-limit windows that ended, each
// flush interval.
func (a *App) sweepLimits() {
	defer a.bgDone.Done()
	t := time.NewTicker(a.flushEvery)
	defer t.Stop()
	for {
		select {
		case <-a.bg.Done():
			return
		case <-t.C:
			a.limiter.Sweep(a.clock.Now())
		}
	}
}

// finalFlushStall is how long a stopping node keeps retrying its flush
// without a single chunk written before it gives up. It has no overall
// deadline: a node stopped with a large backlog writes it all as long as
// the database takes it, and the HTTP drain's deadline does not cut it.
const finalFlushStall = 30 * time.Second

// finalFlush writes every count before the store closes, retrying a store
// that fails; counts are lost only when the store has taken nothing for
// finalFlushStall, and that is logged with how many.
func (a *App) finalFlush(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	wait, progress, written := 100*time.Millisecond, time.Now(), a.verifier.FlushStats().Rows
	for {
		err := a.verifier.Flush(ctx)
		if err == nil {
			return nil
		}
		st := a.verifier.FlushStats()
		if st.Rows > written {
			written, progress, wait = st.Rows, time.Now(), 100*time.Millisecond
		}
		if time.Since(progress) > finalFlushStall {
			a.log.Error("stopping with usage unwritten: the database took nothing for 30 s", "error", err.Error(), "pending_rows", st.Pending)
			return err
		}
		a.log.Error("final usage flush failed; retrying", "error", err.Error(), "pending_rows", st.Pending)
		time.Sleep(wait)
		wait = min(2*wait, 2*time.Second)
	}
}

// secret returns the sealing secret: KEYWAY_SECRET_KEY, or in embedded mode
// one generated once into the data dir.
func (a *App) secret(dataDir string, embedded bool) ([]byte, error) {
	if a.cfg.SecretKey != "" {
		b, err := keycrypt.ParseSecret(a.cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("KEYWAY_SECRET_KEY: %w", err)
		}
		return b, nil
	}
	if !embedded {
		return nil, errors.New("KEYWAY_SECRET_KEY must be set when the database is not the embedded SQLite")
	}
	path := filepath.Join(dataDir, "secret.key")
	if data, err := os.ReadFile(path); err == nil {
		b, err := keycrypt.ParseSecret(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return b, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	b := keycrypt.NewSecret()
	// O_EXCL: two processes starting on one data dir must not both write one.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	if _, err := fmt.Fprintln(f, base64.StdEncoding.EncodeToString(b)); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write secret: %w", err)
	}
	a.log.Info("generated a sealing secret", "path", path)
	return b, nil
}

// bootstrap creates the first account and access key of an empty store.
// A generated key is shown once in a framed block on stderr, apart from
// the log; with the embedded database it is also written to
// <data dir>/first-start.txt (0600) until its first use, which the
// returned firstStart watches for. A later start whose file is still there
// watches for it again; nil when there is nothing to watch.
func (a *App) bootstrap(ctx context.Context, svc *service.Service, dataDir string, embedded bool, publicURL string) (*firstStart, error) {
	k, err := svc.Bootstrap(ctx, a.cfg.BootstrapAccessKey)
	if err != nil {
		return nil, err
	}
	if k == nil {
		if !embedded {
			return nil, nil
		}
		return readFirstStart(dataDir, a.log)
	}
	a.log.Info("bootstrapped an empty store", "accountId", k.AccountID)
	if a.cfg.BootstrapAccessKey != "" {
		// The operator chose the key: nothing to show.
		return nil, nil
	}
	path := ""
	if embedded {
		path = filepath.Join(dataDir, FirstStartFile)
	}
	block := firstStartBlock(k.AccountID, k.Key.Reveal(), publicURL, path)
	// Printed to stderr only, never to the log.
	fmt.Fprint(a.stderr, block)
	if path == "" {
		return nil, nil
	}
	if err := writeFirstStart(path, block); err != nil {
		return nil, err
	}
	return &firstStart{path: path, key: k.Key.Reveal(), log: a.log}, nil
}

// Handler is the server's HTTP handler, for in-process benchmarks.
func (a *App) Handler() http.Handler { return a.server.Handler }
