package catalog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/projections/catalog"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// epoch is when the test catalog's events happen; each event's time is given as an offset.
var epoch = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return epoch.Add(d).UnixMicro() }

// history builds a catalog's event log: each event the next version of its stream.
type history struct {
	t        testing.TB
	versions map[string]int64
	evs      []es.RecordedEvent
}

func newHistory(t testing.TB) *history { return &history{t: t, versions: map[string]int64{}} }

// add records m as the next event of stream.
func (h *history) add(stream string, m proto.Message) es.RecordedEvent {
	h.t.Helper()
	payload, err := proto.Marshal(m)
	if err != nil {
		h.t.Fatal(err)
	}
	h.versions[stream]++
	ev := es.RecordedEvent{ID: uuid.New(), StreamID: stream, Version: h.versions[stream],
		Type: string(m.ProtoReflect().Descriptor().FullName()), SchemaVersion: 1, Payload: payload,
		RecordedAt: epoch}
	h.evs = append(h.evs, ev)
	return ev
}

func (h *history) category(slug, name, parent string) {
	h.add("category-"+slug, &catalogv1.CategoryCreated{Slug: slug, Name: name, Parent: parent, CreatedAt: at(0)})
}

// product is the ProductCreated of a product; edit changes its defaults.
func (h *history) product(id, category string, edit func(*catalogv1.ProductCreated)) {
	e := &catalogv1.ProductCreated{ProductId: id, Sku: "SKU-" + id[:8], Name: "Product " + id[:8], Slug: "product-" + id[:8],
		Description: "A product.", Category: category, Brand: "Acme", PriceMinor: 1000, Currency: "USD",
		Specs:  []*catalogv1.ProductSpec{{Key: "weight", Value: "1.2", Unit: "kg"}},
		Images: []*catalogv1.ProductImage{{Url: "https://img.example.com/" + id[:8] + ".png", Alt: "it"}},
		OnHand: 10, Available: 10, CreatedAt: at(time.Minute)}
	if edit != nil {
		edit(e)
	}
	h.add("product-"+id, e)
}

// productID returns a fixed, readable UUID for n: ids sort as n does.
func productID(n int) string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", n) }

// newGeneration creates schema in db with the projection's tables, as the runtime would.
func newGeneration(t *testing.T, db *pgxpool.Pool, schema string) {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SET LOCAL search_path = "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, catalog.New().DDL(schema))
		return err
	})
	if err != nil {
		t.Fatalf("create generation %s: %v", schema, err)
	}
}

// dump renders the projection's tables in schema (or the read schema's views) as text, one
// line per row, in key order.
func dump(t *testing.T, db *pgxpool.Pool, schema string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, q := range []string{
		`SELECT slug, name, parent, created_at FROM ` + pgx.Identifier{schema, "categories"}.Sanitize() + ` ORDER BY slug`,
		`SELECT id, sku, name, slug, description, category, brand, price_minor, currency, specs::text, images::text, on_hand,
			stock, rating_average, rating_count, status, created_at, updated_at, search::text
		FROM ` + pgx.Identifier{schema, "products"}.Sanitize() + ` ORDER BY id`,
		`SELECT review_id, product_id, rating FROM ` + pgx.Identifier{schema, "review_ratings"}.Sanitize() + ` ORDER BY review_id`,
	} {
		rows, err := db.Query(ctx, q)
		if err != nil {
			t.Fatalf("dump %s: %v", schema, err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// applyEach applies evs one by one with Apply, all in one transaction.
func applyEach(ctx context.Context, db *pgxpool.Pool, schema string, evs []es.RecordedEvent) error {
	p := catalog.New()
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		for _, ev := range evs {
			if err := p.Apply(ctx, tx, schema, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// applyBatches applies evs with ApplyBatch in batches of size events (all if size is 0),
// all in one transaction.
func applyBatches(ctx context.Context, db *pgxpool.Pool, schema string, evs []es.RecordedEvent, size int) error {
	return applyBatchesOf(ctx, catalog.New(), db, schema, evs, size)
}

// applyBatchesOf applies evs with p's ApplyBatch in batches of size events (all if 0).
func applyBatchesOf(ctx context.Context, p *catalog.Projection, db *pgxpool.Pool, schema string, evs []es.RecordedEvent, size int) error {
	if size == 0 {
		size = max(len(evs), 1)
	}
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		for i := 0; i < len(evs); i += size {
			if err := p.ApplyBatch(ctx, tx, schema, evs[i:min(i+size, len(evs))]); err != nil {
				return err
			}
		}
		return nil
	})
}
