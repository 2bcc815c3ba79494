// Package pgnotify is an invalidation bus over PostgreSQL LISTEN/NOTIFY,
// for clusters that run without Redis.
package pgnotify

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keywayhq/keyway/invalidation"
)

// Bus publishes with NOTIFY and receives on a dedicated LISTEN connection.
type Bus struct {
	url     string
	channel string
	pool    *pgxpool.Pool
	log     *slog.Logger
}

// Open connects the publishing pool; Run opens the listening connection.
func Open(ctx context.Context, url string, log *slog.Logger) (*Bus, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgnotify: %w", err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgnotify: %w", err)
	}
	// NOTIFY channels are per database, but a deployment is a schema:
	// name the channel after it so deployments sharing a database (and
	// test runs) do not hear each other.
	var schema string
	if err := pool.QueryRow(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgnotify: %w", err)
	}
	channel := fmt.Sprintf("keyway_invalidate_%08x", crc32.ChecksumIEEE([]byte(schema)))
	return &Bus{url: url, channel: channel, pool: pool, log: log}, nil
}

func (b *Bus) Close() { b.pool.Close() }

func (b *Bus) Publish(ctx context.Context, msg string) error {
	_, err := b.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, b.channel, msg)
	return err
}

// heartbeat bounds how long a silently dead listening connection goes
// unnoticed: an idle wait ends this often and the connection is pinged.
const heartbeat = time.Second

// Run listens until ctx ends, reconnecting with backoff.
func (b *Bus) Run(ctx context.Context, deliver func(string), up func(bool)) {
	invalidation.Backoff.Repeat(ctx, func(ctx context.Context) bool { return b.listen(ctx, deliver, up) })
}

// listen runs one LISTEN session; it reports whether it got established.
func (b *Bus) listen(ctx context.Context, deliver func(string), up func(bool)) bool {
	conn, err := pgx.Connect(ctx, b.url)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("postgres listen connection failed", "error", err.Error())
		}
		return false
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+b.channel); err != nil {
		if ctx.Err() == nil {
			b.log.Warn("postgres LISTEN failed", "error", err.Error())
		}
		return false
	}
	up(true)
	defer up(false)
	for {
		wait, cancel := context.WithTimeout(ctx, heartbeat)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			deliver(n.Payload)
		case ctx.Err() != nil:
			return true
		case errors.Is(err, context.DeadlineExceeded):
			pingCtx, cancel := context.WithTimeout(ctx, heartbeat)
			err := conn.Ping(pingCtx)
			cancel()
			if err != nil {
				b.log.Warn("postgres listen connection lost", "error", err.Error())
				return true
			}
		default:
			b.log.Warn("postgres listen connection lost", "error", err.Error())
			return true
		}
	}
}
