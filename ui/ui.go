// Package ui is the web dashboard under /ui/: server-rendered html/template
// pages over the same service operations REST uses, with the signed-in
// person's own caller, so the dashboard can never do more than that person
// may over REST.
//
// Every action is a plain form POST answered by a redirect (post, redirect,
// get), so the dashboard works without JavaScript; app.js only adds copy
// buttons, confirmations and the chart switch. Templates and assets are
// embedded: nothing is built or fetched at run time.
package ui

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
)

// Service is what the dashboard calls: the service operations, each
// enforcing the caller's role as it does for REST. Each area of the
// dashboard names the operations it uses next to its pages.
type Service interface {
	sessionService
	projectService
	keyService
	webhookService
	teamService
	analyticsService
	accessService
	settingsService
}

// sessionService is signing in and out, first setup and password reset.
type sessionService interface {
	// SessionCaller resolves the session cookie's token to its person
	// (ErrUnauthorized once the session ended or expired).
	SessionCaller(ctx context.Context, token string) (*keyway.Caller, *keyway.Session, error)
	StartSessionWithPassword(ctx context.Context, in *keyway.Login) (keyway.SessionToken, *keyway.Session, error)
	StartSessionWithCode(ctx context.Context, in *keyway.LoginCode) (keyway.SessionToken, *keyway.Session, error)
	EmailLoginCode(ctx context.Context, in *keyway.EmailOTC) error
	EndSession(ctx context.Context, token string) error
	SetupInfo(ctx context.Context, token string) (*keyway.Account, error)
	CompleteSetup(ctx context.Context, in *keyway.Setup) (keyway.SessionToken, *keyway.Session, error)
	RequestPasswordReset(ctx context.Context, in *keyway.EmailOTC) error
	ResetPassword(ctx context.Context, in *keyway.PasswordReset) error
}

// projectService is the account switcher and the projects pages.
type projectService interface {
	ListAccounts(ctx context.Context, c *keyway.Caller) ([]*keyway.Account, error)
	ListProjects(ctx context.Context, c *keyway.Caller, accountID string, page keyway.Page) ([]*keyway.Project, string, error)
	CreateProject(ctx context.Context, c *keyway.Caller, in *keyway.ProjectCreate) (*keyway.Project, error)
	GetProject(ctx context.Context, c *keyway.Caller, id string) (*keyway.Project, error)
	RenameProject(ctx context.Context, c *keyway.Caller, id string, in *keyway.Rename) (*keyway.Project, error)
	DeleteProject(ctx context.Context, c *keyway.Caller, id string) (*keyway.Project, error)
}

// keyService is the API keys pages.
type keyService interface {
	ListAPIKeys(ctx context.Context, c *keyway.Caller, q service.ListAPIKeysQuery) ([]*keyway.APIKey, string, error)
	CreateAPIKey(ctx context.Context, c *keyway.Caller, in *keyway.APIKeyCreate) (*keyway.APIKey, error)
	APIKeyByID(ctx context.Context, c *keyway.Caller, id string) (*keyway.APIKey, error)
	UpdateAPIKey(ctx context.Context, c *keyway.Caller, key string, in *keyway.APIKeyUpdate) (*keyway.APIKey, error)
	RotateAPIKey(ctx context.Context, c *keyway.Caller, key string) (*keyway.APIKey, error)
	DeleteAPIKey(ctx context.Context, c *keyway.Caller, key string) (bool, error)
	ReactivateAPIKey(ctx context.Context, c *keyway.Caller, key string, in *keyway.APIKeyReactivate) (*keyway.APIKey, error)
	RevealAPIKey(ctx context.Context, c *keyway.Caller, id string) (*keyway.APIKey, error)
}

// Config is what the dashboard needs from the application.
type Config struct {
	Service Service
	// PublicURL is where people reach Keyway: its origin is the one
	// state-changing requests must come from, and an https one makes the
	// cookies Secure.
	PublicURL string
	Log       *slog.Logger
	Clock     keyway.Clock
	// System describes the running node for the admins' system page
	// (settings.go); nil shows only its links.
	System func(ctx context.Context) SystemInfo
}

// handler serves the dashboard.
type handler struct {
	svc    Service
	log    *slog.Logger
	clock  keyway.Clock
	origin string // scheme://host of PublicURL, "" when unknown
	secure bool
	pages  *pages
	system func(ctx context.Context) SystemInfo
	// shown holds new keys until their show-once page is opened (keys.go).
	shown *shownKeys
}

// New returns the handler of everything under /ui/.
func New(cfg Config) (http.Handler, error) {
	h := &handler{svc: cfg.Service, log: cfg.Log, clock: cfg.Clock, system: cfg.System, shown: newShownKeys()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.clock == nil {
		h.clock = keyway.SystemClock{}
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, keyway.Errorf(keyway.CodeInvalid, "public URL %q is not an absolute URL", cfg.PublicURL)
		}
		h.origin = strings.ToLower(u.Scheme + "://" + u.Host)
		h.secure = u.Scheme == "https"
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	h.pages = p
	return h.routes(), nil
}

// routes maps every path; a private page goes through h.private, which
// resolves the session.
func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/static/{name}", serveStatic)

	mux.HandleFunc("GET /ui/signin", h.signinPage)
	mux.HandleFunc("POST /ui/signin", h.signin)
	mux.HandleFunc("GET /ui/signin/code", h.codePage)
	mux.HandleFunc("POST /ui/signin/code", h.sendCode)
	mux.HandleFunc("POST /ui/signin/code/verify", h.verifyCode)
	mux.HandleFunc("POST /ui/signout", h.signout)
	mux.HandleFunc("GET /ui/setup", h.setupPage)
	mux.HandleFunc("POST /ui/setup", h.setup)
	mux.HandleFunc("GET /ui/forgot", h.forgotPage)
	mux.HandleFunc("POST /ui/forgot", h.sendReset)
	mux.HandleFunc("POST /ui/forgot/reset", h.resetPassword)

	mux.HandleFunc("GET /ui/{$}", h.private(h.projectsPage))
	mux.HandleFunc("POST /ui/account", h.private(h.switchAccount))
	mux.HandleFunc("GET /ui/projects/new", h.private(h.newProjectPage))
	mux.HandleFunc("POST /ui/projects", h.private(h.createProject))
	mux.HandleFunc("GET /ui/projects/{id}/rename", h.private(h.renameProjectPage))
	mux.HandleFunc("POST /ui/projects/{id}/rename", h.private(h.renameProject))
	mux.HandleFunc("GET /ui/projects/{id}/delete", h.private(h.deleteProjectPage))
	mux.HandleFunc("POST /ui/projects/{id}/delete", h.private(h.deleteProject))

	mux.HandleFunc("GET /ui/projects/{id}/keys", h.private(h.keysPage))
	mux.HandleFunc("GET /ui/projects/{id}/keys/new", h.private(h.newKeyPage))
	mux.HandleFunc("POST /ui/projects/{id}/keys", h.private(h.createKey))
	mux.HandleFunc("GET /ui/keys/{id}", h.private(h.keyPage))
	mux.HandleFunc("GET /ui/keys/{id}/edit", h.private(h.editKeyPage))
	mux.HandleFunc("POST /ui/keys/{id}/edit", h.private(h.editKey))
	mux.HandleFunc("GET /ui/keys/{id}/rotate", h.private(h.confirmKeyPage("rotate")))
	mux.HandleFunc("POST /ui/keys/{id}/rotate", h.private(h.rotateKey))
	mux.HandleFunc("GET /ui/keys/{id}/revoke", h.private(h.confirmKeyPage("revoke")))
	mux.HandleFunc("POST /ui/keys/{id}/revoke", h.private(h.revokeKey))
	mux.HandleFunc("POST /ui/keys/{id}/reactivate", h.private(h.reactivateKey))
	mux.HandleFunc("POST /ui/keys/{id}/reveal", h.private(h.revealKey))

	h.webhookRoutes(mux)
	h.teamRoutes(mux)
	h.analyticsRoutes(mux)
	h.accessRoutes(mux)
	h.settingsRoutes(mux)

	mux.HandleFunc("/ui/", h.notFound)
	return h.guard(mux)
}

// IsBrowser reports whether a request to / is a browser's asking for a page
// (Accept starting with text/html), which is sent to /ui/; API clients keep
// their JSON.
func IsBrowser(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasPrefix(strings.TrimSpace(r.Header.Get("Accept")), "text/html")
}

// Mount serves the dashboard under /ui/ in front of the API: a browser
// opening / (or /ui) is sent to /ui/, everything else goes to api.
func Mount(dashboard, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/ui/"):
			dashboard.ServeHTTP(w, r)
		case r.URL.Path == "/ui" || r.URL.Path == "/" && IsBrowser(r):
			http.Redirect(w, r, "/ui/", http.StatusSeeOther)
		default:
			api.ServeHTTP(w, r)
		}
	})
}
