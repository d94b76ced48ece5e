package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	readmodel "github.com/storefront/storefront/projections/cart"
	"github.com/storefront/storefront/services/cart/internal/adapters"
	"github.com/storefront/storefront/services/cart/internal/app"
	"github.com/storefront/storefront/services/cart/internal/domain"
)

const schema = "cart"

// counter counts the round trips a pool makes for requests: each query, and each batch as
// one. The event store's wake-up NOTIFY, which a goroutine sends after appends (off the
// request's path), is not counted.
type counter struct{ queries, batches atomic.Int64 }

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !strings.Contains(d.SQL, "NOTIFY") {
		c.queries.Add(1)
	}
	return ctx
}
func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.batches.Add(1)
	return ctx
}
func (c *counter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (c *counter) roundTrips() int64 { return c.queries.Load() + c.batches.Load() }

// replica is one cart service process over the shared database.
type replica struct {
	app   app.Application
	trips *counter
}

// fixture is a database with the cart's event store and a built product read model.
type fixture struct {
	db  *pgtest.DB
	ids []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := pgtest.New(t, postgres.Migrations(schema))
	ctx := t.Context()
	if _, err := db.Pool.Exec(ctx, "CREATE SCHEMA "+readmodel.Name+"; SET search_path = "+readmodel.Name+";"+readmodel.New().DDL(readmodel.Name)+"; RESET search_path"); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db}
	for i := range 20 {
		id := fmt.Sprintf("0190a000-0000-7000-8000-%012d", i+1)
		f.ids = append(f.ids, id)
		f.product(t, id, 1000*int64(i+1), 50, "active")
	}
	return f
}

// product sets a product's row as the projector would.
func (f *fixture) product(t *testing.T, id string, price int64, stock int32, status string) {
	t.Helper()
	_, err := f.db.Pool.Exec(t.Context(), `INSERT INTO `+readmodel.Name+`.products VALUES ($1, $2, $3, $4, 'USD', $5, $6, now())
		ON CONFLICT (id) DO UPDATE SET price_minor = excluded.price_minor, stock = excluded.stock, status = excluded.status`,
		id, "SKU-"+id[len(id)-4:], "Product "+id[len(id)-4:], price, stock, status)
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) replica(t *testing.T) replica {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(f.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	trips := &counter{}
	cfg.ConnConfig.Tracer = trips
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store, err := postgres.New(pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	registry := domain.Registry()
	carts := aggregate.NewStore(store, registry, domain.NewCart)
	wishlists := aggregate.NewStore(store, registry, domain.NewWishlist)
	products := adapters.ReadModel{Pool: pool}
	return replica{trips: trips, app: app.New(app.Deps{
		Carts: carts, Wishlists: wishlists, Products: products, Clock: time.Now, Currency: "USD", Retries: 100,
		CartReader:    adapters.NewVersionedReader(carts, domain.CartStream, pool, store.StreamVersionSQL(), products, true),
		WishlistReads: adapters.NewVersionedReader(wishlists, domain.WishlistStream, pool, store.StreamVersionSQL(), products, true),
	})}
}

func as(userID string) context.Context {
	return reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: userID, Role: "customer"}})
}

const shopper = "0190b000-0000-7000-8000-000000000001"

func one(n int32) *int32 { return &n }

// A cart read seen before is checked with one round trip; every write through another
// replica shows on the next read (read-your-writes across replicas), and so does a price
// change in the read model.
func TestVersionedReader_OneRoundTripAndSeesOtherReplicasWrites(t *testing.T) {
	f := newFixture(t)
	a, b := f.replica(t), f.replica(t)
	ctx := as(shopper)
	if _, err := a.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: f.ids[0], Quantity: one(2)}); err != nil {
		t.Fatal(err)
	}
	c, err := b.app.Queries.GetCart.Handle(ctx, app.GetCart{})
	if err != nil || len(c.Lines) != 1 || c.SubtotalMinor != 2000 {
		t.Fatalf("replica b's first read: %+v, %v", c, err)
	}
	before := b.trips.roundTrips()
	if c, err = b.app.Queries.GetCart.Handle(ctx, app.GetCart{}); err != nil || c.SubtotalMinor != 2000 {
		t.Fatalf("second read: %+v, %v", c, err)
	}
	if n := b.trips.roundTrips() - before; n != 1 {
		t.Fatalf("an unchanged cart took %d round trips, want 1", n)
	}

	if _, err := a.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: f.ids[1]}); err != nil {
		t.Fatal(err)
	}
	f.product(t, f.ids[0], 1500, 50, "active")
	c, err = b.app.Queries.GetCart.Handle(ctx, app.GetCart{})
	if err != nil || len(c.Lines) != 2 || c.Lines[0].UnitPriceMinor != 1500 || c.SubtotalMinor != 2*1500+2000 || c.ItemCount != 3 {
		t.Fatalf("after a write through a and a price change: %+v, %v", c, err)
	}

	// The writer's own next read is one round trip too: its save updated its copy.
	if _, err := a.app.Queries.GetCart.Handle(ctx, app.GetCart{}); err != nil {
		t.Fatal(err)
	}
	before = a.trips.roundTrips()
	if _, err := a.app.Queries.GetCart.Handle(ctx, app.GetCart{}); err != nil {
		t.Fatal(err)
	}
	if n := a.trips.roundTrips() - before; n != 1 {
		t.Fatalf("the writer's read took %d round trips, want 1", n)
	}
	// An add to a cart that is cached and unchanged: the batched read and the append.
	before = a.trips.roundTrips()
	if _, err := a.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: f.ids[0]}); err != nil {
		t.Fatal(err)
	}
	if n := a.trips.roundTrips() - before; n != 2 {
		t.Fatalf("an add took %d round trips, want 2", n)
	}
}

// Two devices adding different products to one cart at the same moment both land: the
// event store's optimistic concurrency makes the loser start over on the winner's cart.
func TestTwoDevicesAddingAtOnce_EveryAddLands(t *testing.T) {
	f := newFixture(t)
	devices := []replica{f.replica(t), f.replica(t)}
	ctx := as(shopper)
	for _, d := range devices { // both have the (empty) cart cached
		if _, err := d.app.Queries.GetCart.Handle(ctx, app.GetCart{}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, id := range f.ids {
		wg.Go(func() {
			<-start
			if _, err := devices[i%2].app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: id}); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	for _, d := range devices {
		c, err := d.app.Queries.GetCart.Handle(ctx, app.GetCart{})
		if err != nil || len(c.Lines) != len(f.ids) || c.ItemCount != int32(len(f.ids)) {
			t.Fatalf("cart after %d concurrent adds: %d lines, %d units (%v)", len(f.ids), len(c.Lines), c.ItemCount, err)
		}
	}
}

func TestCheckout_ReadAndMarkCheckedOutOnce(t *testing.T) {
	f := newFixture(t)
	r := f.replica(t)
	ctx := as(shopper)
	internal := context.Background()
	if _, err := r.app.Queries.GetCheckoutCart.Handle(internal, app.GetCheckoutCart{UserID: shopper}); !errors.Is(err, domain.ErrCartEmpty) {
		t.Fatalf("checkout of an empty cart: %v", err)
	}
	if _, err := r.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: f.ids[0], Quantity: one(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: f.ids[1]}); err != nil {
		t.Fatal(err)
	}
	c, err := r.app.Queries.GetCheckoutCart.Handle(internal, app.GetCheckoutCart{UserID: shopper})
	if err != nil || len(c.Lines) != 2 || c.SubtotalMinor != 3*1000+2000 {
		t.Fatalf("checkout cart: %+v, %v", c, err)
	}
	var ordered []domain.OrderedLine
	for _, l := range c.Lines {
		ordered = append(ordered, domain.OrderedLine{ItemID: l.ItemID, ProductID: l.ProductID, Quantity: l.Quantity})
	}
	// Added between the checkout read and the check-out: stays in the cart.
	if _, err := r.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: f.ids[2]}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, false} {
		changed, err := r.app.Commands.MarkCheckedOut.Handle(internal, app.MarkCheckedOut{UserID: shopper, OrderID: "order-1", Lines: ordered})
		if err != nil || changed != want {
			t.Fatalf("MarkCheckedOut #%d: changed %v, %v; want %v", i+1, changed, err, want)
		}
	}
	left, err := r.app.Queries.GetCart.Handle(ctx, app.GetCart{})
	if err != nil || len(left.Lines) != 1 || left.Lines[0].ProductID != f.ids[2] {
		t.Fatalf("cart after the check-out: %+v, %v", left, err)
	}

	f.product(t, f.ids[2], 3000, 50, "deleted")
	if _, err := r.app.Queries.GetCheckoutCart.Handle(internal, app.GetCheckoutCart{UserID: shopper}); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("checkout with a deleted product: %v", err)
	}
	f.product(t, f.ids[2], 3000, 0, "active")
	if _, err := r.app.Queries.GetCheckoutCart.Handle(internal, app.GetCheckoutCart{UserID: shopper}); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("checkout beyond the stock: %v", err)
	}
	if _, err := r.app.Queries.GetCheckoutCart.Handle(internal, app.GetCheckoutCart{UserID: "nope"}); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("bad user id: %v", err)
	}
}

// Every refused command leaves the cart and the wishlist as they were (no event).
func TestRefusedCommands_ChangeNothing(t *testing.T) {
	f := newFixture(t)
	r := f.replica(t)
	ctx := as(shopper)
	if _, err := r.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: f.ids[0], Quantity: one(2)}); err != nil {
		t.Fatal(err)
	}
	f.product(t, f.ids[5], 1000, 5, "deleted")
	c, _ := r.app.Queries.GetCart.Handle(ctx, app.GetCart{})
	item := c.Lines[0].ItemID
	for _, tc := range []struct {
		name string
		run  func() error
		want error
	}{
		{"unknown product", func() error {
			_, err := r.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: "0190a000-0000-7000-8000-999999999999"})
			return err
		}, errs.NotFound},
		{"deleted product", func() error {
			_, err := r.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: f.ids[5]})
			return err
		}, errs.NotFound},
		{"not a uuid", func() error {
			_, err := r.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: "kb"})
			return err
		}, errs.InvalidArgument},
		{"quantity 0", func() error {
			_, err := r.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: f.ids[0], Quantity: one(0)})
			return err
		}, errs.InvalidArgument},
		{"beyond stock", func() error {
			_, err := r.app.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: f.ids[0], Quantity: one(49)})
			return err
		}, errs.FailedPrecondition},
		{"patch beyond stock", func() error {
			_, err := r.app.Commands.UpdateCartItem.Handle(ctx, app.UpdateCartItem{ItemID: item, Quantity: 51})
			return err
		}, errs.FailedPrecondition},
		{"patch unknown line", func() error {
			_, err := r.app.Commands.UpdateCartItem.Handle(ctx, app.UpdateCartItem{ItemID: "nope", Quantity: 1})
			return err
		}, errs.NotFound},
		{"remove unknown line", func() error {
			return r.app.Commands.RemoveCartItem.Handle(ctx, app.RemoveCartItem{ItemID: "nope"})
		}, errs.NotFound},
		{"another user's line", func() error {
			return r.app.Commands.RemoveCartItem.Handle(as("0190b000-0000-7000-8000-000000000002"), app.RemoveCartItem{ItemID: item})
		}, errs.NotFound},
		{"wishlist deleted product", func() error {
			_, _, err := r.app.Commands.AddWishlistItem.Handle(ctx, app.AddWishlistItem{ProductID: f.ids[5]})
			return err
		}, errs.NotFound},
		{"anonymous", func() error {
			_, err := r.app.Queries.GetCart.Handle(context.Background(), app.GetCart{})
			return err
		}, errs.Unauthenticated},
	} {
		if err := tc.run(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	var events int
	if err := f.db.Pool.QueryRow(t.Context(), "SELECT count(*) FROM cart.events").Scan(&events); err != nil || events != 1 {
		t.Fatalf("events after the refused commands: %d (%v), want 1", events, err)
	}
}

func TestWishlist_AddTwiceGivesTheSameItem(t *testing.T) {
	f := newFixture(t)
	r := f.replica(t)
	ctx := as(shopper)
	first, added, err := r.app.Commands.AddWishlistItem.Handle(ctx, app.AddWishlistItem{ProductID: f.ids[3]})
	if err != nil || !added {
		t.Fatal(added, err)
	}
	again, added, err := r.app.Commands.AddWishlistItem.Handle(ctx, app.AddWishlistItem{ProductID: f.ids[3]})
	if err != nil || added || again.ItemID != first.ItemID {
		t.Fatalf("second add: %+v added %v (%v)", again, added, err)
	}
	f.product(t, f.ids[3], 777, 5, "deleted")
	items, err := r.app.Queries.ListWishlist.Handle(ctx, app.ListWishlist{})
	if err != nil || len(items) != 1 || items[0].Available || items[0].PriceMinor != 777 {
		t.Fatalf("wishlist with a deleted product: %+v, %v", items, err)
	}
}
