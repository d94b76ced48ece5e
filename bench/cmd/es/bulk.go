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

// bulkImport is figure 3: seeding BulkEvents events into the store through its bulk API
// (es.Importer: BulkStreams new streams of BulkBatch events per Import call, from
// BulkWriters concurrent writers) vs one COPY of as many rows, of the same streams, into a
// table shaped like the events table. A diagnosis line shows what one append per stream
// would give.
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
	waits := pgwait.Start(ctx, b.env.pool, "from stdin", waitSampleEvery)
	imported, took, err := b.importEvents(ctx, schemaSeed, n, batch, b.cfg.BulkStreams)
	seen := waits.Stop()
	if err != nil {
		return err
	}
	b.imported = true
	ours := float64(imported) / took.Seconds()
	b.note("es.import.bulk: %d events as streams of %d events, %d streams per Import, %d writers: %s = %.0f events/s",
		imported, batch, b.cfg.BulkStreams, b.cfg.BulkWriters, took.Round(time.Millisecond), ours)
	b.note("es.import.bulk: diagnosis: the importing sessions' wait events: %s", seen)

	// The same seeding with one append per stream, on a fifth of the events: what the bulk
	// API saves.
	if err := b.env.checkpoint(ctx); err != nil {
		return err
	}
	smallN := max(n/5, batch)
	appended, appendTook, err := b.importEvents(ctx, schemaSeedBig, smallN, batch, 0)
	if err != nil {
		return err
	}
	b.note("es.import.bulk: diagnosis: %d events as one append of %d events per stream, %d writers: %s = %.0f events/s",
		appended, batch, b.cfg.BulkWriters, appendTook.Round(time.Millisecond), float64(appended)/appendTook.Seconds())
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

// importEvents writes n events to the store of schema as new streams of batch events, from
// BulkWriters writers: perImport streams per Import call, or, if perImport is 0, one Append
// per stream.
func (b *bench) importEvents(ctx context.Context, schema string, n, batch, perImport int) (int64, time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next    atomic.Int64 // the next stream to write
		written atomic.Int64
		wg      sync.WaitGroup
		streams = int64((n + batch - 1) / batch)
		store   = b.env.stores[schema]
		step    = int64(max(perImport, 1))
		start   = time.Now()
	)
	eventsOf := func(full []es.EventData, s int64) []es.EventData { return full[:min(batch, n-int(s)*batch)] }
	for range b.cfg.BulkWriters {
		wg.Go(func() {
			full := workload.Events(batch)
			for ctx.Err() == nil {
				first := next.Add(step) - step
				if first >= streams {
					return
				}
				last := min(first+step, streams)
				if perImport == 0 {
					events := eventsOf(full, first)
					if _, err := store.Append(ctx, workload.StreamID(0, int(first)), es.NoStream, events); err != nil {
						cancel(fmt.Errorf("append to stream %d: %w", first, err))
						return
					}
					written.Add(int64(len(events)))
					continue
				}
				group := make([]es.NewStream, 0, last-first)
				var k int64
				for s := first; s < last; s++ {
					events := eventsOf(full, s)
					group = append(group, es.NewStream{Stream: workload.StreamID(0, int(s)), Events: events})
					k += int64(len(events))
				}
				if err := store.Import(ctx, group); err != nil {
					cancel(fmt.Errorf("import streams %d-%d: %w", first, last-1, err))
					return
				}
				written.Add(k)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return 0, 0, err
	}
	return written.Load(), took, nil
}
