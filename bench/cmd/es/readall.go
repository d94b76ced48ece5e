package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/workload"
	"github.com/storefront/storefront/platform/es"
)

// readRounds is how many times each side reads the log; the best round counts, so that a
// hiccup of the machine does not decide the figure.
const readRounds = 2

// maxPages bounds every paging loop.
const maxPages = 10_000_000

// readAll is figure 4: catching up on the imported log with es.LogReader.ReadAll in pages
// from position zero vs a raw pgx keyset scan of the same table, same columns and page size.
func (b *bench) readAll(ctx context.Context) error {
	if !b.imported {
		return errors.New("needs the import's events: run it first (-only import,read)")
	}
	table := pgx.Identifier{schemaSeed, "events"}
	// Set the hint bits and the visibility map now, so that neither side pays for it.
	if _, err := b.env.pool.Exec(ctx, "VACUUM (ANALYZE) "+table.Sanitize()); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	var bestRaw, bestOurs float64
	var rows, events int64
	for round := range readRounds {
		n, took, err := workload.RawScan(ctx, b.env.pool, table, b.cfg.PageSize)
		if err != nil {
			return err
		}
		rows, bestRaw = n, max(bestRaw, float64(n)/took.Seconds())
		b.note("es.readall.catchup: round %d: raw keyset scan of %d rows, pages of %d: %s = %.0f rows/s",
			round+1, n, b.cfg.PageSize, took.Round(time.Millisecond), float64(n)/took.Seconds())

		n, took, err = catchUp(ctx, b.env.stores[schemaSeed], b.cfg.PageSize)
		if err != nil {
			return err
		}
		events, bestOurs = n, max(bestOurs, float64(n)/took.Seconds())
		b.note("es.readall.catchup: round %d: ReadAll of %d events, pages of %d: %s = %.0f events/s",
			round+1, n, b.cfg.PageSize, took.Round(time.Millisecond), float64(n)/took.Seconds())
	}
	if rows != events {
		return fmt.Errorf("the raw scan read %d rows but ReadAll %d events", rows, events)
	}
	// The limit is the "pgx keyset scan"; ReadAll decodes the binary rows itself and
	// can beat pgx's Scan. The rows merely reaching the client bound both.
	n, took, err := workload.RawWireScan(ctx, b.env.pool, table, b.cfg.PageSize)
	if err != nil {
		return err
	}
	b.note("es.readall.catchup: diagnosis: the same pages with nothing decoded but the position (rows reaching the client): %s = %.0f rows/s",
		took.Round(time.Millisecond), float64(n)/took.Seconds())
	b.rawScanRate = bestRaw
	b.report(benchline.Result{Name: "es.readall.catchup", Ours: bestOurs, Limit: bestRaw, Unit: "events/s", Goal: 0.6})
	return nil
}

// catchUp reads the whole log through ReadAll, a page at a time, as a relay or a rebuild
// catching up does.
func catchUp(ctx context.Context, r es.LogReader, page int) (int64, time.Duration, error) {
	var (
		after es.Position
		n     int64
		start = time.Now()
	)
	for range maxPages {
		evs, err := r.ReadAll(ctx, after, page)
		if err != nil {
			return 0, 0, err
		}
		if len(evs) == 0 {
			return n, time.Since(start), nil
		}
		n += int64(len(evs))
		after = evs[len(evs)-1].Position
	}
	return 0, 0, fmt.Errorf("read all: more than %d pages", maxPages)
}
