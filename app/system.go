package app

import (
	"context"
	"net/url"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/ui"
)

// systemPing bounds each ping the dashboard's system page makes, so a
// dependency that hangs slows the page by this at most.
const systemPing = time.Second

// systemInfo describes this node for the dashboard's system page from what
// Start built: the checks /readyz pings, the database URL (shown without
// its userinfo) and whether Redis or a bus is in use. Nothing is counted
// that the node does not know; the number of nodes is not known here.
func (a *App) systemInfo(checks []httpapi.Check, dbURL string, embedded bool) func(ctx context.Context) ui.SystemInfo {
	return func(ctx context.Context) ui.SystemInfo {
		si := ui.SystemInfo{Version: service.Version, DatabaseURL: withoutUserinfo(dbURL), RedisConfigured: a.cfg.RedisURL != ""}
		for _, c := range checks {
			if c.Pinger == nil {
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, systemPing)
			up := c.Ping(pctx) == nil
			cancel()
			switch c.Name {
			case "database":
				si.DatabaseUp = up
			case "redis":
				si.RedisUp = up
			}
		}
		switch {
		case embedded:
			si.Database = "SQLite (embedded)"
			si.Cluster = "Single node: the embedded database serves one process."
		case a.cfg.RedisURL != "":
			si.Database = "PostgreSQL"
			si.Cluster = "Nodes share PostgreSQL and Redis: rate limits are shared through Redis."
			si.Invalidation = "Redis pub/sub"
		default:
			si.Database = "PostgreSQL"
			si.Cluster = "Nodes share PostgreSQL; without Redis each node keeps its own rate-limit counts."
			si.Invalidation = "PostgreSQL LISTEN/NOTIFY"
		}
		if si.Invalidation != "" {
			si.InvalidationUp = !a.verifier.Stats().Degraded
			if a.broadcaster != nil {
				si.PublishFailures = a.broadcaster.PublishFailures.Load()
			}
		}
		return si
	}
}

// withoutUserinfo is a URL with no user or password (and no secret query
// parameters), for showing where a dependency is.
func withoutUserinfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return keyway.RedactURL(u.String())
}
