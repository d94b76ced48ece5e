package adapters_test

import (
	"context"
	"slices"
	"testing"

	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/services/reviews/internal/adapters"
)

// TestPurchases_OnTheRealDatabase: an order is kept once (a redelivered OrderPlaced changes
// nothing) and an unknown one is told apart.
func TestPurchases_OnTheRealDatabase(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, adapters.Migrations("reviews_test"))
	p := adapters.Purchases{Pool: db.Pool, Schema: "reviews_test"}
	if _, _, ok, err := p.Order(ctx, "o1"); ok || err != nil {
		t.Fatalf("unknown order: ok %v, %v", ok, err)
	}
	if err := p.SaveOrder(ctx, "o1", "ada", []string{"kb", "mouse"}); err != nil {
		t.Fatal(err)
	}
	if err := p.SaveOrder(ctx, "o1", "someone else", []string{"other"}); err != nil {
		t.Fatal(err)
	}
	user, products, ok, err := p.Order(ctx, "o1")
	if err != nil || !ok || user != "ada" || !slices.Equal(products, []string{"kb", "mouse"}) {
		t.Fatalf("order: %q %v %v %v", user, products, ok, err)
	}
}
