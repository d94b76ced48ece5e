package devenv

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// LocalRedisURL is the Redis server the machine is expected to run.
const LocalRedisURL = "redis://127.0.0.1:6379/0"

// RedisAnswers reports whether a Redis server answers PING at url.
func RedisAnswers(ctx context.Context, url string) bool {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return false
	}
	opts.DialTimeout = 2 * time.Second
	opts.MaxRetries = 0
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return c.Ping(ctx).Err() == nil
}
