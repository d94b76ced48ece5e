package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/devenv"
)

// redisClient returns a client of the local Redis; the test fails (it does not skip) without it.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	if !devenv.RedisAnswers(context.Background(), devenv.LocalRedisURL) {
		t.Fatal("no Redis on 127.0.0.1:6379: start it (redis-server --daemonize yes --port 6379 --save '')")
	}
	opts, _ := redis.ParseURL(devenv.LocalRedisURL)
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLimiters_EnforceTheBudget(t *testing.T) {
	limiters := map[string]Limiter{
		"memory": NewMemory(),
		"redis":  NewRedis(redisClient(t), fmt.Sprintf("test%d:", time.Now().UnixNano())),
	}
	budget := config.Rate{Limit: 5, Period: 15 * time.Minute}
	for name, l := range limiters {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			key := fmt.Sprintf("test:%s:%d", name, time.Now().UnixNano())
			for i := 1; i <= 5; i++ {
				res, err := l.Allow(ctx, key, budget)
				if err != nil || !res.Allowed || res.Limit != 5 || res.Remaining != 5-i {
					t.Fatalf("request %d: %+v %v", i, res, err)
				}
			}
			res, err := l.Allow(ctx, key, budget)
			if err != nil || res.Allowed || res.Remaining != 0 {
				t.Fatalf("6th request: %+v %v", res, err)
			}
			// One request comes back every 3 minutes.
			if res.RetryAfter < 2*time.Minute || res.RetryAfter > 3*time.Minute {
				t.Fatalf("RetryAfter = %v, want about 3m", res.RetryAfter)
			}
			other, _ := l.Allow(ctx, key+":other", budget)
			if !other.Allowed {
				t.Fatal("another key shares the budget")
			}
		})
	}
}

type failing struct{}

func (failing) Allow(context.Context, string, config.Rate) (Result, error) {
	return Result{}, errors.New("redis down")
}

func TestFallback_LimitsInMemoryWhileThePrimaryFails(t *testing.T) {
	f := &Fallback{Primary: failing{}, Secondary: NewMemory(), Log: slog.New(slog.DiscardHandler)}
	budget := config.Rate{Limit: 2, Period: time.Minute}
	for i, want := range []bool{true, true, false} {
		res, err := f.Allow(context.Background(), "k", budget)
		if err != nil || res.Allowed != want {
			t.Fatalf("request %d: %+v %v", i+1, res, err)
		}
	}
}
