package catalog_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/projections/catalog"
)

// TestQueries_ReadAcrossGenerationSwitches_NeverFail reads the catalog continuously (lists
// filtered by a category with subcategories, searches, gets) while the read model is rebuilt
// and switched again and again: no query may fail. A list that read both views in one
// statement deadlocked with the switch (which replaces the categories view, then the
// products view), found by bench/cmd/catalog (decision 013).
func TestQueries_ReadAcrossGenerationSwitches_NeverFail(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, projector.Migrations())
	store := memstore.New()
	h := newHistory(t)
	h.category("computers", "Computers", "")
	h.category("keyboards", "Keyboards", "computers")
	h.category("split", "Split keyboards", "keyboards")
	for i := range 300 {
		h.product(productID(i), []string{"computers", "keyboards", "split"}[i%3], nil)
	}
	for _, ev := range h.evs {
		if _, err := store.Append(ctx, ev.StreamID, es.Exact(ev.Version-1), []es.EventData{{ID: ev.ID, Type: ev.Type,
			SchemaVersion: ev.SchemaVersion, Payload: ev.Payload}}); err != nil {
			t.Fatal(err)
		}
	}
	rt, err := projector.New(projector.Config{Pool: db.Pool, Stores: map[string]es.LogReader{"catalog": store, "reviews": memstore.New()}}, catalog.New())
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Rebuild(ctx, catalog.Name); err != nil {
		t.Fatal(err)
	}

	q := catalog.NewQueries(db.Pool)
	var (
		stop     atomic.Bool
		reads    atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []error
	)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				var err error
				switch (i + w) % 3 {
				case 0:
					_, err = q.ListProducts(ctx, catalog.ProductFilter{Page: 1, PerPage: 20, Category: "computers", Sort: catalog.SortNewest})
				case 1:
					_, err = q.ListProducts(ctx, catalog.ProductFilter{Page: 2, PerPage: 20, Category: "keyboards", Query: "product",
						Sort: catalog.SortRelevance})
				default:
					_, err = q.GetProduct(ctx, productID(i%300))
				}
				reads.Add(1)
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
			}
		})
	}
	for range 15 {
		if err := rt.Rebuild(ctx, catalog.Name); err != nil {
			t.Error(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d reads failed across 15 switches, first: %v", len(failures), reads.Load(), failures[0])
	}
	t.Logf("%d reads across 15 switches, none failed", reads.Load())
}
