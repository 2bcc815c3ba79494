// Package redis shares state between Keyway nodes through Redis: the
// rate-limit windows (one atomic Lua script per bucket and round trip, see
// RateLimiter) and the invalidation bus (pub/sub).
//
// It uses rueidis, whose client pipelines every concurrent command on a
// couple of connections instead of queueing callers for a pooled one.
package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/rueidis"

	"github.com/keywayhq/keyway"
)

// Client is a connection to one Redis server, shared by every caller.
type Client struct {
	rc rueidis.Client
	db int
}

// Channel names a pub/sub channel of this deployment. Pub/sub ignores the
// database number, so the channel carries it: deployments on different
// databases of one server do not hear each other.
func (c *Client) Channel(name string) string { return fmt.Sprintf("keyway:%d:%s", c.db, name) }

// heartbeat is how often an idle connection, the subscription included, is
// pinged; one that leaves a ping unanswered for three heartbeats counts as
// lost.
const heartbeat = time.Second

// Open connects to a redis:// or rediss:// URL and checks it answers.
func Open(ctx context.Context, url string) (*Client, error) {
	opt, err := rueidis.ParseURL(url)
	if err != nil {
		// The parser's error may quote the URL, password and all.
		return nil, fmt.Errorf("redis url %s: not a redis://[user:password@]host:port/db URL", keyway.RedactURL(url))
	}
	// One server, as the URL names: no CLUSTER probe, no client-side
	// caching (nothing here reads through it, and it costs a CLIENT
	// TRACKING per connection).
	opt.ForceSingleClient = true
	opt.DisableCache = true
	opt.Dialer.Timeout = 2 * time.Second
	// rueidis pings a connection that has had no reply for a KeepAlive and
	// drops it when the ping is not answered within ConnWriteTimeout: that
	// is the subscription's watchdog.
	opt.Dialer.KeepAlive = heartbeat
	opt.ConnWriteTimeout = 3 * heartbeat
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		if rc != nil {
			rc.Close()
		}
		return nil, fmt.Errorf("redis: %w", err)
	}
	c := &Client{rc: rc, db: opt.SelectDB}
	if err := c.Ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) Ping(ctx context.Context) error {
	if err := c.rc.Do(ctx, c.rc.B().Ping().Build()).Error(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

func (c *Client) Close() error {
	c.rc.Close()
	return nil
}
