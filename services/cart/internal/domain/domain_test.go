package domain

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/events"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
)

var now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

const (
	user = "0190a000-0000-7000-8000-000000000001"
	kb   = "0190a000-0000-7000-8000-0000000000a1"
	mon  = "0190a000-0000-7000-8000-0000000000b2"
)

// replay rebuilds a cart from the events c recorded, as loading does.
func replay(t *testing.T, c *Cart) *Cart {
	t.Helper()
	got := NewCart(CartStream(c.userID))
	for _, e := range c.Pending() {
		if err := got.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func quantities(c *Cart) map[string]int32 {
	out := map[string]int32{}
	for _, l := range c.Lines() {
		out[l.ProductID] = l.Quantity
	}
	return out
}

func TestCart_Add(t *testing.T) {
	type add struct {
		product             string
		quantity, available int32
		want                error
	}
	for _, tc := range []struct {
		name  string
		adds  []add
		lines map[string]int32
	}{
		{"new line", []add{{kb, 2, 10, nil}}, map[string]int32{kb: 2}},
		{"same product adds to its line", []add{{kb, 2, 10, nil}, {kb, 3, 10, nil}}, map[string]int32{kb: 5}},
		{"two products, two lines", []add{{kb, 1, 10, nil}, {mon, 1, 10, nil}}, map[string]int32{kb: 1, mon: 1}},
		{"exactly the stock", []add{{kb, 10, 10, nil}}, map[string]int32{kb: 10}},
		{"beyond the stock", []add{{kb, 11, 10, errs.FailedPrecondition}}, map[string]int32{}},
		{"line beyond the stock", []add{{kb, 6, 10, nil}, {kb, 5, 10, errs.FailedPrecondition}}, map[string]int32{kb: 6}},
		{"sold out", []add{{kb, 1, 0, errs.FailedPrecondition}}, map[string]int32{}},
		{"zero", []add{{kb, 0, 10, errs.InvalidArgument}}, map[string]int32{}},
		{"negative", []add{{kb, -1, 10, errs.InvalidArgument}}, map[string]int32{}},
		{"100 units", []add{{kb, 100, 1000, errs.InvalidArgument}}, map[string]int32{}},
		{"99 units", []add{{kb, 99, 1000, nil}}, map[string]int32{kb: 99}},
		{"line beyond 99", []add{{kb, 60, 1000, nil}, {kb, 40, 1000, errs.InvalidArgument}}, map[string]int32{kb: 60}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCart(CartStream(user))
			for i, a := range tc.adds {
				_, err := c.Add("item-"+a.product, a.product, a.quantity, a.available, now)
				if !errors.Is(err, a.want) || (a.want == nil) != (err == nil) {
					t.Fatalf("add %d: err = %v, want %v", i, err, a.want)
				}
			}
			if diff := cmp.Diff(tc.lines, quantities(c)); diff != "" {
				t.Fatalf("lines (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.lines, quantities(replay(t, c))); diff != "" {
				t.Fatalf("replayed lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCart_AddKeepsTheLineID(t *testing.T) {
	c := NewCart(CartStream(user))
	first, _ := c.Add("item-1", kb, 1, 10, now)
	second, err := c.Add("item-2", kb, 1, 10, now)
	if err != nil || first.ItemID != "item-1" || second.ItemID != "item-1" || second.Quantity != 2 {
		t.Fatalf("lines %+v then %+v (%v), want one line item-1 with 2 units", first, second, err)
	}
	if _, ok := c.Pending()[1].(*cartv1.CartItemQuantityChanged); !ok {
		t.Fatalf("second add recorded %T, want CartItemQuantityChanged", c.Pending()[1])
	}
}

func TestCart_LinesAreBounded(t *testing.T) {
	c := NewCart(CartStream(user))
	for i := range MaxLines {
		if _, err := c.Add("item", productN(i), 1, 10, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Add("item", productN(MaxLines), 1, 10, now); !errors.Is(err, ErrCartFull) || !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("line %d: %v, want ErrCartFull", MaxLines+1, err)
	}
	if _, err := c.Add("item", productN(0), 1, 10, now); err != nil {
		t.Fatalf("a full cart still takes units on an existing line: %v", err)
	}
}

func productN(i int) string {
	return "0190a000-0000-7000-8000-" + string(rune('a'+i/26%26)) + string(rune('a'+i%26)) + "0000000000"
}

func TestCart_SetQuantity(t *testing.T) {
	for _, tc := range []struct {
		name                string
		quantity, available int32
		want                error
		line                int32
		recorded            bool
	}{
		{"lower", 2, 10, nil, 2, true},
		{"raise within stock", 8, 10, nil, 8, true},
		{"raise beyond stock", 11, 10, errs.FailedPrecondition, 5, false},
		{"lower below a stock that fell", 4, 3, nil, 4, true},
		{"raise on a deleted product", 6, 0, errs.FailedPrecondition, 5, false},
		{"lower on a deleted product", 1, 0, nil, 1, true},
		{"same quantity", 5, 0, nil, 5, false},
		{"zero", 0, 10, errs.InvalidArgument, 5, false},
		{"100", 100, 1000, errs.InvalidArgument, 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCart(CartStream(user))
			if _, err := c.Add("item-1", kb, 5, 10, now); err != nil {
				t.Fatal(err)
			}
			before := len(c.Pending())
			err := c.SetQuantity("item-1", tc.quantity, tc.available, now)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got := quantities(replay(t, c))[kb]; got != tc.line {
				t.Fatalf("line holds %d, want %d", got, tc.line)
			}
			if recorded := len(c.Pending()) > before; recorded != tc.recorded {
				t.Fatalf("recorded an event: %v, want %v", recorded, tc.recorded)
			}
		})
	}
	c := NewCart(CartStream(user))
	if err := c.SetQuantity("nope", 1, 10, now); !errors.Is(err, ErrItemNotFound) || !errors.Is(err, errs.NotFound) {
		t.Fatalf("unknown line: %v", err)
	}
}

func TestCart_RemoveAndClear(t *testing.T) {
	c := NewCart(CartStream(user))
	_, _ = c.Add("item-1", kb, 1, 10, now)
	_, _ = c.Add("item-2", mon, 1, 10, now)
	if err := c.Remove("item-1", now); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove("item-1", now); !errors.Is(err, ErrItemNotFound) {
		t.Fatalf("second remove: %v", err)
	}
	if diff := cmp.Diff(map[string]int32{mon: 1}, quantities(replay(t, c))); diff != "" {
		t.Fatal(diff)
	}
	c.Clear(now)
	n := len(c.Pending())
	c.Clear(now)
	if len(c.Lines()) != 0 || len(replay(t, c).Lines()) != 0 || len(c.Pending()) != n {
		t.Fatalf("after Clear: %v lines; clearing an empty cart recorded %d events", c.Lines(), len(c.Pending())-n)
	}
}

func TestCart_CheckOut(t *testing.T) {
	c := NewCart(CartStream(user))
	_, _ = c.Add("item-kb", kb, 2, 10, now)
	_, _ = c.Add("item-mon", mon, 1, 10, now)
	// The order read the cart with 2 keyboards and 1 monitor; a third keyboard came after.
	_, _ = c.Add("x", kb, 1, 10, now)
	changed, err := c.CheckOut("order-1", []OrderedLine{{"item-kb", kb, 2}, {"item-mon", mon, 1}, {"gone", kb, 1}}, now)
	if err != nil || !changed {
		t.Fatalf("CheckOut: %v, %v", changed, err)
	}
	if diff := cmp.Diff(map[string]int32{kb: 1}, quantities(replay(t, c))); diff != "" {
		t.Fatalf("after checkout (-want +got):\n%s", diff)
	}
	n := len(c.Pending())
	if changed, err := c.CheckOut("order-1", []OrderedLine{{"item-kb", kb, 1}}, now); err != nil || changed || len(c.Pending()) != n {
		t.Fatalf("repeated CheckOut: changed %v, err %v, events %d", changed, err, len(c.Pending())-n)
	}
	if !replay(t, c).CheckedOut("order-1") {
		t.Fatal("replayed cart forgot the order")
	}
	if _, err := c.CheckOut("", nil, now); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("no order id: %v", err)
	}
	if _, err := c.CheckOut("order-2", []OrderedLine{{"item-kb", kb, 0}}, now); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("zero units: %v", err)
	}
}

func TestCart_CloneIsIndependent(t *testing.T) {
	c := NewCart(CartStream(user))
	_, _ = c.Add("item-1", kb, 1, 10, now)
	cp := c.Clone()
	_, _ = cp.Add("item-2", mon, 1, 10, now)
	_ = cp.SetQuantity("item-1", 3, 10, now)
	_, _ = cp.CheckOut("order-1", nil, now)
	if diff := cmp.Diff(map[string]int32{kb: 1}, quantities(c)); diff != "" || c.CheckedOut("order-1") {
		t.Fatalf("changing the clone changed the original: %s", diff)
	}
}

func TestPrice(t *testing.T) {
	c := NewCart(CartStream(user))
	_, _ = c.Add("item-kb", kb, 2, 10, now)
	_, _ = c.Add("item-mon", mon, 1, 10, now)
	products := map[string]Product{
		kb:  {ID: kb, SKU: "KB", Name: "Keyboard", PriceMinor: 12999, Currency: "USD", Stock: 7, Active: true},
		mon: {ID: mon, SKU: "MON", Name: "Monitor", PriceMinor: 30000, Currency: "USD", Stock: 3, Active: false},
	}
	p := Price(c, products, "USD")
	if p.ID != CartID(user) || p.ItemCount != 2 || p.SubtotalMinor != 25998 {
		t.Fatalf("priced cart %+v: want 2 units, subtotal 259.98", p)
	}
	if l := p.Lines[0]; !l.Available || l.LineTotalMinor != 25998 || l.Stock != 7 || l.Name != "Keyboard" {
		t.Fatalf("keyboard line %+v", l)
	}
	if l := p.Lines[1]; l.Available || l.Stock != 0 || l.LineTotalMinor != 30000 || l.Name != "Monitor" {
		t.Fatalf("deleted monitor line %+v: want unavailable, with its last name and price", l)
	}
	if err := p.ReadyForCheckout(); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("checkout with a deleted product: %v", err)
	}
	delete(products, mon)
	if l := Price(c, products, "USD").Lines[1]; l.Available {
		t.Fatal("a product unknown to the read model is available")
	}
	_ = c.Remove("item-mon", now)
	if err := Price(c, products, "USD").ReadyForCheckout(); err != nil {
		t.Fatalf("checkout of available lines: %v", err)
	}
	products[kb] = Product{ID: kb, PriceMinor: 12999, Currency: "USD", Stock: 1, Active: true}
	var short *InsufficientStockError
	if err := Price(c, products, "USD").ReadyForCheckout(); !errors.As(err, &short) || short.Available != 1 || short.Requested != 2 {
		t.Fatalf("checkout beyond stock: %v", err)
	}
	if err := Price(NewCart(CartStream(user)), nil, "USD").ReadyForCheckout(); !errors.Is(err, ErrCartEmpty) {
		t.Fatalf("empty cart: %v", err)
	}
	if id := CartID(user); id == CartID(kb) || id != NewCart(CartStream(user)).ID() || len(id) != 36 {
		t.Fatalf("cart id %q: want a UUID, the same for a user's every cart, another for another user", id)
	}
}

func TestWishlist(t *testing.T) {
	w := NewWishlist(WishlistStream(user))
	first, added, err := w.Add("w-1", kb, now)
	if err != nil || !added {
		t.Fatal(added, err)
	}
	again, added, err := w.Add("w-2", kb, now.Add(time.Hour))
	if err != nil || added || again != first {
		t.Fatalf("second add of the product: %+v, added %v, %v; want the first item", again, added, err)
	}
	_, _, _ = w.Add("w-3", mon, now)
	if err := w.Remove("w-1", now); err != nil {
		t.Fatal(err)
	}
	if err := w.Remove("w-1", now); !errors.Is(err, ErrWishlistItemNotFound) || !errors.Is(err, errs.NotFound) {
		t.Fatalf("second remove: %v", err)
	}
	got := NewWishlist(WishlistStream(user))
	for _, e := range w.Pending() {
		if err := got.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got.ProductIDs(), []string{mon}) || len(w.Pending()) != 3 {
		t.Fatalf("replayed wishlist %v from %d events", got.ProductIDs(), len(w.Pending()))
	}
	full := NewWishlist(WishlistStream(user))
	for i := range MaxWishlistItems {
		_, _, _ = full.Add("w", "p"+string(rune(i)), now)
	}
	if _, _, err := full.Add("w", "one more", now); !errors.Is(err, ErrWishlistFull) {
		t.Fatalf("beyond %d items: %v", MaxWishlistItems, err)
	}
}

// TestEvents_CatalogueHasEveryEventMessage fails when a message of events.proto is missing
// from Events (and so from the registry that loads the aggregates).
func TestEvents_CatalogueHasEveryEventMessage(t *testing.T) {
	if missing := events.Unlisted(cartv1.File_storefront_cart_v1_events_proto, Events(), "CheckedOutLine"); len(missing) != 0 {
		t.Fatalf("not in domain.Events(): %v", missing)
	}
	for _, e := range Events() {
		name := e.ProtoReflect().Descriptor().FullName()
		if _, err := Registry().Decode(esEvent(t, name)); err != nil {
			t.Errorf("registry cannot decode %s: %v", name, err)
		}
	}
}
