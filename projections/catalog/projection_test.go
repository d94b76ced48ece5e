package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/projector/projectortest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/projections/catalog"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// TestApply_EveryEventType applies a product's creation, then one more event (or two) of
// each type, and reads the product back.
func TestApply_EveryEventType(t *testing.T) {
	db := pgtest.New(t)
	id := productID(1)
	stream := "product-" + id
	base := catalog.Product{
		ID: id, SKU: "SKU-00000000", Name: "Product 00000000", Slug: "product-00000000", Description: "A product.",
		Category: "keyboards", Brand: "Acme", PriceMinor: 1000, Currency: "USD",
		Specs:  []catalog.Spec{{Key: "weight", Value: "1.2", Unit: "kg"}},
		Images: []catalog.Image{{URL: "https://img.example.com/00000000.png", Alt: "it"}},
		OnHand: 10, Stock: 10, Status: catalog.StatusActive,
		CreatedAt: epoch.Add(time.Minute), UpdatedAt: epoch.Add(time.Minute),
	}
	later := at(time.Hour)
	tests := []struct {
		name   string
		events func(h *history)
		want   func(p *catalog.Product)
	}{
		{"ProductCreated", func(*history) {}, func(*catalog.Product) {}},
		{"ProductDetailsUpdated", func(h *history) {
			h.add(stream, &catalogv1.ProductDetailsUpdated{ProductId: id, Sku: "KB-1", Name: "Split Keyboard", Slug: "split-keyboard",
				Description: "Two halves.", Category: "split", Brand: "Keeb Co", Specs: nil,
				Images:  []*catalogv1.ProductImage{{Url: "https://img.example.com/a.png"}, {Url: "https://img.example.com/b.png", Alt: "b"}},
				Changed: []string{"sku", "name"}, UpdatedAt: later})
		}, func(p *catalog.Product) {
			p.SKU, p.Name, p.Slug, p.Description, p.Category, p.Brand = "KB-1", "Split Keyboard", "split-keyboard", "Two halves.", "split", "Keeb Co"
			p.Specs = []catalog.Spec{}
			p.Images = []catalog.Image{{URL: "https://img.example.com/a.png"}, {URL: "https://img.example.com/b.png", Alt: "b"}}
			p.UpdatedAt = micros(later)
		}},
		{"ProductPriceChanged", func(h *history) {
			h.add(stream, &catalogv1.ProductPriceChanged{ProductId: id, PriceMinor: 2599, Currency: "USD", PreviousPriceMinor: 1000, ChangedAt: later})
		}, func(p *catalog.Product) { p.PriceMinor, p.UpdatedAt = 2599, micros(later) }},
		{"StockAdjusted", func(h *history) {
			h.add(stream, &catalogv1.StockAdjusted{ProductId: id, Delta: -6, Reason: "set_by_admin", OnHand: 4, Available: 4, AdjustedAt: later})
		}, func(p *catalog.Product) { p.OnHand, p.Stock, p.UpdatedAt = 4, 4, micros(later) }},
		{"StockReserved", func(h *history) {
			h.add(stream, &catalogv1.StockReserved{ProductId: id, OrderId: "o1", Quantity: 3, OnHand: 10, Available: 7, ReservedAt: later})
		}, func(p *catalog.Product) { p.Stock = 7 }},
		{"StockReservationReleased", func(h *history) {
			h.add(stream, &catalogv1.StockReserved{ProductId: id, OrderId: "o1", Quantity: 3, OnHand: 10, Available: 7, ReservedAt: later})
			h.add(stream, &catalogv1.StockReservationReleased{ProductId: id, OrderId: "o1", Quantity: 3, OnHand: 10, Available: 10, ReleasedAt: later})
		}, func(*catalog.Product) {}},
		{"StockReservationCommitted", func(h *history) {
			h.add(stream, &catalogv1.StockReserved{ProductId: id, OrderId: "o1", Quantity: 10, OnHand: 10, Available: 0, ReservedAt: later})
			h.add(stream, &catalogv1.StockReservationCommitted{ProductId: id, OrderId: "o1", Quantity: 10, OnHand: 0, Available: 0, CommittedAt: later})
		}, func(p *catalog.Product) { p.OnHand, p.Stock = 0, 0 }},
		{"ProductDeleted", func(h *history) {
			h.add(stream, &catalogv1.ProductDeleted{ProductId: id, DeletedAt: later})
		}, func(p *catalog.Product) { p.Status, p.UpdatedAt = catalog.StatusDeleted, micros(later) }},
		{"ProductRestored", func(h *history) {
			h.add(stream, &catalogv1.ProductDeleted{ProductId: id, DeletedAt: later})
			h.add(stream, &catalogv1.ProductRestored{ProductId: id, RestoredAt: at(2 * time.Hour)})
		}, func(p *catalog.Product) { p.UpdatedAt = micros(at(2 * time.Hour)) }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			schema := fmt.Sprintf("every_%d", i)
			newGeneration(t, db.Pool, schema)
			h := newHistory(t)
			h.category("keyboards", "Keyboards", "")
			h.product(id, "keyboards", nil)
			tt.events(h)
			if err := applyEach(ctx, db.Pool, schema, h.evs); err != nil {
				t.Fatal(err)
			}
			want := base
			tt.want(&want)
			got, err := catalog.NewQueriesIn(db.Pool, schema).GetProduct(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("product (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("CategoryCreated", func(t *testing.T) {
		ctx := context.Background()
		newGeneration(t, db.Pool, "categories")
		h := newHistory(t)
		h.category("keyboards", "Keyboards", "")
		h.category("split", "Split keyboards", "keyboards")
		if err := applyEach(ctx, db.Pool, "categories", h.evs); err != nil {
			t.Fatal(err)
		}
		got, err := catalog.NewQueriesIn(db.Pool, "categories").ListCategories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []catalog.Category{{Slug: "keyboards", Name: "Keyboards"}, {Slug: "split", Name: "Split keyboards", Parent: "keyboards"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("categories (-want +got):\n%s", diff)
		}
	})
}

func micros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// TestApply_PrivateUnknownAndBrokenEvents: private reservation events change nothing, an
// unknown type or schema version is ErrUnknownEvent (parked at once), and an event the
// projection cannot apply fails (retried, then parked), never skipped.
func TestApply_PrivateUnknownAndBrokenEvents(t *testing.T) {
	db := pgtest.New(t)
	newGeneration(t, db.Pool, "odd")
	ctx := context.Background()
	h := newHistory(t)
	h.category("keyboards", "Keyboards", "")
	h.product(productID(1), "keyboards", nil)
	if err := applyEach(ctx, db.Pool, "odd", h.evs); err != nil {
		t.Fatal(err)
	}
	before := dump(t, db.Pool, "odd")

	orderStream := "reservation-" + uuid.NewString()
	reservation := h.add(orderStream, &catalogv1.OrderReservationRequested{OrderId: "o1",
		Lines: []*catalogv1.OrderReservationLine{{ProductId: productID(1), Quantity: 1}}})
	unknown := h.add("product-"+productID(1), &catalogv1.ProductDeleted{ProductId: productID(1)})
	unknown.Type = "storefront.catalog.v1.ProductTeleported"
	newer := h.add("product-"+productID(1), &catalogv1.ProductDeleted{ProductId: productID(1)})
	newer.SchemaVersion = 2
	malformed := h.add("product-"+productID(1), &catalogv1.ProductDeleted{ProductId: productID(1)})
	malformed.Payload = []byte{0xff, 0xff}
	missing := h.add("product-"+productID(2), &catalogv1.ProductPriceChanged{ProductId: productID(2), PriceMinor: 5, Currency: "USD"})
	badID := h.add("product-x", &catalogv1.ProductDeleted{ProductId: "x"})

	tests := []struct {
		name        string
		ev          es.RecordedEvent
		wantErr     bool
		wantUnknown bool
	}{
		{"private reservation event", reservation, false, false},
		{"unknown type", unknown, true, true},
		{"newer schema version", newer, true, true},
		{"malformed payload", malformed, true, false},
		{"event of a product the read model lacks", missing, true, false},
		{"product id not a UUID", badID, true, false},
	}
	for _, tt := range tests {
		for _, batch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/batch=%v", tt.name, batch), func(t *testing.T) {
				var err error
				if batch {
					// In a batch after a good event: the whole batch fails.
					ok := h.add("product-"+productID(1), &catalogv1.ProductPriceChanged{ProductId: productID(1), PriceMinor: 7, Currency: "USD"})
					err = applyBatches(ctx, db.Pool, "odd", []es.RecordedEvent{ok, tt.ev}, 0)
				} else {
					err = applyEach(ctx, db.Pool, "odd", []es.RecordedEvent{tt.ev})
				}
				if (err != nil) != tt.wantErr || errors.Is(err, projector.ErrUnknownEvent) != tt.wantUnknown {
					t.Fatalf("error %v; want an error: %v, ErrUnknownEvent: %v", err, tt.wantErr, tt.wantUnknown)
				}
				if !tt.wantErr && batch {
					before = dump(t, db.Pool, "odd") // the good event applied
					return
				}
				if got := dump(t, db.Pool, "odd"); got != before {
					t.Fatalf("tables changed:\n%s\nwant\n%s", got, before)
				}
			})
		}
	}
}

// lifecycle adds a product's whole life to h: every product event type.
func lifecycle(h *history, id, category string, step int) {
	s := "product-" + id
	d := time.Duration(step) * time.Second
	h.product(id, category, func(e *catalogv1.ProductCreated) { e.CreatedAt = at(d) })
	h.add(s, &catalogv1.ProductPriceChanged{ProductId: id, PriceMinor: int64(1000 + step), Currency: "USD", PreviousPriceMinor: 1000, ChangedAt: at(d + 1)})
	h.add(s, &catalogv1.StockReserved{ProductId: id, OrderId: "o-" + id, Quantity: 2, OnHand: 10, Available: 8, ReservedAt: at(d + 2)})
	h.add(s, &catalogv1.ProductDetailsUpdated{ProductId: id, Sku: "S-" + id, Name: fmt.Sprintf("Renamed %d", step), Slug: "renamed-" + id,
		Description: "Changed.", Category: category, Brand: "Other",
		Specs: []*catalogv1.ProductSpec{{Key: "layout", Value: "ortholinear"}}, UpdatedAt: at(d + 3)})
	h.add(s, &catalogv1.StockReservationCommitted{ProductId: id, OrderId: "o-" + id, Quantity: 2, OnHand: 8, Available: 8, CommittedAt: at(d + 4)})
	h.add(s, &catalogv1.StockReserved{ProductId: id, OrderId: "p-" + id, Quantity: 1, OnHand: 8, Available: 7, ReservedAt: at(d + 5)})
	h.add(s, &catalogv1.StockReservationReleased{ProductId: id, OrderId: "p-" + id, Quantity: 1, OnHand: 8, Available: 8, ReleasedAt: at(d + 6)})
	h.add(s, &catalogv1.StockAdjusted{ProductId: id, Delta: int32(step%5) - 2, Reason: "set_by_admin", OnHand: 6 + int32(step%5), Available: 6 + int32(step%5), AdjustedAt: at(d + 7)})
	if step%3 == 0 {
		h.add(s, &catalogv1.ProductDeleted{ProductId: id, DeletedAt: at(d + 8)})
		if step%2 == 0 {
			h.add(s, &catalogv1.ProductRestored{ProductId: id, RestoredAt: at(d + 9)})
		}
	}
}

// interleave merges histories round robin, keeping each one's order (as a store's global
// order interleaves streams).
func interleave(t *testing.T, hs ...*history) []es.RecordedEvent {
	var out []es.RecordedEvent
	for i := 0; ; i++ {
		added := false
		for _, h := range hs {
			if i < len(h.evs) {
				out = append(out, h.evs[i])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// TestApplyBatch_SameTablesAsApply applies the same event sequences with Apply one by one
// and with ApplyBatch in batches of several sizes, and compares the tables.
func TestApplyBatch_SameTablesAsApply(t *testing.T) {
	db := pgtest.New(t)
	tests := []struct {
		name   string
		events func(t *testing.T) []es.RecordedEvent
	}{
		{"every event type, streams interleaved", func(t *testing.T) []es.RecordedEvent {
			cats := newHistory(t)
			cats.category("computers", "Computers", "")
			cats.category("keyboards", "Keyboards", "computers")
			var hs []*history
			for i := range 12 {
				h := newHistory(t)
				lifecycle(h, productID(i), []string{"computers", "keyboards"}[i%2], i)
				hs = append(hs, h)
			}
			return append(cats.evs, interleave(t, hs...)...)
		}},
		{"one hot product among others", func(t *testing.T) []es.RecordedEvent {
			hot, other := newHistory(t), newHistory(t)
			hot.category("books", "Books", "")
			hot.product(productID(1), "books", nil)
			other.product(productID(2), "books", nil)
			for i := range 60 {
				id, order := productID(1), fmt.Sprintf("order-%d", i)
				hot.add("product-"+id, &catalogv1.StockReserved{ProductId: id, OrderId: order, Quantity: 1, OnHand: 1000, Available: int32(999 - i), ReservedAt: at(time.Duration(i) * time.Second)})
				other.add("product-"+productID(2), &catalogv1.ProductPriceChanged{ProductId: productID(2), PriceMinor: int64(100 + i), Currency: "USD", ChangedAt: at(time.Duration(i) * time.Second)})
			}
			hot.add("product-"+productID(1), &catalogv1.ProductDeleted{ProductId: productID(1), DeletedAt: at(time.Hour)})
			return interleave(t, hot, other)
		}},
		{"creations only (a rebuild's shape)", func(t *testing.T) []es.RecordedEvent {
			h := newHistory(t)
			h.category("monitors", "Monitors", "")
			for i := range 250 {
				h.product(productID(i), "monitors", func(e *catalogv1.ProductCreated) {
					e.Name = fmt.Sprintf("Monitor %d inch", 20+i%20)
					e.CreatedAt = at(time.Duration(i) * time.Second)
				})
			}
			return h.evs
		}},
		{"private reservation streams mixed in", func(t *testing.T) []es.RecordedEvent {
			h, r := newHistory(t), newHistory(t)
			h.category("boards", "Dev boards", "")
			lifecycle(h, productID(7), "boards", 7)
			for i := range 5 {
				stream := fmt.Sprintf("reservation-order-%d", i)
				r.add(stream, &catalogv1.OrderReservationRequested{OrderId: stream})
				r.add(stream, &catalogv1.OrderReservationConfirmed{OrderId: stream})
			}
			return interleave(t, h, r)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			evs := tt.events(t)
			projectortest.RunBatchContract(t, db.Pool, catalog.New(), evs, dump)
			// The benchmarks' baseline, one statement per event, must agree too.
			projectortest.RunBatchContract(t, db.Pool, catalog.NewPerEvent(), evs, dump)
		})
	}
}
