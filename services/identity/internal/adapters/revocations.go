package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keys of the revocation list, read by the edge (gateway/internal/auth). The sentinel
// says the list is complete: Redis here keeps nothing on disk, so after a restart the list is
// empty and the edge must not trust it until RevocationSync has written it again.
const RevocationsSentinel = "sf:revoked:complete"

func revokedSessionKey(sessionID string) string { return "sf:revoked:session:" + sessionID }
func revokedUserKey(userID string) string       { return "sf:revoked:user:" + userID }

// RedisRevocations writes the revocation list to Redis, with TTLs so it never outgrows the
// tokens it refuses.
type RedisRevocations struct {
	Client *redis.Client
}

// Revoke implements app.Revocations.
func (r RedisRevocations) Revoke(ctx context.Context, sessionID string, until time.Time) error {
	if err := r.Client.Set(ctx, revokedSessionKey(sessionID), "1", time.Until(until)).Err(); err != nil {
		return fmt.Errorf("revoke session in redis: %w", err)
	}
	return nil
}

// RevokeUser implements app.Revocations.
func (r RedisRevocations) RevokeUser(ctx context.Context, userID string, before, until time.Time) error {
	if err := r.Client.Set(ctx, revokedUserKey(userID), before.UnixMicro(), time.Until(until)).Err(); err != nil {
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
