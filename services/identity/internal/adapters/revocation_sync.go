package adapters

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/revocation"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// RevocationSync rewrites the revocation list into Redis when Redis has lost it (restart,
// eviction): it watches the sentinel and, when it is missing, replays the revocations of the
// last access-token lifetime from the event store, then sets the sentinel again.
type RevocationSync struct {
	Redis    *redis.Client
	Keys     revocation.Keys
	Events   es.LogReader
	Registry *events.Registry
	Log      *slog.Logger
	Every    time.Duration
}

// Run checks every r.Every until ctx ends.
func (r RevocationSync) Run(ctx context.Context) {
	t := time.NewTicker(r.Every)
	defer t.Stop()
	for {
		if err := r.SyncIfLost(ctx); err != nil && ctx.Err() == nil {
			r.Log.WarnContext(ctx, "revocation list not synced; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SyncIfLost replays the revocations unless the sentinel shows the list is complete.
func (r RevocationSync) SyncIfLost(ctx context.Context) error {
	n, err := r.Redis.Exists(ctx, r.Keys.Complete()).Result()
	if err != nil || n == 1 {
		return err
	}
	now := time.Now()
	since := now.Add(-domain.AccessTokenTTL)
	revs := RedisRevocations{Client: r.Redis, Keys: r.Keys}
	count := 0
	var after es.Position
	for {
		evs, err := r.Events.ReadAll(ctx, after, 1000)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			after = ev.Position
			if ev.RecordedAt.Before(since) || !r.Registry.Knows(ev.Type) {
				continue
			}
			m, err := r.Registry.Decode(ev)
			if err != nil {
				return err
			}
			switch e := m.(type) {
			case *identityv1.SessionRevoked:
				err = revs.Revoke(ctx, e.GetSessionId(), ev.RecordedAt.Add(domain.AccessTokenTTL))
				count++
			case *identityv1.PasswordSet:
				if e.GetReason() == "reset" {
					at := time.UnixMicro(e.GetSetAt())
					err = revs.RevokeUser(ctx, e.GetUserId(), at, at.Add(domain.AccessTokenTTL))
					count++
				}
			}
			if err != nil {
				return err
			}
		}
		if len(evs) < 1000 {
			break
		}
	}
	if err := r.Redis.Set(ctx, r.Keys.Complete(), now.UTC().Format(time.RFC3339), 0).Err(); err != nil {
		return fmt.Errorf("set revocation sentinel: %w", err)
	}
	r.Log.InfoContext(ctx, "revocation list written to redis", "revocations", count)
	return nil
}
