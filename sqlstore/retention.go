package sqlstore

import (
	"context"
	"log/slog"
	"time"

	"github.com/keywayhq/keyway"
)

// UsageRetention is how long each level of usage is kept; zero or less
// keeps that level forever.
type UsageRetention struct {
	Minute, Hour, Day time.Duration
}

// pruneEvery is how often usage past its retention is deleted: retention
// is counted in days, so an hour late is soon enough.
const pruneEvery = time.Hour

// usageChunkKeep is how long the ids of flushed chunks are kept; a flusher
// settles a chunk within minutes.
const usageChunkKeep = 24 * time.Hour

// RunUsagePruning deletes usage buckets past their level's retention, and
// old chunk ids, at once and then hourly until ctx ends. Every node may
// run it: deleting twice is harmless.
func (s *Store) RunUsagePruning(ctx context.Context, r UsageRetention, clock keyway.Clock, log *slog.Logger) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		now := clock.Now()
		for _, l := range []struct {
			level keyway.UsageLevel
			keep  time.Duration
		}{{keyway.UsageByMinute, r.Minute}, {keyway.UsageByHour, r.Hour}, {keyway.UsageByDay, r.Day}} {
			if l.keep <= 0 {
				continue
			}
			run, cancel := context.WithTimeout(ctx, time.Minute)
			if _, err := s.PruneUsage(run, l.level, now.Add(-l.keep)); err != nil && ctx.Err() == nil {
				log.Error("pruning usage failed; will retry", "level", string(l.level), "error", err.Error())
			}
			cancel()
		}
		run, cancel := context.WithTimeout(ctx, time.Minute)
		if _, err := s.PruneUsageChunks(run, now.Add(-usageChunkKeep)); err != nil && ctx.Err() == nil {
			log.Error("pruning usage chunk ids failed; will retry", "error", err.Error())
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
