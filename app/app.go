// Package app assembles a Keyway server from its configuration: store,
// verifier, service, HTTP handler and background work. cmd/keyway only
// parses flags; end-to-end tests start an App on port 0.
package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/verify"
)

// Config is every setting of `keyway serve`. The struct tags are read by
// kong in cmd/keyway: flags win over environment variables.
type Config struct {
	Addr        string `default:"127.0.0.1:8080" env:"KEYWAY_ADDR" help:"Address to listen on."`
	DataDir     string `default:"./keyway-data" env:"KEYWAY_DATA_DIR" help:"Directory for the embedded database and generated secret."`
	DatabaseURL string `env:"KEYWAY_DATABASE_URL" help:"sqlite:///abs/path.db (default: keyway.db in the data dir)."`
	LogLevel    string `default:"info" enum:"debug,info,warn,error" env:"KEYWAY_LOG_LEVEL" help:"debug, info, warn or error."`
	// ShutdownTimeout bounds how long in-flight requests may take to finish.
	ShutdownTimeout time.Duration `default:"30s" env:"KEYWAY_SHUTDOWN_TIMEOUT" help:"How long to wait for in-flight requests on shutdown."`
	// Secrets are read from the environment only, so they never show in a
	// process listing.
	SecretKey          string `kong:"-"`
	BootstrapAccessKey string `kong:"-"`
}

// FromEnv fills the environment-only settings.
func (c *Config) FromEnv() {
	c.SecretKey = os.Getenv("KEYWAY_SECRET_KEY")
	c.BootstrapAccessKey = os.Getenv("KEYWAY_BOOTSTRAP_ACCESS_KEY")
}

// App is one running Keyway node.
type App struct {
	cfg    Config
	log    *slog.Logger
	stderr io.Writer
	clock  keyway.Clock

	store    *sqlstore.Store
	verifier *verify.Verifier
	limiter  *ratelimit.Memory
	server   *http.Server
	listener net.Listener

	stop     chan struct{}
	bgDone   sync.WaitGroup
	serveErr chan error

	closeOnce sync.Once
	closeErr  error
}

// FlushInterval is how often buffered usage is written to the store.
const FlushInterval = 5 * time.Second

// Options are the App's collaborators; zero values take the defaults.
type Options struct {
	// Log receives the JSON log (default: discarded).
	Log *slog.Logger
	// Stderr receives the one-time bootstrap credential (default: os.Stderr).
	Stderr io.Writer
	// Clock drives expiry and rate-limit windows (default: the wall clock).
	Clock keyway.Clock
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
	return &App{cfg: cfg, log: opts.Log, stderr: opts.Stderr, clock: opts.Clock}
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
func (a *App) Start(ctx context.Context) error {
	dataDir, err := filepath.Abs(a.cfg.DataDir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	dbURL := a.cfg.DatabaseURL
	if dbURL == "" {
		dbURL = "sqlite://" + filepath.ToSlash(filepath.Join(dataDir, "keyway.db"))
	}
	secret, err := a.secret(dataDir, strings.HasPrefix(dbURL, "sqlite:"))
	if err != nil {
		return err
	}
	sealer, err := keycrypt.NewSealer(secret)
	if err != nil {
		return err
	}
	store, err := sqlstore.Open(ctx, dbURL, sealer)
	if err != nil {
		return err
	}
	a.store = store
	a.limiter = ratelimit.NewMemory()
	a.verifier = verify.New(store, a.limiter, a.clock, store, verify.Config{})
	svc := service.New(store, a.verifier, a.clock)

	if err := a.bootstrap(ctx, svc); err != nil {
		store.Close()
		return err
	}
	handler, err := httpapi.New(api.Operations(svc, a.verifier), a.verifier, store, a.log, a.clock, service.Version)
	if err != nil {
		store.Close()
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		store.Close()
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.listener = ln
	a.server = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.serveErr = make(chan error, 1)
	go func() { a.serveErr <- a.server.Serve(ln) }()

	a.stop = make(chan struct{})
	a.bgDone.Add(1)
	go a.background()
	a.log.Info("keyway listening", "addr", ln.Addr().String(), "database", redactURL(dbURL))
	return nil
}

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
	if a.stop != nil {
		close(a.stop)
		a.bgDone.Wait()
	}
	if a.verifier != nil {
		if err := a.verifier.Flush(ctx); err != nil {
			errs = append(errs, fmt.Errorf("flush usage: %w", err))
		}
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (a *App) background() {
	defer a.bgDone.Done()
	t := time.NewTicker(FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), FlushInterval)
			if err := a.verifier.Flush(ctx); err != nil {
				a.log.Error("flush usage failed; will retry", "error", err.Error())
			}
			cancel()
			a.limiter.Sweep(a.clock.Now())
		}
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

func (a *App) bootstrap(ctx context.Context, svc *service.Service) error {
	k, err := svc.Bootstrap(ctx, a.cfg.BootstrapAccessKey)
	if err != nil || k == nil {
		return err
	}
	a.log.Info("bootstrapped an empty store", "accountId", k.AccountID)
	if a.cfg.BootstrapAccessKey == "" {
		// Printed once, to stderr only, never to the log.
		fmt.Fprintf(a.stderr, "Keyway created account %s and its first access key (shown only now):\n  %s\n", k.AccountID, k.Key)
	}
	return nil
}

// redactURL drops credentials from a database URL before logging it.
func redactURL(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}

// Handler is the server's HTTP handler, for in-process benchmarks.
func (a *App) Handler() http.Handler { return a.server.Handler }
