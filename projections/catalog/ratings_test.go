package catalog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/testkit/natstest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/projections/catalog"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
)

func reviewID(n int) string { return fmt.Sprintf("00000000-0000-7000-9000-%012d", n) }

// reviewHistory is the reviews context's events for products 1..3: product 1 gets 4, 2 and
// 5 (one edited from 1 to 5, one removed: 4 and 5 remain, 4.5); product 2 gets one review,
// removed (no rating); product 3 gets 1, 2 and 2 (1.67). A purchase verification changes no
// rating. Product 9 is never created: its review waits in review_ratings.
func reviewHistory(t *testing.T) *history {
	h := newHistory(t)
	review := func(n int, product string, rating int32) string {
		s := "review-" + reviewID(n)
		h.add(s, &reviewsv1.ProductReviewed{ReviewId: reviewID(n), ProductId: product, UserId: fmt.Sprint("u", n), AuthorName: "A",
			Rating: rating, Title: "T", ReviewedAt: at(time.Hour)})
		return s
	}
	review(1, productID(1), 4)
	s := review(2, productID(1), 1)
	h.add(s, &reviewsv1.ReviewEdited{ReviewId: reviewID(2), ProductId: productID(1), Rating: 5, Title: "T", PreviousRating: 1, EditedAt: at(2 * time.Hour)})
	s = review(3, productID(1), 2)
	h.add(s, &reviewsv1.ReviewPurchaseVerified{ReviewId: reviewID(3), ProductId: productID(1), UserId: "u3", OrderId: "o", VerifiedAt: at(2 * time.Hour)})
	h.add(s, &reviewsv1.ReviewRemoved{ReviewId: reviewID(3), ProductId: productID(1), Rating: 2, RemovedByUserId: "admin", RemovedByRole: "admin", RemovedAt: at(3 * time.Hour)})
	s = review(4, productID(2), 3)
	h.add(s, &reviewsv1.ReviewRemoved{ReviewId: reviewID(4), ProductId: productID(2), Rating: 3, RemovedAt: at(3 * time.Hour)})
	review(5, productID(3), 1)
	review(6, productID(3), 2)
	review(7, productID(3), 2)
	h.add("review-"+reviewID(8), &reviewsv1.ReviewPurchaseVerified{ReviewId: reviewID(8), ProductId: productID(3), UserId: "u8", OrderId: "o", VerifiedAt: at(time.Hour)})
	review(9, productID(9), 5)
	return h
}

func catalogHistory(t *testing.T) *history {
	h := newHistory(t)
	h.category("tools", "Tools", "")
	for n := 1; n <= 4; n++ {
		h.product(productID(n), "tools", nil)
	}
	return h
}

// ratings reads the products' rating columns.
func ratings(t *testing.T, q *catalog.Queries, ids ...int) map[int]string {
	t.Helper()
	out := map[int]string{}
	for _, n := range ids {
		p, err := q.GetProduct(context.Background(), productID(n))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = fmt.Sprintf("%.2f/%d", p.RatingAverage, p.RatingCount)
	}
	return out
}

// TestRatings_FoldedFromReviewsInAnyOrder: the ratings are the same whichever context's
// events come first (a rebuild reads the two stores in no particular order; live events
// interleave), event by event or in batches of any size.
func TestRatings_FoldedFromReviewsInAnyOrder(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	cat, rev := catalogHistory(t).evs, reviewHistory(t).evs
	orders := map[string][]es.RecordedEvent{
		"catalog first": append(append([]es.RecordedEvent{}, cat...), rev...),
		"reviews first": append(append([]es.RecordedEvent{}, rev...), cat...),
		"interleaved":   interleave(t, &history{evs: cat}, &history{evs: rev}),
	}
	want := map[int]string{1: "4.50/2", 2: "0.00/0", 3: "1.67/3", 4: "0.00/0"}
	var reference string
	i := 0
	for name, evs := range orders {
		for _, size := range []int{1, 3, 0} {
			t.Run(fmt.Sprintf("%s, batches of %d", name, size), func(t *testing.T) {
				i++
				schema := fmt.Sprintf("g%d", i)
				newGeneration(t, db.Pool, schema)
				if err := applyBatches(ctx, db.Pool, schema, evs, size); err != nil {
					t.Fatal(err)
				}
				got := ratings(t, catalog.NewQueriesIn(db.Pool, schema), 1, 2, 3, 4)
				for n, w := range want {
					if got[n] != w {
						t.Errorf("product %d: rating %s, want %s", n, got[n], w)
					}
				}
				d := dump(t, db.Pool, schema)
				if reference == "" {
					reference = d
				} else if d != reference {
					t.Errorf("tables differ from the first order's")
				}
			})
		}
	}
	// The product that arrives after its review is rated at once.
	schema := "late"
	newGeneration(t, db.Pool, schema)
	if err := applyBatches(ctx, db.Pool, schema, rev, 0); err != nil {
		t.Fatal(err)
	}
	late := newHistory(t)
	late.category("tools", "Tools", "")
	late.product(productID(9), "tools", nil)
	if err := applyEach(ctx, db.Pool, schema, late.evs); err != nil {
		t.Fatal(err)
	}
	if got := ratings(t, catalog.NewQueriesIn(db.Pool, schema), 9); got[9] != "5.00/1" {
		t.Fatalf("late product: %s", got[9])
	}
}

// TestRatings_OnTheRuntime: the catalog read model fed by two contexts on the runtime — a
// first build from both stores, then live events of both through JetStream, then a rebuild —
// has the ratings the reviews give, and the rebuilt tables equal the live ones.
func TestRatings_OnTheRuntime(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, projector.Migrations())
	env := natstest.New(t)
	cc, rc := env.Prefix+"_catalog", env.Prefix+"_reviews"
	stores := map[string]*memstore.Store{cc: memstore.New(), rc: memstore.New()}
	for c := range stores {
		if _, err := env.JS.CreateStream(ctx, natsbus.StreamConfig(c, 1, time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	rt, err := projector.New(projector.Config{Pool: db.Pool, JetStream: env.JS,
		Stores:    map[string]es.LogReader{cc: stores[cc], rc: stores[rc]},
		BatchSize: 40, FetchWait: 100 * time.Millisecond, RebuildBatchSize: 7, GapDelay: 50 * time.Millisecond,
		RetryDelays: []time.Duration{10 * time.Millisecond}}, catalog.NewForContexts(cc, rc))
	if err != nil {
		t.Fatal(err)
	}
	record := func(c string, evs []es.RecordedEvent, publish bool) {
		t.Helper()
		for _, ev := range evs {
			if _, err := stores[c].Append(ctx, ev.StreamID, es.Exact(ev.Version-1), []es.EventData{{ID: ev.ID, Type: ev.Type,
				SchemaVersion: ev.SchemaVersion, Payload: ev.Payload}}); err != nil {
				t.Fatal(err)
			}
			if publish {
				if _, err := env.JS.PublishMsg(ctx, natsbus.Encode(natsbus.Subject(c, ev), ev)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	cat, rev := catalogHistory(t).evs, reviewHistory(t).evs
	// The first build sees half of each log; the rest arrives live, reviews before products.
	record(cc, cat[:2], false)
	record(rc, rev[:7], false)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	record(rc, rev[7:], true)
	record(cc, cat[2:], true)
	q := catalog.NewQueries(db.Pool)
	want := map[int]string{1: "4.50/2", 2: "0.00/0", 3: "1.67/3", 4: "0.00/0"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := func() (map[int]string, error) {
			out := map[int]string{}
			for n := range want {
				p, err := q.GetProduct(ctx, productID(n))
				if err != nil {
					return nil, err
				}
				out[n] = fmt.Sprintf("%.2f/%d", p.RatingAverage, p.RatingCount)
			}
			return out, nil
		}()
		if err == nil && cmp.Equal(want, got) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ratings never reached %v: %v, %v", want, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	live := dump(t, db.Pool, catalog.Name)
	if err := rt.Rebuild(ctx, catalog.Name); err != nil {
		t.Fatal(err)
	}
	if rebuilt := dump(t, db.Pool, catalog.Name); rebuilt != live {
		t.Fatalf("the rebuild differs from the live read model (-live +rebuilt):\n%s", cmp.Diff(live, rebuilt))
	}
	if parked, err := rt.Parked(ctx, catalog.Name); err != nil || len(parked) != 0 {
		t.Fatalf("parked: %v, %v", parked, err)
	}
}
