package redis

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"

	"github.com/redis/rueidis"

	"github.com/keywayhq/keyway/invalidation"
)

// Bus is an invalidation bus over Redis pub/sub.
type Bus struct {
	c       *Client
	channel string
	log     *slog.Logger
}

// NewBus returns a bus on one pub/sub channel.
func NewBus(c *Client, channel string, log *slog.Logger) *Bus {
	return &Bus{c: c, channel: channel, log: log}
}

func (b *Bus) Publish(ctx context.Context, msg string) error {
	return b.c.rc.Do(ctx, b.c.rc.B().Publish().Channel(b.channel).Message(msg).Build()).Error()
}

// Run subscribes and delivers messages until ctx ends. Any connection error
// ends the subscription (reported as down) and a new one is made, rather
// than letting the client resubscribe silently and hide a gap.
func (b *Bus) Run(ctx context.Context, deliver func(string), up func(bool)) {
	invalidation.Backoff.Repeat(ctx, func(ctx context.Context) bool { return b.subscribe(ctx, deliver, up) })
}

// subscribe runs one subscription on a connection of its own; it reports
// whether the subscription got confirmed. The connection ends when ctx
// does, when it breaks, or when it leaves a heartbeat ping unanswered (see
// Open).
func (b *Bus) subscribe(ctx context.Context, deliver func(string), up func(bool)) bool {
	dc, _ := b.c.rc.Dedicate()
	var confirmed atomic.Bool
	// The hooks run on the connection's reader; ended delivers at most one
	// error, then closes once they can no longer run.
	ended := dc.SetPubSubHooks(rueidis.PubSubHooks{
		OnMessage: func(m rueidis.PubSubMessage) { deliver(m.Message) },
		OnSubscription: func(s rueidis.PubSubSubscription) {
			if s.Kind == "subscribe" && confirmed.CompareAndSwap(false, true) {
				up(true)
			}
		},
	})
	err := dc.Do(ctx, dc.B().Subscribe().Channel(b.channel).Build()).Error()
	if err == nil {
		select {
		case err = <-ended:
		case <-ctx.Done():
		}
	}
	// Closed, not handed back to the pool: a subscribed connection is no
	// use to anyone else. Waiting for ended means no hook reports up after
	// the down below.
	dc.Close()
	for range ended {
	}
	if ctx.Err() == nil {
		if err == nil {
			err = errors.New("connection closed")
		}
		b.log.Warn("redis subscription ended", "error", err.Error())
	}
	if confirmed.Load() {
		up(false)
	}
	return confirmed.Load()
}
