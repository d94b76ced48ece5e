package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/testkit/redistest"
)

func TestLimiters_EnforceTheBudget(t *testing.T) {
	rdb := redistest.Client(t)
	limiters := map[string]Limiter{
		"memory": NewMemory(),
		"redis":  NewRedis(rdb, redistest.Prefix(t, rdb)),
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
