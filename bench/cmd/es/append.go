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
// Successive runs carry on from the versions the last one reached.
type load struct {
	store            es.Appender
	writers          int
	streamsPerWriter int
	eventsPerAppend  int
	versions         [][]int64 // writer → stream → version
}

// loadResult is what a load did.
type loadResult struct {
	appends, events int64
	elapsed         time.Duration
}

func (r loadResult) eventsPerSecond() float64 { return float64(r.events) / r.elapsed.Seconds() }

// run appends for d (the appends under way then finish) and reports the throughput. The
// first error stops every writer.
func (l *load) run(ctx context.Context, d time.Duration) (loadResult, error) {
	if l.versions == nil {
		l.versions = make([][]int64, l.writers)
		for w := range l.versions {
			l.versions[w] = make([]int64, l.streamsPerWriter)
		}
	}
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
			versions := l.versions[w]
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

// appendRounds is how many times each side of an append figure runs, alternately, for its
// share of the duration: the rate of a write load drifts as its table grows and as the
// machine's other tenants come and go, and a side measured always second would bear it.
const appendRounds = 3

func (b *bench) appendVsPgbench(ctx context.Context, name, schema, rawTable string, perTx int, goal float64) error {
	table := pgx.Identifier{schemaRaw, rawTable}
	slice := b.cfg.Duration / appendRounds
	l := &load{store: b.env.stores[schema], writers: b.cfg.Writers, streamsPerWriter: b.cfg.StreamsPerWriter, eventsPerAppend: perTx}
	var (
		rawTx   float64 // transactions, at pgbench's rate without its connection time
		rawTime time.Duration
		res     loadResult
		seen    pgwait.Summary
	)
	for round := range appendRounds {
		if err := b.env.checkpoint(ctx); err != nil {
			return err
		}
		pb, err := b.pgbench(ctx, workload.PgbenchScript(table, perTx, true), slice)
		if err != nil {
			return err
		}
		rawTx += pb.TPS * slice.Seconds()
		rawTime += slice

		if err := b.env.checkpoint(ctx); err != nil {
			return err
		}
		waits := pgwait.Start(ctx, b.env.pool, "append_events", waitSampleEvery)
		r, err := l.run(ctx, slice)
		seen.Add(waits.Stop())
		if err != nil {
			return err
		}
		res.appends, res.events, res.elapsed = res.appends+r.appends, res.events+r.events, res.elapsed+r.elapsed
		b.note("%s: round %d: pgbench %.0f tx/s, ours %.0f appends/s", name, round+1, pb.TPS, float64(r.appends)/r.elapsed.Seconds())
	}
	tps := rawTx / rawTime.Seconds()
	limit := tps * float64(perTx)
	b.note("%s: pgbench -c %d -j %d, %d × %s, %d row(s) per transaction in one INSERT: %.0f tx/s = %.0f rows/s",
		name, b.cfg.Writers, min(2, b.cfg.Writers), appendRounds, slice, perTx, tps, limit)
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
	b.note("%s: %d writers × %d streams, %d event(s)/append, %d × %s alternating with pgbench: %d appends in %s = %.0f appends/s, %.0f events/s",
		name, b.cfg.Writers, b.cfg.StreamsPerWriter, perTx, appendRounds, slice, res.appends, res.elapsed.Round(time.Millisecond),
		float64(res.appends)/res.elapsed.Seconds(), res.eventsPerSecond())
	b.note("%s: diagnosis: the appending sessions' wait events: %s", name, seen)
	if st := b.env.stores[schema].BatchStats(); true {
		b.note("%s: diagnosis: %d of %d appends combined, into %d transactions (%.1f appends each)", name, st.Appends, res.appends, st.Batches, float64(st.Appends)/max(1, float64(st.Batches)))
	}

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
