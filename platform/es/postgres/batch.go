package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storefront/storefront/platform/es"
)

// Appends are combined only up to these sizes; the first append of a batch always goes, however
// many events it has.
const (
	maxBatchAppends = 64
	maxBatchEvents  = 1000
)

// batchTimeout bounds a combined append's transaction: it runs detached from its callers'
// contexts (each caller can leave on its own), so it needs a deadline of its own. A batch that
// times out is retried by each caller alone, under the caller's context.
const batchTimeout = 30 * time.Second

// batcher combines concurrent appends into shared transactions: group commit on the client
// side. While maxInFlight append transactions are running, further appends queue; when one
// finishes, its leader hands the queue to the first waiter, who sends it as one append_batch
// call. Under light load nothing queues and every append goes alone, as before; under heavy
// load N waiting appends cost one round trip and one WAL flush instead of N.
//
// What each caller sees is unchanged: its append succeeds or fails on its own (a conflicting
// append is skipped by the batch and reported to its caller; if the batch fails as a whole,
// every caller retries alone), and it returns only once its events have committed.
type batcher struct {
	store       *Store
	maxInFlight int

	mu       sync.Mutex
	inFlight int
	queue    []*waiter

	batches, combined atomic.Int64 // batches of more than one append, and the appends in them
}

// waiter is one append queued in a batcher.
type waiter struct {
	ctx   context.Context // the caller's
	req   es.AppendRequest
	ready chan struct{} // closed when the waiter leads, must go alone, or has its result
	lead  bool          // set under batcher.mu before ready is closed
	alone bool          // the batch failed: append alone
	res   es.AppendResult
	err   error
}

// BatchStats says how many appends were combined with others, and into how many
// transactions, since the store was made.
type BatchStats struct {
	Batches, Appends int64
}

// BatchStats reports the store's append batching so far.
func (s *Store) BatchStats() BatchStats {
	return BatchStats{Batches: s.batcher.batches.Load(), Appends: s.batcher.combined.Load()}
}

func (b *batcher) append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	w := &waiter{ctx: ctx, req: req, ready: make(chan struct{})}
	b.mu.Lock()
	if b.inFlight < b.maxInFlight {
		b.inFlight++
		b.mu.Unlock()
		return b.lead(w)
	}
	b.queue = append(b.queue, w)
	b.mu.Unlock()

	select {
	case <-w.ready:
	case <-ctx.Done():
		b.mu.Lock()
		if i := slices.Index(b.queue, w); i >= 0 {
			b.queue = slices.Delete(b.queue, i, i+1)
			b.mu.Unlock()
			return es.AppendResult{}, cancelled(ctx, req)
		}
		lead := w.lead
		b.mu.Unlock()
		if !lead {
			// In a batch already: it may still commit, as an append cancelled in flight may.
			return es.AppendResult{}, cancelled(ctx, req)
		}
		// Made leader as its context ended: it sends the queue behind it, without itself.
	}
	if w.lead {
		return b.lead(w)
	}
	return w.outcome(b.store)
}

func cancelled(ctx context.Context, req es.AppendRequest) error {
	return wrap(ctx, fmt.Sprintf("append to %q", req.Stream), ctx.Err())
}

// outcome is a waiter's result once ready is closed.
func (w *waiter) outcome(s *Store) (es.AppendResult, error) {
	if w.alone {
		return s.append(w.ctx, s.pool, w.req)
	}
	return w.res, w.err
}

// lead sends w (unless its caller has gone) with whatever has queued, and returns w's
// outcome. An append alone is sent by the caller itself; a batch by a goroutine, which then
// hands the queue on, so that every caller in it, this one included, can leave when its
// context ends.
func (b *batcher) lead(w *waiter) (es.AppendResult, error) {
	// A fresh channel for w's result: a waiter made leader found its first one closed.
	w.ready = make(chan struct{})
	first := w
	if w.ctx.Err() != nil {
		first = nil
	}
	batch := b.take(first)
	switch {
	case len(batch) == 0:
		b.handOff()
		return es.AppendResult{}, cancelled(w.ctx, w.req)
	case len(batch) == 1 && first != nil:
		w.res, w.err = b.store.append(w.ctx, b.store.pool, w.req)
		b.handOff()
		return w.res, w.err
	}
	go func() {
		b.send(w.ctx, batch)
		b.handOff()
	}()
	if first == nil {
		return es.AppendResult{}, cancelled(w.ctx, w.req)
	}
	select {
	case <-w.ready:
		return w.outcome(b.store)
	case <-w.ctx.Done():
		return es.AppendResult{}, cancelled(w.ctx, w.req)
	}
}

// handOff makes the first queued waiter the next leader, or frees the slot.
func (b *batcher) handOff() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.inFlight--
		return
	}
	next := b.queue[0]
	b.queue = slices.Delete(b.queue, 0, 1)
	next.lead = true
	close(next.ready)
}

// take returns first (if not nil) and the queued appends that fit in one batch with it, in
// queue order. It leaves in the queue those over the limits or to a stream already in the
// batch (their turn comes next, in their order), and those whose callers have gone (they
// remove themselves).
func (b *batcher) take(first *waiter) []*waiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	var (
		batch   []*waiter
		streams = map[string]bool{}
		events  int
	)
	if first != nil {
		batch, streams[first.req.Stream], events = []*waiter{first}, true, len(first.req.Events)
	}
	if len(b.queue) == 0 {
		return batch
	}
	rest := b.queue[:0]
	for _, w := range b.queue {
		if w.ctx.Err() != nil {
			rest = append(rest, w)
			continue
		}
		if len(batch) < maxBatchAppends && !streams[w.req.Stream] && (len(batch) == 0 || events+len(w.req.Events) <= maxBatchEvents) {
			batch = append(batch, w)
			streams[w.req.Stream] = true
			events += len(w.req.Events)
			continue
		}
		// Later appends to a skipped stream must wait too, to stay behind it.
		streams[w.req.Stream] = true
		rest = append(rest, w)
	}
	clear(b.queue[len(rest):])
	b.queue = rest
	return batch
}

// send writes batch in one append_batch call and gives every waiter its result.
func (b *batcher) send(ctx context.Context, batch []*waiter) {
	b.batches.Add(1)
	b.combined.Add(int64(len(batch)))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
	defer cancel()

	results, err := b.store.appendBatch(ctx, batch)
	retryAlone := err != nil && wroteNothing(err)
	for i, w := range batch {
		switch {
		case retryAlone:
			w.alone = true
		case err != nil:
			w.err = wrap(ctx, fmt.Sprintf("append to %q (in a batch of %d)", w.req.Stream, len(batch)), err)
		default:
			w.res, w.err = results[i].res, results[i].err
		}
		close(w.ready)
	}
}

// wroteNothing says whether a failed append_batch call certainly wrote nothing, so that its
// appends can be retried one by one: the server refused it (its statement, and so its
// transaction, failed) or it never left. Otherwise (connection lost, deadline) the batch may
// have committed, and a retry could turn that unknown outcome into a false conflict that a
// caller would act on: every member gets the error, as a single append would.
func wroteNothing(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// An ERROR fails the statement and its transaction; a FATAL can come after a commit
		// (a backend terminated while waiting for a synchronous replica, say).
		return pgErr.Severity == "ERROR"
	}
	return pgconn.SafeToRetry(err)
}

type batchResult struct {
	res es.AppendResult
	err error
}

// appendBatch calls append_batch for appends to distinct streams, none with claims.
func (s *Store) appendBatch(ctx context.Context, batch []*waiter) ([]batchResult, error) {
	n := 0
	for _, w := range batch {
		n += len(w.req.Events)
	}
	var (
		streams           = make([]string, len(batch))
		expected          = make([]int64, len(batch))
		appendOf, offsets = make([]int32, 0, n), make([]int32, 0, n)
		cols              = newEventArrays(n)
		byStream          = make(map[string]int, len(batch))
	)
	for a, w := range batch {
		streams[a], expected[a] = w.req.Stream, int64(w.req.Expected)
		byStream[w.req.Stream] = a
		for k, e := range w.req.Events {
			appendOf, offsets = append(appendOf, int32(a+1)), append(offsets, int32(k+1))
			cols.add(e)
		}
	}
	rows, err := s.pool.Query(ctx, s.sql.appendBatch, append([]any{streams, expected, appendOf, offsets}, cols.args()...)...)
	if err != nil {
		return nil, fmt.Errorf("es/postgres: append batch: %w", err)
	}
	type row struct {
		version int64
		pos     es.Position
	}
	written := make([][]row, len(batch))
	results := make([]batchResult, len(batch))
	var (
		stream       string
		version      int64
		txID, global *int64
	)
	_, err = pgx.ForEachRow(rows, []any{&stream, &version, &txID, &global}, func() error {
		a, ok := byStream[stream]
		if !ok {
			return fmt.Errorf("append_batch returned stream %q, not in the batch", stream)
		}
		if txID == nil || global == nil {
			req := batch[a].req
			results[a].err = &es.ConcurrencyError{Stream: req.Stream, Expected: req.Expected, Actual: version}
			return nil
		}
		written[a] = append(written[a], row{version, es.Position{TxID: *txID, Global: *global}})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("es/postgres: append batch: %w", err)
	}
	for a, w := range batch {
		r, got, n := &results[a], written[a], len(w.req.Events)
		if r.err != nil {
			continue
		}
		if len(got) != n {
			return nil, fmt.Errorf("es/postgres: append batch: %d events written to %q, want %d", len(got), w.req.Stream, n)
		}
		slices.SortFunc(got, func(x, y row) int { return cmp.Compare(x.version, y.version) })
		r.res = es.AppendResult{NextVersion: got[n-1].version, EventIDs: make([]uuid.UUID, n), Positions: make([]es.Position, n)}
		for i, x := range got {
			r.res.EventIDs[i], r.res.Positions[i] = w.req.Events[i].ID, x.pos
		}
	}
	return results, nil
}
