package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/pgbench"
	"github.com/storefront/storefront/bench/internal/pgwait"
	"github.com/storefront/storefront/bench/internal/workload"
	"github.com/storefront/storefront/platform/es"
)

// waitSampleEvery is the period of the wait-event sampling of the write phases.
const waitSampleEvery = 20 * time.Millisecond

// maxAppendsPerWriter bounds a writer's loop whatever the clock says.
const maxAppendsPerWriter = 10_000_000

// load is a fixed set of writers, each appending to its own streams round robin with the
// exact expected version: commands on existing aggregates, each with its own transaction.
type load struct {
	store            es.Appender
	writers          int
	streamsPerWriter int
	eventsPerAppend  int
}

// loadResult is what a load did.
type loadResult struct {
	appends, events int64
	elapsed         time.Duration
}

func (r loadResult) eventsPerSecond() float64 { return float64(r.events) / r.elapsed.Seconds() }

// run appends for d (the appends under way then finish) and reports the throughput. The
// first error stops every writer.
func (l load) run(ctx context.Context, d time.Duration) (loadResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		appends atomic.Int64
		wg      sync.WaitGroup
		start   = time.Now()
		end     = start.Add(d)
	)
	for w := range l.writers {
		wg.Go(func() {
			events := workload.Events(l.eventsPerAppend)
			versions := make([]int64, l.streamsPerWriter)
			for i := 0; i < maxAppendsPerWriter && ctx.Err() == nil && time.Now().Before(end); i++ {
				s := i % l.streamsPerWriter
				res, err := l.store.Append(ctx, workload.StreamID(w, s), es.Exact(versions[s]), events)
				if err != nil {
					cancel(fmt.Errorf("writer %d: %w", w, err))
					return
				}
				versions[s] = res.NextVersion
				appends.Add(1)
			}
		})
	}
	wg.Wait()
	res := loadResult{appends: appends.Load(), elapsed: time.Since(start)}
	res.events = res.appends * int64(l.eventsPerAppend)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return res, err
	}
	return res, ctx.Err()
}

// appendSingle is figure 1: single-event appends by the writers vs pgbench inserting one row
// per transaction with as many clients.
func (b *bench) appendSingle(ctx context.Context) error {
	return b.appendVsPgbench(ctx, "es.append.single", schemaSingle, "events_single", 1, 0.5)
}

// appendBatch is figure 2: 10-event appends vs pgbench with 10 INSERTs per transaction,
// compared in rows per second.
func (b *bench) appendBatch(ctx context.Context) error {
	return b.appendVsPgbench(ctx, "es.append.batch10", schemaBatch, "events_batch10", 10, 0.35)
}

func (b *bench) appendVsPgbench(ctx context.Context, name, schema, rawTable string, perTx int, goal float64) error {
	if err := b.env.checkpoint(ctx); err != nil {
		return err
	}
	table := pgx.Identifier{schemaRaw, rawTable}
	pb, err := b.pgbench(ctx, workload.PgbenchScript(table, perTx, true), b.cfg.Duration)
	if err != nil {
		return err
	}
	limit := pb.TPS * float64(perTx)
	b.note("%s: pgbench -c %d -j %d -T %s, %d row(s) per transaction in one INSERT: %.0f tx/s = %.0f rows/s",
		name, b.cfg.Writers, min(2, b.cfg.Writers), b.cfg.Duration, perTx, pb.TPS, limit)
	if perTx > 1 {
		// The other reading of "10 inserts per transaction": ten INSERT statements. A lower
		// limit, noted only.
		sep, err := b.pgbench(ctx, workload.PgbenchScript(table, perTx, false), max(b.cfg.Duration/2, time.Second))
		if err != nil {
			return err
		}
		b.note("%s: pgbench with %d separate INSERTs per transaction instead (not the limit): %.0f tx/s = %.0f rows/s",
			name, perTx, sep.TPS, sep.TPS*float64(perTx))
	}

	if err := b.env.checkpoint(ctx); err != nil {
		return err
	}
	l := load{store: b.env.stores[schema], writers: b.cfg.Writers, streamsPerWriter: b.cfg.StreamsPerWriter, eventsPerAppend: perTx}
	waits := pgwait.Start(ctx, b.env.pool, "append_events", waitSampleEvery)
	res, err := l.run(ctx, b.cfg.Duration)
	seen := waits.Stop()
	if err != nil {
		return err
	}
	b.note("%s: %d writers × %d streams, %d event(s)/append: %d appends in %s = %.0f appends/s, %.0f events/s",
		name, b.cfg.Writers, b.cfg.StreamsPerWriter, perTx, res.appends, res.elapsed.Round(time.Millisecond),
		float64(res.appends)/res.elapsed.Seconds(), res.eventsPerSecond())
	b.note("%s: diagnosis: the appending sessions' wait events: %s", name, seen)

	// The store's SQL function alone, from pgbench: does the Go client cost anything?
	fn, err := b.pgbench(ctx, workload.PgbenchAppendScript(schema, perTx), max(b.cfg.Duration/2, time.Second))
	if err != nil {
		return err
	}
	b.note("%s: diagnosis: pgbench -c %d calling append_events itself (%d event(s) to a new stream each): %.0f tx/s = %.0f events/s",
		name, b.cfg.Writers, perTx, fn.TPS, fn.TPS*float64(perTx))

	unit := "events/s"
	if perTx > 1 {
		unit = "rows/s"
	}
	b.report(benchline.Result{Name: fmt.Sprintf("%s.%dwriters", name, b.cfg.Writers), Ours: res.eventsPerSecond(),
		Limit: limit, Unit: unit, Goal: goal})
	return nil
}

// pgbench runs script with as many clients as writers, on two threads, for d.
func (b *bench) pgbench(ctx context.Context, script string, d time.Duration) (pgbench.Result, error) {
	return pgbench.Run{
		Binary:   b.env.pgbench,
		URL:      b.env.db.URL,
		Script:   script,
		Clients:  b.cfg.Writers,
		Threads:  min(2, b.cfg.Writers),
		Duration: d,
	}.Do(ctx)
}
