// Package redistest gives tests a client of the local Redis and key prefixes of their own,
// whose keys are deleted when the test ends.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/platform/devenv"
)

// Client returns a client of the local Redis, closed when the test ends. The test fails (it
// does not skip) when Redis does not answer.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	if !devenv.RedisAnswers(context.Background(), devenv.LocalRedisURL) {
		tb.Fatal("no Redis on 127.0.0.1:6379: start it (redis-server --daemonize yes --port 6379 --save '')")
	}
	opts, err := redis.ParseURL(devenv.LocalRedisURL)
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewClient(opts)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a key prefix no other test uses ("test-<random>:") and deletes every key
// under it through c when the test ends.
func Prefix(tb testing.TB, c *redis.Client) string {
	tb.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "test-" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			_ = c.Del(ctx, keys...).Err()
		}
	})
	return prefix
}
