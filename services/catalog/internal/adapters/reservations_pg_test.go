package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/services/catalog/internal/adapters"
	"github.com/storefront/storefront/services/catalog/internal/app"
	"github.com/storefront/storefront/services/catalog/internal/app/apptest"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

type pgEnv struct {
	app   app.Application
	store *postgres.Store
	reg   *events.Registry
}

// newPGEnv wires the application on a real PostgreSQL event store, as cmd/catalog does.
func newPGEnv(t *testing.T) *pgEnv {
	t.Helper()
	db := pgtest.New(t, postgres.Migrations("catalog"))
	store, err := postgres.New(db.Pool, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	reg := domain.Registry()
	a := app.New(app.Deps{
		// The retries of cmd/catalog: contention on one product is the point of these tests.
		Products:     aggregate.NewStore(store, reg, domain.NewProduct, aggregate.WithRetries(30)),
		Categories:   aggregate.NewStore(store, reg, domain.NewCategory),
		Reservations: aggregate.NewStore(store, reg, domain.NewReservation),
		Owners:       adapters.ClaimOwners{Claims: store},
		Reader:       apptest.UnbuiltReadModel{},
		Clock:        time.Now,
		Currency:     "USD",
	})
	if _, err := a.Commands.CreateCategory.Handle(context.Background(), app.CreateCategory{Slug: "dev-boards", Name: "Dev boards"}); err != nil {
		t.Fatal(err)
	}
	return &pgEnv{app: a, store: store, reg: reg}
}

func (e *pgEnv) product(t *testing.T, sku string, stock int32) string {
	t.Helper()
	p, err := e.app.Commands.CreateProduct.Handle(context.Background(), app.CreateProduct{ProductInput: app.ProductInput{
		SKU: sku, Name: "Board " + sku, Category: "dev-boards", PriceAmount: "35.00"}, Stock: stock})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// reserveAll runs one ReserveStock per order concurrently, each retried on Aborted as the
// checkout saga would, and counts successes and stock shortages.
func (e *pgEnv) reserveAll(t *testing.T, orders int, items func(i int) []domain.Line) (ok, short int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range orders {
		wg.Go(func() {
			<-start
			cmd := app.ReserveStock{OrderID: fmt.Sprintf("order-%03d", i), Items: items(i)}
			var err error
			for attempt := 0; attempt < 20; attempt++ {
				if _, err = e.app.Commands.ReserveStock.Handle(ctx, cmd); !errors.Is(err, es.ErrConcurrency) {
					break
				}
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, errs.FailedPrecondition):
				short++
			default:
				t.Errorf("order %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return ok, short
}

// checkStream replays a product's stream and fails if any event shows negative stock.
func (e *pgEnv) checkStream(t *testing.T, productID string) *domain.Product {
	t.Helper()
	ctx := context.Background()
	evs, err := e.store.ReadStream(ctx, domain.ProductStream(productID), 1, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		m, err := e.reg.Decode(ev)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := m.(interface{ GetAvailable() int32 }); ok && s.GetAvailable() < 0 {
			t.Fatalf("event %d (%s) has available %d", ev.Version, ev.Type, s.GetAvailable())
		}
	}
	p, err := aggregate.NewStore(e.store, e.reg, domain.NewProduct).Load(ctx, domain.ProductStream(productID))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReserveStock_50ConcurrentOrdersAgainst10Units_ExactlyTenSucceed(t *testing.T) {
	e := newPGEnv(t)
	id := e.product(t, "RPI-5", 10)
	ok, short := e.reserveAll(t, 50, func(int) []domain.Line { return []domain.Line{{ProductID: id, Quantity: 1}} })
	if ok != 10 || short != 40 {
		t.Fatalf("%d reserved, %d refused; want 10 and 40", ok, short)
	}
	p := e.checkStream(t, id)
	if p.Available() != 0 || p.Reserved() != 10 || p.OnHand() != 10 {
		t.Fatalf("available %d reserved %d on hand %d", p.Available(), p.Reserved(), p.OnHand())
	}
}

func TestReserveStock_50ConcurrentTwoLineOrders_AllOrNothing(t *testing.T) {
	e := newPGEnv(t)
	a := e.product(t, "ESP32", 10)
	b := e.product(t, "USB-C", 8)
	// Every order needs one of each: exactly 8 fit, and none of the others may keep a unit
	// of a held.
	ok, short := e.reserveAll(t, 50, func(i int) []domain.Line {
		return []domain.Line{{ProductID: a, Quantity: 1}, {ProductID: b, Quantity: 1}}
	})
	if ok != 8 || short != 42 {
		t.Fatalf("%d reserved, %d refused; want 8 and 42", ok, short)
	}
	pa, pb := e.checkStream(t, a), e.checkStream(t, b)
	if pa.Reserved() != 8 || pa.Available() != 2 || pb.Reserved() != 8 || pb.Available() != 0 {
		t.Fatalf("a: reserved %d available %d; b: reserved %d available %d", pa.Reserved(), pa.Available(), pb.Reserved(), pb.Available())
	}

	// Commit half, release the rest: the units end where they should.
	ctx := context.Background()
	committed := 0
	for i := range 50 {
		order := fmt.Sprintf("order-%03d", i)
		if pa.Hold(order) == 0 {
			continue
		}
		var err error
		if committed < 4 {
			err = e.app.Commands.CommitReservation.Handle(ctx, app.CommitReservation{OrderID: order})
			committed++
		} else {
			err = e.app.Commands.ReleaseReservation.Handle(ctx, app.ReleaseReservation{OrderID: order})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	pa, pb = e.checkStream(t, a), e.checkStream(t, b)
	if pa.Reserved() != 0 || pa.OnHand() != 6 || pa.Available() != 6 || pb.Reserved() != 0 || pb.OnHand() != 4 || pb.Available() != 4 {
		t.Fatalf("after settling: a %d/%d/%d b %d/%d/%d", pa.OnHand(), pa.Reserved(), pa.Available(), pb.OnHand(), pb.Reserved(), pb.Available())
	}
}

func TestCreateProduct_SKUClaimOnPostgres(t *testing.T) {
	e := newPGEnv(t)
	e.product(t, "KB-1", 1)
	_, err := e.app.Commands.CreateProduct.Handle(context.Background(), app.CreateProduct{ProductInput: app.ProductInput{
		SKU: "kb-1", Name: "Other", Category: "dev-boards", PriceAmount: "1"}})
	if !errors.Is(err, app.ErrSKUTaken) {
		t.Fatalf("duplicate SKU on PostgreSQL: %v", err)
	}
	owner, err := adapters.ClaimOwners{Claims: e.store}.Owner(context.Background(), domain.ScopeSKU, "KB-1")
	if err != nil || owner == "" {
		t.Fatalf("claim owner: %q %v", owner, err)
	}
}

// TestRestockReservation_ReturnsSoldUnitsOnce: a returned order's sold units come back on
// hand once however often the restock is asked; only a sold reservation can be restocked.
func TestRestockReservation_ReturnsSoldUnitsOnce(t *testing.T) {
	e := newPGEnv(t)
	a := e.product(t, "KB-RET", 10)
	b := e.product(t, "MOUSE-RET", 5)
	ctx := context.Background()
	lines := []domain.Line{{ProductID: a, Quantity: 3}, {ProductID: b, Quantity: 2}}
	if _, err := e.app.Commands.ReserveStock.Handle(ctx, app.ReserveStock{OrderID: "order-ret", Items: lines}); err != nil {
		t.Fatal(err)
	}
	restock := func() error {
		return e.app.Commands.RestockReservation.Handle(ctx, app.RestockReservation{OrderID: "order-ret"})
	}
	if err := restock(); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("restock before the sale: %v", err)
	}
	if err := e.app.Commands.CommitReservation.Handle(ctx, app.CommitReservation{OrderID: "order-ret"}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := restock(); err != nil {
			t.Fatal(err)
		}
	}
	pa, pb := e.checkStream(t, a), e.checkStream(t, b)
	if pa.OnHand() != 10 || pa.Available() != 10 || pb.OnHand() != 5 || pb.Available() != 5 {
		t.Fatalf("after the return: a %d/%d b %d/%d", pa.OnHand(), pa.Available(), pb.OnHand(), pb.Available())
	}
	if err := e.app.Commands.ReleaseReservation.Handle(ctx, app.ReleaseReservation{OrderID: "order-ret"}); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("release after the return: %v", err)
	}
	if err := e.app.Commands.RestockReservation.Handle(ctx, app.RestockReservation{OrderID: "no-such-order"}); !errors.Is(err, errs.NotFound) {
		t.Fatalf("restock of an unknown order: %v", err)
	}
}
