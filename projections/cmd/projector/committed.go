package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/platform/projector"
)

// committedCounters publishes, per projection, a counter in Redis that the projector
// increments after every change of the read model became visible (projector.Config.Committed:
// a committed live batch, a generation switch). Readers that cache the read model put the
// counter in their keys (services/catalog's page cache, decision 013), so a change
// invalidates every entry as soon as it can be read. The key is
// <prefix> + projector.CommittedCounterKey(projection), the one spelling its readers use too.
//
// An increment that fails (Redis unavailable) is retried every second until it succeeds:
// until then a cache keeps serving the entries of the counter it knows, at most for their TTL.
type committedCounters struct {
	rdb    *redis.Client
	prefix string
	log    *slog.Logger

	mu      sync.Mutex
	pending map[string]bool
}

func newCommittedCounters(rdb *redis.Client, prefix string, log *slog.Logger) *committedCounters {
	return &committedCounters{rdb: rdb, prefix: prefix, log: log, pending: map[string]bool{}}
}

func (c *committedCounters) key(projection string) string {
	return c.prefix + projector.CommittedCounterKey(projection)
}

// committed is the projector.Config.Committed hook: one INCR, bounded by a short timeout so
// that a slow Redis does not hold the consumer up.
func (c *committedCounters) committed(ctx context.Context, projection string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 200*time.Millisecond)
	defer cancel()
	if err := c.rdb.Incr(ctx, c.key(projection)).Err(); err != nil {
		c.mu.Lock()
		first := !c.pending[projection]
		c.pending[projection] = true
		c.mu.Unlock()
		if first {
			c.log.WarnContext(ctx, "could not bump the read model's commit counter in Redis; retrying every second",
				"projection", projection, "err", err)
		}
	}
}

// retry increments the counters whose increment failed, every second, until ctx ends.
func (c *committedCounters) retry(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		var todo []string
		for p := range c.pending {
			todo = append(todo, p)
		}
		c.mu.Unlock()
		for _, p := range todo {
			ictx, cancel := context.WithTimeout(ctx, time.Second)
			err := c.rdb.Incr(ictx, c.key(p)).Err()
			cancel()
			if err == nil {
				c.mu.Lock()
				delete(c.pending, p)
				c.mu.Unlock()
				c.log.InfoContext(ctx, "read model's commit counter bumped in Redis again", "projection", p)
			}
		}
	}
}
