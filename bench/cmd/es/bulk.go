package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/pgwait"
	"github.com/storefront/storefront/bench/internal/workload"
	"github.com/storefront/storefront/platform/es"
)

// bulkImport is figure 3: seeding BulkEvents events into the store (it has no bulk API:
// appends of BulkBatch events to fresh streams by BulkWriters concurrent writers) vs one COPY
// of as many rows, of the same streams, into a table shaped like the events table.
func (b *bench) bulkImport(ctx context.Context) error {
	n, batch := b.cfg.BulkEvents, b.cfg.BulkBatch
	if err := b.env.checkpoint(ctx); err != nil {
		return err
	}
	copied, copyTook, err := b.copyRows(ctx, n, batch)
	if err != nil {
		return err
	}
	limit := float64(copied) / copyTook.Seconds()
	b.note("es.import.bulk: COPY of %d rows into %s.events_copy in one transaction: %s = %.0f rows/s",
		copied, schemaRaw, copyTook.Round(time.Millisecond), limit)

	if err := b.env.checkpoint(ctx); err != nil {
		return err
	}
	waits := pgwait.Start(ctx, b.env.pool, "append_events", waitSampleEvery)
	appended, took, err := b.importEvents(ctx, schemaSeed, n, batch)
	seen := waits.Stop()
	if err != nil {
		return err
	}
	b.imported = true
	ours := float64(appended) / took.Seconds()
	b.note("es.import.bulk: %d events as %d appends of %d events to new streams, %d writers: %s = %.0f events/s",
		appended, (n+batch-1)/batch, batch, b.cfg.BulkWriters, took.Round(time.Millisecond), ours)
	b.note("es.import.bulk: diagnosis: the appending sessions' wait events: %s", seen)

	// The same import with appends ten times larger, on a fifth of the events: how much of
	// the cost is per append (its transaction and commit) rather than per event.
	if err := b.env.checkpoint(ctx); err != nil {
		return err
	}
	bigN, bigBatch := max(n/5, 10*batch), 10*batch
	bigAppended, bigTook, err := b.importEvents(ctx, schemaSeedBig, bigN, bigBatch)
	if err != nil {
		return err
	}
	b.note("es.import.bulk: diagnosis: %d events as appends of %d events, %d writers: %s = %.0f events/s",
		bigAppended, bigBatch, b.cfg.BulkWriters, bigTook.Round(time.Millisecond), float64(bigAppended)/bigTook.Seconds())
	b.report(benchline.Result{Name: "es.import.bulk", Ours: ours, Limit: limit, Unit: "events/s", Goal: 0.7})
	return nil
}

// copyRows copies n rows, streams of batch events, into the raw COPY table.
func (b *bench) copyRows(ctx context.Context, n, batch int) (int64, time.Duration, error) {
	i := 0
	var genErr error
	start := time.Now()
	copied, err := b.env.pool.CopyFrom(ctx, pgx.Identifier{schemaRaw, "events_copy"}, workload.CopyColumns,
		pgx.CopyFromFunc(func() ([]any, error) {
			if i >= n {
				return nil, nil
			}
			id, err := es.NewEventID()
			if err != nil {
				genErr = err
				return nil, err
			}
			row := workload.CopyRow(1, id, workload.StreamID(0, i/batch), int64(i%batch+1))
			i++
			return row, nil
		}))
	took := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("copy: %w", err)
	}
	if genErr != nil {
		return 0, 0, genErr
	}
	return copied, took, nil
}

// importEvents appends n events to the store of schema, batch events per append, each
// append to a new stream, from BulkWriters writers.
func (b *bench) importEvents(ctx context.Context, schema string, n, batch int) (int64, time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next     atomic.Int64 // the next stream to write
		appended atomic.Int64
		wg       sync.WaitGroup
		streams  = int64((n + batch - 1) / batch)
		store    = b.env.stores[schema]
		start    = time.Now()
	)
	for range b.cfg.BulkWriters {
		wg.Go(func() {
			full := workload.Events(batch)
			for ctx.Err() == nil {
				s := next.Add(1) - 1
				if s >= streams {
					return
				}
				events := full[:min(batch, n-int(s)*batch)]
				if _, err := store.Append(ctx, workload.StreamID(0, int(s)), es.NoStream, events); err != nil {
					cancel(fmt.Errorf("append to stream %d: %w", s, err))
					return
				}
				appended.Add(int64(len(events)))
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return 0, 0, err
	}
	return appended.Load(), took, nil
}
