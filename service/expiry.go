package service

import (
	"context"
	"log/slog"
	"time"
)

// RunExpiryNotices writes the notifications of keys about to expire
// (NotifyExpiringKeys), at once and then every interval until ctx ends.
// Several nodes running it write each notice once: the store decides.
func (s *Service) RunExpiryNotices(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		run, cancel := context.WithTimeout(ctx, time.Minute)
		if _, err := s.NotifyExpiringKeys(run); err != nil && ctx.Err() == nil {
			log.Error("expiring-key notices failed; will retry", "error", err.Error())
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
