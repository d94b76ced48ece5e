// Package projectortest is the contract suite of projector.BatchProjection: every batch
// projection runs it with a history of its events, so that its ApplyBatch is known to have the
// effect of applying each event in order with Apply, whatever the batch boundaries.
package projectortest

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/projector"
)

// Dump renders a generation schema's tables as text (ordered, every column) for comparison.
type Dump func(t *testing.T, db *pgxpool.Pool, schema string) string

// RunBatchContract applies evs (each stream's events in version order, streams interleaved
// as a store's global order gives them) to fresh generation schemas of p in db: one event at
// a time with Apply, then with ApplyBatch in batches of 1, 2, 7, 64 and all events, each
// batch its own transaction as the runtime would commit it, and all batches in one
// transaction. Every result must equal Apply's, and Apply's must not be empty.
func RunBatchContract(t *testing.T, db *pgxpool.Pool, p projector.BatchProjection, evs []es.RecordedEvent, dump Dump) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("projectortest: the history has no events")
	}
	ctx := context.Background()
	run := uuid.New().String()[:8] // schemas of parallel runs on one database must not meet
	n := 0
	schema := func() string {
		t.Helper()
		n++
		s := fmt.Sprintf("contract_%s_%s_%d", p.Name(), run, n)
		err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{s}.Sanitize()); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "SET LOCAL search_path = "+pgx.Identifier{s}.Sanitize()); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, p.DDL(s))
			return err
		})
		if err != nil {
			t.Fatalf("projectortest: create %s: %v", s, err)
		}
		return s
	}

	reference := schema()
	for _, ev := range evs {
		if err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return p.Apply(ctx, tx, reference, ev) }); err != nil {
			t.Fatalf("projectortest: Apply %s v%d (%s): %v", ev.StreamID, ev.Version, ev.Type, err)
		}
	}
	want := dump(t, db, reference)
	if want == "" {
		t.Fatal("projectortest: applying the history left the tables empty; give events the projection keeps")
	}
	for _, size := range []int{1, 2, 7, 64, len(evs)} {
		for _, oneTx := range []bool{false, true} {
			s := schema()
			apply := func(tx pgx.Tx) error {
				for i := 0; i < len(evs); i += size {
					if err := p.ApplyBatch(ctx, tx, s, evs[i:min(i+size, len(evs))]); err != nil {
						return fmt.Errorf("ApplyBatch of events %d..%d: %w", i, min(i+size, len(evs))-1, err)
					}
				}
				return nil
			}
			var err error
			if oneTx {
				err = pgx.BeginFunc(ctx, db, apply)
			} else {
				err = eachInItsOwnTx(ctx, db, evs, size, func(tx pgx.Tx, batch []es.RecordedEvent) error {
					return p.ApplyBatch(ctx, tx, s, batch)
				})
			}
			if err != nil {
				t.Fatalf("projectortest: batches of %d (one transaction: %v): %v", size, oneTx, err)
			}
			if diff := cmp.Diff(want, dump(t, db, s)); diff != "" {
				t.Errorf("projectortest: batches of %d (one transaction: %v) differ from Apply one by one (-Apply +ApplyBatch):\n%s", size, oneTx, diff)
			}
		}
	}
}

// eachInItsOwnTx applies the batches of size, each in a transaction of its own.
func eachInItsOwnTx(ctx context.Context, db *pgxpool.Pool, evs []es.RecordedEvent, size int, apply func(pgx.Tx, []es.RecordedEvent) error) error {
	for i := 0; i < len(evs); i += size {
		batch := evs[i:min(i+size, len(evs))]
		if err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return apply(tx, batch) }); err != nil {
			return fmt.Errorf("ApplyBatch of events %d..%d: %w", i, i+len(batch)-1, err)
		}
	}
	return nil
}
