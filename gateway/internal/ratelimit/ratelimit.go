// Package ratelimit counts requests against budgets (N per period) per key: in Redis, shared by
// every gateway replica (GCRA, through go-redis/redis_rate), or in this process's memory when
// there is no Redis or it fails.
package ratelimit

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/storefront/storefront/platform/config"
)

// Result is the outcome of one request against a budget.
type Result struct {
	Allowed    bool
	Limit      int
	Remaining  int
	RetryAfter time.Duration // when not allowed: how long until one request is allowed again
}

// Limiter takes one request from the budget of key. Keys of different budgets must differ.
type Limiter interface {
	Allow(ctx context.Context, key string, budget config.Rate) (Result, error)
}

// Redis is a Limiter shared through Redis.
type Redis struct {
	limiter *redis_rate.Limiter
	prefix  string
}

// NewRedis returns a Limiter on client whose keys start with prefix.
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{limiter: redis_rate.NewLimiter(client), prefix: prefix}
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, budget config.Rate) (Result, error) {
	// The budget is part of the key: a changed budget starts afresh instead of inheriting a
	// state computed under other parameters.
	res, err := r.limiter.Allow(ctx, r.prefix+"rl:"+budget.String()+":"+key, redis_rate.Limit{Rate: budget.Limit, Burst: budget.Limit, Period: budget.Period})
	if err != nil {
		return Result{}, err
	}
	out := Result{Allowed: res.Allowed > 0, Limit: budget.Limit, Remaining: res.Remaining}
	if !out.Allowed {
		out.RetryAfter = res.RetryAfter
	}
	return out, nil
}

// Memory is a Limiter in this process (token buckets, burst = the budget's count).
type Memory struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	calls   int
}

// NewMemory returns an empty in-memory Limiter.
func NewMemory() *Memory { return &Memory{buckets: map[string]*rate.Limiter{}} }

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, budget config.Rate) (Result, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	b, ok := m.buckets[key]
	if !ok {
		b = rate.NewLimiter(rate.Every(budget.Period/time.Duration(budget.Limit)), budget.Limit)
		m.buckets[key] = b
	}
	res := Result{Limit: budget.Limit}
	if b.AllowN(now, 1) {
		res.Allowed = true
	} else {
		r := b.ReserveN(now, 1)
		res.RetryAfter = r.DelayFrom(now)
		r.CancelAt(now)
	}
	res.Remaining = int(math.Max(0, math.Floor(b.TokensAt(now))))
	return res, nil
}

// sweep drops full buckets now and then, so idle keys do not pile up.
func (m *Memory) sweep(now time.Time) {
	m.calls++
	if m.calls%4096 != 0 {
		return
	}
	for k, b := range m.buckets {
		if b.TokensAt(now) >= float64(b.Burst()) {
			delete(m.buckets, k)
		}
	}
}

// Fallback uses Primary, and Secondary while Primary fails (logged once per outage), so a
// Redis outage neither blocks the store nor lifts its limits.
type Fallback struct {
	Primary   Limiter
	Secondary Limiter
	Log       *slog.Logger

	mu   sync.Mutex
	down bool
}

// Allow implements Limiter.
func (f *Fallback) Allow(ctx context.Context, key string, budget config.Rate) (Result, error) {
	res, err := f.Primary.Allow(ctx, key, budget)
	f.mu.Lock()
	wasDown := f.down
	f.down = err != nil
	f.mu.Unlock()
	if err == nil {
		if wasDown {
			f.Log.InfoContext(ctx, "rate limits shared through redis again")
		}
		return res, nil
	}
	if !wasDown {
		f.Log.WarnContext(ctx, "redis rate limiter failing; limiting in memory", "err", err)
	}
	return f.Secondary.Allow(ctx, key, budget)
}
