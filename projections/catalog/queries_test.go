package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/projections/catalog"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// fixture is a small catalog with ties on price, rating and creation time.
//
//	computers ─┬─ keyboards ── split
//	           └─ monitors
//	books
//	io-z, iob (byte order: "io-z" < "iob")
type fixture struct {
	q *catalog.Queries
}

type fixtureProduct struct {
	n                 int
	name, brand, desc string
	specs             []*catalogv1.ProductSpec
	category          string
	price             int64
	stock             int32
	rating            float64
	created           time.Duration
	deleted           bool
}

var fixtureProducts = []fixtureProduct{
	{1, "Ergo Split Keyboard", "Keeb Co", "A split mechanical keyboard with tenting.",
		[]*catalogv1.ProductSpec{{Key: "switches", Value: "Gateron Brown"}}, "split", 12999, 5, 4.5, 1, false},
	{2, "Compact Mechanical Keyboard", "Keeb Co", "Sixty percent layout, hot-swappable switches.", nil, "keyboards", 8999, 0, 4.5, 2, false},
	{3, "UltraWide Monitor 34", "Viewtek", "Curved screen for programmers.", nil, "monitors", 49999, 3, 3.9, 3, false},
	{4, "The Go Programming Language", "Addison-Wesley", "A book about Go and mechanical sympathy.", nil, "books", 3999, 12, 5, 4, false},
	{5, "Mechanical Keyboard Switch Tester", "Keeb Co", "Try switches before you buy a keyboard.", nil, "keyboards", 1999, 40, 0, 5, false},
	{6, "Deleted Split Keyboard", "Keeb Co", "Gone.", nil, "split", 100, 9, 4.9, 6, true},
	{7, "Budget Keyboard", "Cheapo", "Membrane.", nil, "keyboards", 8999, 1, 4.5, 2, false},
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	newGeneration(t, db.Pool, "q")
	h := newHistory(t)
	h.category("computers", "Computers", "")
	h.category("keyboards", "Keyboards", "computers")
	h.category("split", "Split keyboards", "keyboards")
	h.category("monitors", "Monitors", "computers")
	h.category("books", "Books", "")
	h.category("iob", "I/O boards", "")
	h.category("io-z", "I/O zero", "")
	for _, p := range fixtureProducts {
		id := productID(p.n)
		h.product(id, p.category, func(e *catalogv1.ProductCreated) {
			e.Name, e.Brand, e.Description, e.Specs = p.name, p.brand, p.desc, p.specs
			e.Slug = fmt.Sprintf("fixture-%d", p.n)
			if p.deleted {
				e.Slug = "fixture-1" // a slug held twice, as the read model might briefly see
			}
			e.PriceMinor, e.OnHand, e.Available, e.CreatedAt = p.price, p.stock, p.stock, at(p.created*time.Hour)
		})
		if p.deleted {
			h.add("product-"+id, &catalogv1.ProductDeleted{ProductId: id, DeletedAt: at(7 * time.Hour)})
		}
	}
	if err := applyBatches(ctx, db.Pool, "q", h.evs, 0); err != nil {
		t.Fatal(err)
	}
	// Ratings come from the reviews context (later); set them directly.
	for _, p := range fixtureProducts {
		if _, err := db.Pool.Exec(ctx, `UPDATE q.products SET rating_average = $2, rating_count = 3 WHERE id = $1`, productID(p.n), p.rating); err != nil {
			t.Fatal(err)
		}
	}
	return fixture{q: catalog.NewQueriesIn(db.Pool, "q")}
}

// ids maps products to their fixture numbers.
func ids(ps []catalog.Product) []int {
	out := []int{}
	for _, p := range ps {
		var n int
		if _, err := fmt.Sscanf(p.ID, "00000000-0000-7000-8000-%012d", &n); err != nil {
			panic(err)
		}
		out = append(out, n)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestQueries_ListProducts(t *testing.T) {
	f := newFixture(t)
	all := catalog.ProductFilter{Page: 1, PerPage: 100, Sort: catalog.SortNewest}
	with := func(edit func(*catalog.ProductFilter)) catalog.ProductFilter {
		g := all
		edit(&g)
		return g
	}
	tests := []struct {
		name   string
		filter catalog.ProductFilter
		want   []int
	}{
		{"newest (ties by id), deleted left out", all, []int{5, 4, 3, 2, 7, 1}},
		{"price_asc", with(func(g *catalog.ProductFilter) { g.Sort = catalog.SortPriceAsc }), []int{5, 4, 2, 7, 1, 3}},
		{"price_desc", with(func(g *catalog.ProductFilter) { g.Sort = catalog.SortPriceDesc }), []int{3, 1, 2, 7, 4, 5}},
		{"rating_desc", with(func(g *catalog.ProductFilter) { g.Sort = catalog.SortRatingDesc }), []int{4, 1, 2, 7, 3, 5}},
		{"category with subcategories at any depth", with(func(g *catalog.ProductFilter) { g.Category = "computers" }), []int{5, 3, 2, 7, 1}},
		{"category with a subcategory", with(func(g *catalog.ProductFilter) { g.Category = "keyboards" }), []int{5, 2, 7, 1}},
		{"leaf category", with(func(g *catalog.ProductFilter) { g.Category = "split" }), []int{1}},
		{"unknown category", with(func(g *catalog.ProductFilter) { g.Category = "nope" }), []int{}},
		{"price range inclusive", with(func(g *catalog.ProductFilter) { g.PriceMin, g.PriceMax = ptr[int64](3999), ptr[int64](8999) }), []int{4, 2, 7}},
		{"price_min only", with(func(g *catalog.ProductFilter) { g.PriceMin = ptr[int64](12999) }), []int{3, 1}},
		{"price_max only", with(func(g *catalog.ProductFilter) { g.PriceMax = ptr[int64](1999) }), []int{5}},
		{"in stock", with(func(g *catalog.ProductFilter) { g.InStock = ptr(true) }), []int{5, 4, 3, 7, 1}},
		{"out of stock", with(func(g *catalog.ProductFilter) { g.InStock = ptr(false) }), []int{2}},
		{"q matches name, description and specs", with(func(g *catalog.ProductFilter) { g.Query = "keyboard" }), []int{5, 2, 7, 1}},
		{"q matches brand", with(func(g *catalog.ProductFilter) { g.Query = "viewtek" }), []int{3}},
		{"q stems (switch finds switches, in specs too)", with(func(g *catalog.ProductFilter) { g.Query = "switch" }), []int{5, 2, 1}},
		{"q with exclusion", with(func(g *catalog.ProductFilter) { g.Query = "keyboard -split" }), []int{5, 2, 7}},
		{"q with quoted phrase", with(func(g *catalog.ProductFilter) { g.Query = `"mechanical keyboard"` }), []int{5, 2, 1}},
		{"q with or", with(func(g *catalog.ProductFilter) { g.Query = "monitor or book" }), []int{4, 3}},
		{"q of stop words only", with(func(g *catalog.ProductFilter) { g.Query = "the" }), []int{}},
		{"relevance: name (A) over description (C) over specs (D)", with(func(g *catalog.ProductFilter) {
			g.Query, g.Sort = "switches", catalog.SortRelevance
		}), []int{5, 2, 1}},
		{"every filter at once", with(func(g *catalog.ProductFilter) {
			g.Query, g.Category, g.PriceMax, g.InStock, g.Sort = "keyboard", "computers", ptr[int64](10000), ptr(true), catalog.SortPriceAsc
		}), []int{5, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.q.ListProducts(context.Background(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ids(got.Items)); diff != "" {
				t.Fatalf("products (-want +got):\n%s", diff)
			}
			if got.Total != len(tt.want) {
				t.Fatalf("total %d, want %d", got.Total, len(tt.want))
			}
		})
	}
}

// TestQueries_Pagination walks every sort page by page: no duplicates, no holes, the same
// total on every page, and an empty page past the end with the true total.
func TestQueries_Pagination(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, sort := range []catalog.Sort{catalog.SortNewest, catalog.SortPriceAsc, catalog.SortPriceDesc, catalog.SortRatingDesc, catalog.SortRelevance} {
		for _, perPage := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("%s/%d", sort, perPage), func(t *testing.T) {
				filter := catalog.ProductFilter{Page: 1, PerPage: 100, Sort: sort}
				if sort == catalog.SortRelevance {
					filter.Query = "keyboard or monitor or book"
				}
				whole, err := f.q.ListProducts(ctx, filter)
				if err != nil {
					t.Fatal(err)
				}
				var walked []int
				filter.PerPage = perPage
				for filter.Page = 1; ; filter.Page++ {
					page, err := f.q.ListProducts(ctx, filter)
					if err != nil {
						t.Fatal(err)
					}
					if page.Total != whole.Total {
						t.Fatalf("page %d: total %d, want %d", filter.Page, page.Total, whole.Total)
					}
					if len(page.Items) == 0 {
						break
					}
					if len(page.Items) > perPage {
						t.Fatalf("page %d has %d items", filter.Page, len(page.Items))
					}
					walked = append(walked, ids(page.Items)...)
				}
				if diff := cmp.Diff(ids(whole.Items), walked); diff != "" {
					t.Fatalf("pages walked (-whole +walked):\n%s", diff)
				}
				filter.Page = 1000
				past, err := f.q.ListProducts(ctx, filter)
				if err != nil || len(past.Items) != 0 || past.Items == nil || past.Total != whole.Total {
					t.Fatalf("page past the end: %+v, %v", past, err)
				}
			})
		}
	}
}

func TestQueries_InvalidFilters(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		filter catalog.ProductFilter
	}{
		{"page 0", catalog.ProductFilter{Page: 0, PerPage: 10, Sort: catalog.SortNewest}},
		{"per page 0", catalog.ProductFilter{Page: 1, PerPage: 0, Sort: catalog.SortNewest}},
		{"per page 101", catalog.ProductFilter{Page: 1, PerPage: 101, Sort: catalog.SortNewest}},
		{"no sort", catalog.ProductFilter{Page: 1, PerPage: 10}},
		{"relevance without a query", catalog.ProductFilter{Page: 1, PerPage: 10, Sort: catalog.SortRelevance}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.q.ListProducts(context.Background(), tt.filter); !errors.Is(err, catalog.ErrInvalidFilter) {
				t.Fatalf("error %v, want ErrInvalidFilter", err)
			}
		})
	}
	if _, err := f.q.AdminListProducts(context.Background(), catalog.AdminFilter{Page: 1, PerPage: 10, Status: "gone"}); !errors.Is(err, catalog.ErrInvalidFilter) {
		t.Fatalf("admin status: error %v, want ErrInvalidFilter", err)
	}
}

func TestQueries_GetProduct(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, key  string
		want       int // 0: not found
		wantStatus string
	}{
		{"by id", productID(3), 3, catalog.StatusActive},
		{"by slug", "fixture-4", 4, catalog.StatusActive},
		{"deleted, by id", productID(6), 6, catalog.StatusDeleted},
		{"slug held twice: the active product", "fixture-1", 1, catalog.StatusActive},
		{"unknown id", productID(99), 0, ""},
		{"unknown slug", "no-such-product", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.q.GetProduct(context.Background(), tt.key)
			if tt.want == 0 {
				if !errors.Is(err, catalog.ErrNotFound) {
					t.Fatalf("error %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ids([]catalog.Product{got})[0] != tt.want || got.Status != tt.wantStatus {
				t.Fatalf("got %s (%s)", got.ID, got.Status)
			}
		})
	}
}

func TestQueries_ListCategories(t *testing.T) {
	f := newFixture(t)
	got, err := f.q.ListCategories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.Category{
		{Slug: "books", Name: "Books"}, {Slug: "computers", Name: "Computers"}, {Slug: "io-z", Name: "I/O zero"},
		{Slug: "iob", Name: "I/O boards"}, {Slug: "keyboards", Name: "Keyboards", Parent: "computers"},
		{Slug: "monitors", Name: "Monitors", Parent: "computers"}, {Slug: "split", Name: "Split keyboards", Parent: "keyboards"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("categories (-want +got):\n%s", diff)
	}
}

func TestQueries_AdminListProducts(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		status string
		want   []int
	}{
		{"", []int{6, 5, 4, 3, 2, 7, 1}},
		{catalog.StatusActive, []int{5, 4, 3, 2, 7, 1}},
		{catalog.StatusDeleted, []int{6}},
	}
	for _, tt := range tests {
		t.Run("status="+tt.status, func(t *testing.T) {
			var walked []int
			for page := 1; ; page++ {
				got, err := f.q.AdminListProducts(context.Background(), catalog.AdminFilter{Page: page, PerPage: 3, Status: tt.status})
				if err != nil {
					t.Fatal(err)
				}
				if got.Total != len(tt.want) {
					t.Fatalf("total %d, want %d", got.Total, len(tt.want))
				}
				if len(got.Items) == 0 {
					break
				}
				walked = append(walked, ids(got.Items)...)
			}
			if diff := cmp.Diff(tt.want, walked); diff != "" {
				t.Fatalf("products (-want +got):\n%s", diff)
			}
		})
	}
}

// TestQueries_BeforeTheFirstBuild: without the read schema every query fails (the service
// answers 503 then).
func TestQueries_BeforeTheFirstBuild(t *testing.T) {
	db := pgtest.New(t)
	q := catalog.NewQueries(db.Pool)
	if _, err := q.ListCategories(context.Background()); err == nil || errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("error %v, want a failure", err)
	}
}
