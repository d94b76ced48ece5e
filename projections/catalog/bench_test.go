package catalog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/projections/catalog"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// BenchmarkRebuild compares building the read model from a PostgreSQL event store with a
// raw scan of the same events (ReadAll, batches of 1000), for the grouped plan and the
// one-statement-per-event baseline. Run it alone:
//
//	flock /tmp/storefront-bench.lock go test -run '^$' -bench Rebuild -benchtime 3x ./catalog/
//
// It reports events/s of each; the goal is rebuild ≥ 0.3 × raw scan.
func BenchmarkRebuild(b *testing.B) {
	const products = 5000 // four events each
	ctx := context.Background()
	db := pgtest.New(b, postgres.Migrations("catalog"), projector.Migrations())
	store, err := postgres.New(db.Pool, "catalog")
	if err != nil {
		b.Fatal(err)
	}
	h := newHistory(b)
	h.category("keyboards", "Keyboards", "")
	for i := range products {
		lifecycleShort(h, uuid.NewString(), i)
	}
	for _, ev := range h.evs {
		if _, err := store.Append(ctx, ev.StreamID, es.Any, []es.EventData{{Type: ev.Type, Payload: ev.Payload}}); err != nil {
			b.Fatal(err)
		}
	}
	total := len(h.evs)

	b.Run("raw_scan", func(b *testing.B) {
		for b.Loop() {
			var after es.Position
			n := 0
			for {
				evs, err := store.ReadAll(ctx, after, 1000)
				if err != nil {
					b.Fatal(err)
				}
				if len(evs) == 0 {
					break
				}
				n, after = n+len(evs), evs[len(evs)-1].Position
			}
			if n != total {
				b.Fatalf("scanned %d of %d", n, total)
			}
		}
		b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "events/s")
	})
	for _, tt := range []struct {
		name string
		p    projector.Projection
	}{
		{"rebuild_grouped", catalog.New()},
		{"rebuild_per_event_pipelined", catalog.NewPerEvent()},
		{"rebuild_apply_one_by_one", plain{catalog.New()}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			rt, err := projector.New(projector.Config{Pool: db.Pool, Stores: map[string]es.LogReader{"catalog": store}}, tt.p)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := rt.Rebuild(ctx, catalog.Name); err != nil {
					b.Fatal(err)
				}
			}
			var n int
			if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{catalog.Name, "products"}.Sanitize()).Scan(&n); err != nil || n != products {
				b.Fatalf("%d products, %v", n, err)
			}
			b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// lifecycleShort is a product's creation, a price change, a stock adjustment and a details
// update: the shape of a demo or benchmark catalog.
func lifecycleShort(h *history, id string, i int) {
	s := "product-" + id
	h.product(id, "keyboards", func(e *catalogv1.ProductCreated) {
		e.Name = fmt.Sprintf("Mechanical Keyboard %d", i)
		e.Description = "A mechanical keyboard with hot-swappable switches, PBT keycaps and a USB-C cable."
		e.Slug = "kb-" + id
	})
	h.add(s, &catalogv1.ProductPriceChanged{ProductId: id, PriceMinor: int64(1000 + i), Currency: "USD", ChangedAt: at(time.Hour)})
	h.add(s, &catalogv1.StockAdjusted{ProductId: id, Delta: 2, OnHand: 12, Available: 12, AdjustedAt: at(time.Hour)})
	h.add(s, &catalogv1.ProductDetailsUpdated{ProductId: id, Sku: "S-" + id, Name: fmt.Sprintf("Keyboard %d", i), Slug: "kb-" + id,
		Description: "Renamed.", Category: "keyboards", Brand: "Acme", UpdatedAt: at(2 * time.Hour)})
}
