package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/platform/revocation"
)

// RedisRevocations writes the revocation list to Redis, with TTLs so it never outgrows the
// tokens it refuses.
type RedisRevocations struct {
	Client *redis.Client
	Keys   revocation.Keys
}

// Revoke implements app.Revocations.
func (r RedisRevocations) Revoke(ctx context.Context, sessionID string, until time.Time) error {
	if err := r.Client.Set(ctx, r.Keys.Session(sessionID), "1", time.Until(until)).Err(); err != nil {
		return fmt.Errorf("revoke session in redis: %w", err)
	}
	return nil
}

// RevokeUser implements app.Revocations.
func (r RedisRevocations) RevokeUser(ctx context.Context, userID string, before, until time.Time) error {
	if err := r.Client.Set(ctx, r.Keys.User(userID), before.UnixMicro(), time.Until(until)).Err(); err != nil {
		return fmt.Errorf("revoke user's tokens in redis: %w", err)
	}
	return nil
}

// NoRevocations is used without Redis: the edge then asks identity about each token's session
// (CheckSession), which answers from the event store, so there is nothing to write.
type NoRevocations struct{}

// Revoke implements app.Revocations.
func (NoRevocations) Revoke(context.Context, string, time.Time) error { return nil }

// RevokeUser implements app.Revocations.
func (NoRevocations) RevokeUser(context.Context, string, time.Time, time.Time) error { return nil }
