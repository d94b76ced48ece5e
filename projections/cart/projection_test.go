package cart_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/projector/projectortest"
	"github.com/storefront/storefront/platform/testkit/natstest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/projections/cart"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

var epoch = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return epoch.Add(d).UnixMicro() }

func productID(n int) string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", n) }

// history builds a catalog event log, each event the next version of its stream.
type history struct {
	t        testing.TB
	versions map[string]int64
	evs      []es.RecordedEvent
}

func (h *history) add(stream string, m proto.Message) {
	h.t.Helper()
	payload, err := proto.Marshal(m)
	if err != nil {
		h.t.Fatal(err)
	}
	h.versions[stream]++
	h.evs = append(h.evs, es.RecordedEvent{ID: uuid.New(), StreamID: stream, Version: h.versions[stream],
		Type: string(m.ProtoReflect().Descriptor().FullName()), SchemaVersion: 1, Payload: payload, RecordedAt: epoch})
}

// lifecycle is every kind of product event the cart reads, and some it ignores.
func lifecycle(h *history, n int) {
	id := productID(n)
	s := "product-" + id
	d := time.Duration(n) * time.Second
	h.add("category-c"+id[len(id)-3:], &catalogv1.CategoryCreated{Slug: "c", Name: "C", CreatedAt: at(d)})
	h.add(s, &catalogv1.ProductCreated{ProductId: id, Sku: "SKU-" + id, Name: "Product", Slug: "p-" + id, Category: "c",
		PriceMinor: 1000, Currency: "USD", OnHand: 10, Available: 10, CreatedAt: at(d)})
	h.add(s, &catalogv1.ProductPriceChanged{ProductId: id, PriceMinor: int64(1000 + n), Currency: "USD", PreviousPriceMinor: 1000, ChangedAt: at(d + 1)})
	h.add(s, &catalogv1.StockReserved{ProductId: id, OrderId: "o", Quantity: 2, OnHand: 10, Available: 8, ReservedAt: at(d + 2)})
	h.add(s, &catalogv1.ProductDetailsUpdated{ProductId: id, Sku: "S-" + id, Name: fmt.Sprintf("Renamed %d", n), Slug: "p-" + id, Category: "c", UpdatedAt: at(d + 3)})
	h.add(s, &catalogv1.StockReservationCommitted{ProductId: id, OrderId: "o", Quantity: 2, OnHand: 8, Available: 8, CommittedAt: at(d + 4)})
	h.add(s, &catalogv1.StockReserved{ProductId: id, OrderId: "p", Quantity: 1, OnHand: 8, Available: 7, ReservedAt: at(d + 5)})
	h.add(s, &catalogv1.StockReservationReleased{ProductId: id, OrderId: "p", Quantity: 1, OnHand: 8, Available: 8, ReleasedAt: at(d + 6)})
	h.add(s, &catalogv1.StockAdjusted{ProductId: id, Delta: int32(n % 3), Reason: "set_by_admin", OnHand: 8 + int32(n%3), Available: 8 + int32(n%3), AdjustedAt: at(d + 7)})
	if n%3 == 0 {
		h.add(s, &catalogv1.ProductDeleted{ProductId: id, DeletedAt: at(d + 8)})
		if n%2 == 0 {
			h.add(s, &catalogv1.ProductRestored{ProductId: id, RestoredAt: at(d + 9)})
		}
	}
	// A private reservation stream, which a rebuild reads from the store: ignored.
	h.add("reservation-o"+id, &catalogv1.OrderReservationRequested{OrderId: "o" + id,
		Lines: []*catalogv1.OrderReservationLine{{ProductId: id, Quantity: 1}}})
}

func dump(t *testing.T, db *pgxpool.Pool, schema string) string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, sku, name, price_minor, currency, stock, status, updated_at
		FROM `+pgx.Identifier{schema, "products"}.Sanitize()+` ORDER BY id`)
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
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
	return b.String()
}

// want is the read model the events give, written out by hand.
func want(n int) string {
	var b strings.Builder
	for i := range n {
		id := productID(i)
		status, updated := "active", at(time.Duration(i)*time.Second+7)
		if i%3 == 0 {
			status, updated = "deleted", at(time.Duration(i)*time.Second+8)
			if i%2 == 0 {
				status, updated = "active", at(time.Duration(i)*time.Second+9)
			}
		}
		u, _ := uuid.Parse(id)
		fmt.Fprintln(&b, [16]byte(u), "S-"+id, fmt.Sprintf("Renamed %d", i), int64(1000+i), "USD", int32(8+i%3), status,
			time.UnixMicro(updated).UTC())
	}
	return b.String()
}

// TestProjection_OnTheRuntime: first build from the store, live events from JetStream, then
// a rebuild into a new generation; the read schema holds what the events say every time,
// and the reads of Products see it.
func TestProjection_OnTheRuntime(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, projector.Migrations())
	env := natstest.New(t)
	bc := env.Prefix + "_catalog"
	if _, err := env.JS.CreateStream(ctx, natsbus.StreamConfig(bc, 1, time.Hour)); err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	rt, err := projector.New(projector.Config{Pool: db.Pool, JetStream: env.JS, Stores: map[string]es.LogReader{bc: store},
		BatchSize: 40, FetchWait: 100 * time.Millisecond, RebuildBatchSize: 25, GapDelay: 50 * time.Millisecond,
		RetryDelays: []time.Duration{10 * time.Millisecond}}, cart.NewForContext(bc))
	if err != nil {
		t.Fatal(err)
	}
	record := func(h *history, publish bool) {
		t.Helper()
		for _, ev := range h.evs {
			if _, err := store.Append(ctx, ev.StreamID, es.Exact(ev.Version-1), []es.EventData{{ID: ev.ID, Type: ev.Type,
				SchemaVersion: ev.SchemaVersion, Payload: ev.Payload}}); err != nil {
				t.Fatal(err)
			}
			if publish && !strings.HasPrefix(ev.StreamID, "reservation-") {
				if _, err := env.JS.PublishMsg(ctx, natsbus.Encode(natsbus.Subject(bc, ev), ev)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	reaches := func(what, want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			got := dump(t, db.Pool, cart.Name)
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the read model never reached the expected rows (-want +got):\n%s", what, cmp.Diff(want, got))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first := &history{t: t, versions: map[string]int64{}}
	for i := range 20 {
		lifecycle(first, i)
	}
	record(first, false)
	if _, err := cart.Products(ctx, db.Pool, []string{productID(1)}); !errors.Is(err, cart.ErrNotBuilt) {
		t.Fatalf("read before the first build: %v, want ErrNotBuilt", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	reaches("first build", want(20))

	second := &history{t: t, versions: first.versions}
	for i := 20; i < 40; i++ {
		lifecycle(second, i)
	}
	record(second, true)
	reaches("live", want(40))

	got, err := cart.Products(ctx, db.Pool, []string{productID(1), productID(3), productID(6), productID(99)})
	if err != nil {
		t.Fatal(err)
	}
	wantProducts := map[string]cart.Product{
		productID(1): {ID: productID(1), SKU: "S-" + productID(1), Name: "Renamed 1", PriceMinor: 1001, Currency: "USD", Stock: 9, Active: true},
		productID(3): {ID: productID(3), SKU: "S-" + productID(3), Name: "Renamed 3", PriceMinor: 1003, Currency: "USD", Stock: 8, Active: false},
		productID(6): {ID: productID(6), SKU: "S-" + productID(6), Name: "Renamed 6", PriceMinor: 1006, Currency: "USD", Stock: 8, Active: true},
	}
	if diff := cmp.Diff(wantProducts, got); diff != "" {
		t.Fatalf("Products (-want +got):\n%s", diff)
	}

	if err := rt.Rebuild(ctx, cart.Name); err != nil {
		t.Fatal(err)
	}
	reaches("rebuild", want(40))
	parked, err := rt.Parked(ctx, cart.Name)
	if err != nil || len(parked) != 0 {
		t.Fatalf("parked events: %v, %v", parked, err)
	}
}

// TestProjection_BatchContract: ApplyBatch has the effect of Apply event by event.
func TestProjection_BatchContract(t *testing.T) {
	db := pgtest.New(t)
	h := &history{t: t, versions: map[string]int64{}}
	for i := range 12 {
		lifecycle(h, i)
	}
	projectortest.RunBatchContract(t, db.Pool, cart.New(), interleave(h.evs), dump)
}

// interleave reorders evs round robin across streams, keeping each stream's order, as a
// store's global order interleaves streams.
func interleave(evs []es.RecordedEvent) []es.RecordedEvent {
	byStream, order := map[string][]es.RecordedEvent{}, []string{}
	for _, ev := range evs {
		if _, ok := byStream[ev.StreamID]; !ok {
			order = append(order, ev.StreamID)
		}
		byStream[ev.StreamID] = append(byStream[ev.StreamID], ev)
	}
	var out []es.RecordedEvent
	for len(out) < len(evs) {
		for _, s := range order {
			if q := byStream[s]; len(q) > 0 {
				out, byStream[s] = append(out, q[0]), q[1:]
			}
		}
	}
	return out
}
