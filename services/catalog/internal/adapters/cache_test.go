package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/platform/devenv"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/testkit/redistest"
	readmodel "github.com/storefront/storefront/projections/catalog"
	"github.com/storefront/storefront/services/catalog/internal/adapters"
	"github.com/storefront/storefront/services/catalog/internal/app"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// countingReader is an app.ProductReader that serves one product and one page, counts its
// calls and can be changed.
type countingReader struct {
	mu       sync.Mutex
	product  app.ProductView
	calls    map[string]int
	notFound bool
}

func (r *countingReader) count(what string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[what]
}

func (r *countingReader) ListProducts(_ context.Context, f app.ProductFilter) (app.ProductPage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls["list"]++
	return app.ProductPage{Items: []app.ProductView{r.product}, Total: 41 + f.Page}, nil
}

func (r *countingReader) GetProduct(_ context.Context, id string) (app.ProductView, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls["get"]++
	if r.notFound {
		return app.ProductView{}, fmt.Errorf("%w: %s", errs.NotFound, id)
	}
	return r.product, nil
}

func (r *countingReader) ListCategories(context.Context) ([]app.CategoryView, error) { return nil, nil }

func (r *countingReader) AdminListProducts(context.Context, app.AdminProductFilter) (app.ProductPage, error) {
	return app.ProductPage{}, nil
}

func sampleProduct(price int64) app.ProductView {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	return app.ProductView{ID: "0190e4c2-7b4a-7000-8000-000000000001", SKU: "KB-1", Name: "Keyboard", Slug: "keyboard",
		Description: "Clicky.", Category: "keyboards", Brand: "Acme", PriceMinor: price, Currency: "USD",
		Specs: []domain.Spec{{Key: "switch", Value: "brown", Unit: ""}}, Images: []domain.Image{{URL: "https://img.example.com/k.png", Alt: "k"}},
		Stock: 3, RatingAverage: 4.5, RatingCount: 2, Status: "active", CreatedAt: at, UpdatedAt: at}
}

// newCache returns a cache over next with a fresh key prefix, whose commit counter exists
// (as the projector makes it) when withCounter.
func newCache(t *testing.T, rdb redis.UniversalClient, next app.ProductReader, withCounter bool) (*adapters.PageCache, string) {
	control := redistest.Client(t)
	prefix := redistest.Prefix(t, control)
	if withCounter {
		if err := control.Set(context.Background(), prefix+projector.CommittedCounterKey(readmodel.Name), 7, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	return &adapters.PageCache{Next: next, Redis: rdb, Prefix: prefix, TTL: 5 * time.Minute}, prefix
}

func TestPageCache_HitsUntilTheReadModelCommits_ThenMisses(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Client(t)
	next := &countingReader{product: sampleProduct(1000), calls: map[string]int{}}
	c, prefix := newCache(t, rdb, next, true)
	filter := app.ProductFilter{Page: 1, PerPage: 20, Category: "keyboards", Query: "clicky", Sort: app.SortRelevance}

	for range 3 {
		p, err := c.GetProduct(ctx, "keyboard")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sampleProduct(1000), p); diff != "" {
			t.Fatalf("product (-want +got):\n%s", diff)
		}
		page, err := c.ListProducts(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(app.ProductPage{Items: []app.ProductView{sampleProduct(1000)}, Total: 42}, page); diff != "" {
			t.Fatalf("page (-want +got):\n%s", diff)
		}
	}
	if g, l := next.count("get"), next.count("list"); g != 1 || l != 1 {
		t.Fatalf("reads of the read model: %d gets, %d lists; want 1 each (then hits)", g, l)
	}
	// Another filter is another entry.
	if _, err := c.ListProducts(ctx, app.ProductFilter{Page: 2, PerPage: 20, Category: "keyboards", Query: "clicky", Sort: app.SortRelevance}); err != nil {
		t.Fatal(err)
	}
	if l := next.count("list"); l != 2 {
		t.Fatalf("page 2: %d lists, want 2", l)
	}

	// The projector commits a change: the counter moves, every entry is missed.
	next.mu.Lock()
	next.product = sampleProduct(2000)
	next.mu.Unlock()
	if err := rdb.Incr(ctx, prefix+projector.CommittedCounterKey(readmodel.Name)).Err(); err != nil {
		t.Fatal(err)
	}
	p, err := c.GetProduct(ctx, "keyboard")
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.ListProducts(ctx, filter)
	if err != nil {
		t.Fatal(err)
	}
	if p.PriceMinor != 2000 || page.Items[0].PriceMinor != 2000 {
		t.Fatalf("after the commit: product price %d, page price %d; want 2000", p.PriceMinor, page.Items[0].PriceMinor)
	}
	if g, l := next.count("get"), next.count("list"); g != 2 || l != 3 {
		t.Fatalf("after the commit: %d gets, %d lists; want 2 and 3", g, l)
	}
}

func TestPageCache_EntriesExpireAfterTheTTL(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Client(t)
	c, prefix := newCache(t, rdb, &countingReader{product: sampleProduct(1000), calls: map[string]int{}}, true)
	if _, err := c.GetProduct(ctx, "keyboard"); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, prefix+"catalog:page:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("cache keys %v (%v), want one", keys, err)
	}
	ttl, err := rdb.TTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 4*time.Minute+50*time.Second || ttl > 5*time.Minute {
		t.Fatalf("TTL of %s = %s (%v), want 5m", keys[0], ttl, err)
	}
}

func TestPageCache_ErrorsAreNotCached(t *testing.T) {
	ctx := context.Background()
	next := &countingReader{product: sampleProduct(1000), calls: map[string]int{}, notFound: true}
	c, _ := newCache(t, redistest.Client(t), next, true)
	for range 2 {
		if _, err := c.GetProduct(ctx, "nope"); !errors.Is(err, errs.NotFound) {
			t.Fatalf("err = %v, want NotFound", err)
		}
	}
	if g := next.count("get"); g != 2 {
		t.Fatalf("%d reads, want 2 (errors are not cached)", g)
	}
}

func TestPageCache_RedisDown_ReadsTheReadModelWithoutError(t *testing.T) {
	ctx := context.Background()
	port, err := devenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	// Nothing listens there.
	down := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1, DialTimeout: 50 * time.Millisecond})
	t.Cleanup(func() { _ = down.Close() })
	next := &countingReader{product: sampleProduct(1000), calls: map[string]int{}}
	c, _ := newCache(t, down, next, false)
	for range 3 {
		p, err := c.GetProduct(ctx, "keyboard")
		if err != nil || p.PriceMinor != 1000 {
			t.Fatalf("GetProduct with Redis down: %+v, %v", p, err)
		}
		page, err := c.ListProducts(ctx, app.ProductFilter{Page: 1, PerPage: 20, Sort: app.SortNewest})
		if err != nil || page.Total != 42 {
			t.Fatalf("ListProducts with Redis down: %+v, %v", page, err)
		}
	}
	if g, l := next.count("get"), next.count("list"); g != 3 || l != 3 {
		t.Fatalf("%d gets, %d lists; want every read from the read model", g, l)
	}
}

// Without the projector's counter nothing could invalidate an entry: nothing is cached.
func TestPageCache_NoCommitCounter_NothingCached(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Client(t)
	next := &countingReader{product: sampleProduct(1000), calls: map[string]int{}}
	c, prefix := newCache(t, rdb, next, false)
	for range 2 {
		if _, err := c.GetProduct(ctx, "keyboard"); err != nil {
			t.Fatal(err)
		}
	}
	keys, _ := rdb.Keys(ctx, prefix+"*").Result()
	if g := next.count("get"); g != 2 || len(keys) != 0 {
		t.Fatalf("%d reads, keys %v; want 2 reads and no key", g, keys)
	}
}
