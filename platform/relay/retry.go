package relay

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"
)

// retrier paces the retries of one operation with exponential backoff and logs each streak
// of failures once: a warning at its first failure, a note when the operation succeeds again.
// It is used by one goroutine.
type retrier struct {
	log      *slog.Logger
	op       string
	min, max time.Duration
	failures int
	since    time.Time
}

func (r *Relay) retrier(op string) *retrier {
	return &retrier{log: r.log, op: op, min: r.cfg.RetryMin, max: r.cfg.RetryMax}
}

// fail records a failure and sleeps the backoff. It returns false, without logging, when ctx
// is done: an error caused by the shutdown is no failure.
func (r *retrier) fail(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if r.failures == 0 {
		r.since = time.Now()
		r.log.WarnContext(ctx, "relay: "+r.op+" failed, retrying until it succeeds", "err", err)
	}
	r.failures++
	d := r.max
	if r.failures < 30 {
		d = min(r.min<<(r.failures-1), r.max)
	}
	// Half fixed, half random, so that relays retrying together spread out.
	d = d/2 + rand.N(d/2+1)
	return sleep(ctx, d)
}

// ok ends a streak of failures, if any.
func (r *retrier) ok() {
	if r.failures > 0 {
		r.log.Info("relay: "+r.op+" succeeded again", "failures", r.failures, "after", time.Since(r.since).Round(time.Millisecond))
		r.failures = 0
	}
}

// sleep waits for d and reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
