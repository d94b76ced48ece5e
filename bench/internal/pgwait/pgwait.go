// Package pgwait samples what the PostgreSQL sessions running a statement are waiting on,
// the server-side half of a profile: a benchmark that is slower than its limit shows here
// whether it waits on locks, on WAL flushes, on the CPU or on its client's round trips.
package pgwait

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// maxSamples bounds a sampler whatever the clock says.
const maxSamples = 1_000_000

// Querier runs a query: a pool.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Sampler polls pg_stat_activity until Stop.
type Sampler struct {
	stop   context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	counts map[string]int
	err    error
}

// Start samples, every interval, the wait events of the non-idle sessions of the current
// database whose (current or last) query contains fragment, other than the sampler's own. An
// active session on the CPU (no wait event) counts as "CPU"; one inside a transaction but
// waiting for its client's next statement counts as "idle in transaction": the round trip.
func Start(ctx context.Context, db Querier, fragment string, every time.Duration) *Sampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &Sampler{stop: cancel, done: make(chan struct{}), counts: map[string]int{}}
	const q = `SELECT CASE WHEN state = 'active' THEN coalesce(wait_event_type || ':' || wait_event, 'CPU') ELSE state END
		FROM pg_stat_activity
		WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()
		  AND strpos(query, $1) > 0`
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for n := 0; n < maxSamples; n++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rows, err := db.Query(ctx, q, fragment)
			if err == nil {
				var events []string
				events, err = pgx.CollectRows(rows, pgx.RowTo[string])
				s.mu.Lock()
				for _, e := range events {
					s.counts[e]++
				}
				s.mu.Unlock()
			}
			if err != nil && ctx.Err() == nil {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
				return
			}
		}
	}()
	return s
}

// Summary is what a Sampler saw: how many times a session was seen in each wait event.
type Summary struct {
	Counts map[string]int
	Err    error
}

// Stop ends the sampling and returns what it saw.
func (s *Sampler) Stop() Summary {
	s.stop()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return Summary{Counts: maps.Clone(s.counts), Err: s.err}
}

// Add merges what another sampling saw into s.
func (s *Summary) Add(o Summary) {
	if s.Counts == nil {
		s.Counts = map[string]int{}
	}
	for k, c := range o.Counts {
		s.Counts[k] += c
	}
	s.Err = errors.Join(s.Err, o.Err)
}

// String lists the wait events, most frequent first, as shares of the sessions seen:
// "Lock:object 61%, IO:WALSync 22%, CPU 12%, ...".
func (s Summary) String() string {
	if s.Err != nil {
		return "sampling failed: " + s.Err.Error()
	}
	total := 0
	for _, c := range s.Counts {
		total += c
	}
	if total == 0 {
		return "no session seen"
	}
	keys := slices.Collect(maps.Keys(s.Counts))
	slices.SortFunc(keys, func(a, b string) int {
		if c := s.Counts[b] - s.Counts[a]; c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, min(len(keys), 5))
	for _, k := range keys[:min(len(keys), 5)] {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", k, 100*float64(s.Counts[k])/float64(total)))
	}
	return fmt.Sprintf("%s (%d samples)", strings.Join(parts, ", "), total)
}
