package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/storage"
	"github.com/storefront/storefront/services/catalog/internal/adapters"
	"github.com/storefront/storefront/services/catalog/internal/app"
	"github.com/storefront/storefront/services/catalog/internal/app/apptest"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// fakeReader is an in-memory app.ProductReader for these tests: it serves what the test puts
// in it and records the filters it was asked for.
type fakeReader struct {
	mu         sync.Mutex
	products   map[string]app.ProductView
	categories []app.CategoryView
	lastList   app.ProductFilter
	lastAdmin  app.AdminProductFilter
}

func (r *fakeReader) ListProducts(_ context.Context, f app.ProductFilter) (app.ProductPage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastList = f
	var items []app.ProductView
	for _, p := range r.products {
		if p.Status == domain.StatusActive {
			items = append(items, p)
		}
	}
	return app.ProductPage{Items: items, Total: len(items)}, nil
}

func (r *fakeReader) GetProduct(_ context.Context, key string) (app.ProductView, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.products {
		if p.ID == key || p.Slug == key {
			return p, nil
		}
	}
	return app.ProductView{}, fmt.Errorf("%w: product %s", errs.NotFound, key)
}

func (r *fakeReader) ListCategories(context.Context) ([]app.CategoryView, error) {
	return r.categories, nil
}

func (r *fakeReader) AdminListProducts(_ context.Context, f app.AdminProductFilter) (app.ProductPage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastAdmin = f
	return app.ProductPage{Total: len(r.products)}, nil
}

type env struct {
	app      app.Application
	reader   *fakeReader
	store    *memstore.Store
	mediaDir string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	store := memstore.New()
	reg := domain.Registry()
	e := &env{reader: &fakeReader{products: map[string]app.ProductView{}}, store: store, mediaDir: t.TempDir()}
	media, err := storage.OpenDir(e.mediaDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = media.Close() })
	var mu sync.Mutex
	clock := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	e.app = app.New(app.Deps{
		Products:     aggregate.NewStore(store, reg, domain.NewProduct, aggregate.WithRetries(200)),
		Categories:   aggregate.NewStore(store, reg, domain.NewCategory),
		Reservations: aggregate.NewStore(store, reg, domain.NewReservation),
		Owners:       adapters.ClaimOwners{Claims: store},
		Reader:       e.reader,
		Media:        media,
		Clock: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(time.Second)
			return clock
		},
		Currency: "USD",
	})
	ctx := context.Background()
	for _, c := range []app.CreateCategory{{Slug: "keyboards", Name: "Keyboards"}, {Slug: "split", Name: "Split keyboards", Parent: "keyboards"}} {
		if _, err := e.app.Commands.CreateCategory.Handle(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func keyboard(sku string) app.CreateProduct {
	return app.CreateProduct{ProductInput: app.ProductInput{
		SKU: sku, Name: "Split Keyboard", Description: "Ergonomic", Category: "split", Brand: "Keeb",
		PriceAmount: "129.99", Specs: []domain.Spec{{Key: "layout", Value: "ANSI"}},
		Images: []domain.Image{{URL: "https://img.example.com/kb.png", Alt: "kb"}},
	}, Stock: 5}
}

func (e *env) create(t *testing.T, cmd app.CreateProduct) app.ProductView {
	t.Helper()
	p, err := e.app.Commands.CreateProduct.Handle(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func violationFields(err error) []string {
	var v *errs.Validation
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for _, x := range v.Violations {
		out = append(out, x.Field)
	}
	return out
}

func TestCreateProduct_ReturnsTheProductAsCreated(t *testing.T) {
	e := newEnv(t)
	p := e.create(t, keyboard("KB-1"))
	if p.ID == "" || p.SKU != "KB-1" || p.Slug != "split-keyboard" || p.PriceMinor != 12999 || p.Currency != "USD" ||
		p.Stock != 5 || !p.InStock() || p.Status != "active" || p.Category != "split" || len(p.Specs) != 1 || len(p.Images) != 1 ||
		p.CreatedAt.IsZero() || !p.UpdatedAt.Equal(p.CreatedAt) {
		t.Fatalf("created %+v", p)
	}
}

func TestCreateProduct_ReportsEveryInvalidFieldAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	cmd := keyboard("bad sku")
	cmd.PriceAmount = "0"
	cmd.Category = "no-such"
	cmd.Images[0].URL = "ftp://x.example/a.png"
	cmd.Stock = -1
	_, err := e.app.Commands.CreateProduct.Handle(context.Background(), cmd)
	got := strings.Join(violationFields(err), ",")
	for _, f := range []string{"sku", "price", "category", "images[0].url", "stock"} {
		if !strings.Contains(","+got+",", ","+f+",") {
			t.Errorf("violations %q lack %s", got, f)
		}
	}
	// The unknown category is reported when everything else is fine too.
	cmd = keyboard("KB-1")
	cmd.Category = "no-such"
	if _, err := e.app.Commands.CreateProduct.Handle(context.Background(), cmd); strings.Join(violationFields(err), ",") != "category" {
		t.Fatalf("unknown category: %v", err)
	}
	if owner, _ := (adapters.ClaimOwners{Claims: e.store}).Owner(context.Background(), domain.ScopeSKU, "KB-1"); owner != "" {
		t.Fatal("a refused product claimed its SKU")
	}
}

func TestCreateProduct_SKUAndSlugAreUnique(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.create(t, keyboard("KB-1"))
	if _, err := e.app.Commands.CreateProduct.Handle(ctx, keyboard("kb-1")); !errors.Is(err, app.ErrSKUTaken) || !errors.Is(err, errs.AlreadyExists) {
		t.Fatalf("duplicate SKU (other case): %v", err)
	}
	// Same name, derived slug: a numeric suffix.
	second := e.create(t, keyboard("KB-2"))
	third := e.create(t, keyboard("KB-3"))
	if first.Slug != "split-keyboard" || second.Slug != "split-keyboard-2" || third.Slug != "split-keyboard-3" {
		t.Fatalf("slugs %q %q %q", first.Slug, second.Slug, third.Slug)
	}
	// A given slug that is taken is a conflict, not a suffix.
	cmd := keyboard("KB-4")
	cmd.Slug = "split-keyboard-2"
	if _, err := e.app.Commands.CreateProduct.Handle(ctx, cmd); !errors.Is(err, app.ErrSlugTaken) {
		t.Fatalf("given slug taken: %v", err)
	}
	cmd.Slug = "my-own-slug"
	if p := e.create(t, cmd); p.Slug != "my-own-slug" {
		t.Fatalf("given slug: %q", p.Slug)
	}
	// Deleting keeps the SKU claimed.
	if err := e.app.Commands.DeleteProduct.Handle(ctx, app.DeleteProduct{ID: first.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Commands.CreateProduct.Handle(ctx, keyboard("KB-1")); !errors.Is(err, app.ErrSKUTaken) {
		t.Fatalf("SKU of a deleted product: %v", err)
	}
}

func TestCreateProduct_ConcurrentSameNameGetDistinctSlugs(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	slugs := make(chan string, 8)
	for i := range 8 {
		wg.Go(func() {
			p, err := e.app.Commands.CreateProduct.Handle(context.Background(), keyboard(fmt.Sprintf("KB-%d", i)))
			if err != nil {
				t.Error(err)
				return
			}
			slugs <- p.Slug
		})
	}
	wg.Wait()
	close(slugs)
	seen := map[string]bool{}
	for s := range slugs {
		if seen[s] {
			t.Fatalf("slug %q given twice", s)
		}
		seen[s] = true
	}
	if len(seen) != 8 {
		t.Fatalf("%d products created", len(seen))
	}
}

func ptr[T any](v T) *T { return &v }

func TestUpdateProduct(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.create(t, keyboard("KB-1"))
	other := e.create(t, keyboard("KB-2"))
	e.reader.products[p.ID] = app.ProductView{ID: p.ID, Slug: p.Slug, Status: "active", RatingAverage: 4.5, RatingCount: 2}

	upd := app.UpdateProduct{ID: p.ID, ProductInput: keyboard("KB-1").ProductInput, Stock: ptr[int32](9)}
	upd.Name, upd.PriceAmount, upd.Specs = "Split Keyboard Pro", "149", nil
	got, err := e.app.Commands.UpdateProduct.Handle(ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Split Keyboard Pro" || got.Slug != p.Slug || got.PriceMinor != 14900 || got.Stock != 9 || len(got.Specs) != 0 ||
		got.RatingAverage != 4.5 || got.RatingCount != 2 || !got.UpdatedAt.After(got.CreatedAt) {
		t.Fatalf("updated %+v", got)
	}
	// Stock unset keeps it.
	upd.Stock = nil
	if got, err = e.app.Commands.UpdateProduct.Handle(ctx, upd); err != nil || got.Stock != 9 {
		t.Fatalf("stock kept: %v %d", err, got.Stock)
	}
	tests := []struct {
		name  string
		edit  func(*app.UpdateProduct)
		isErr error
		field string
	}{
		{"taken slug", func(u *app.UpdateProduct) { u.Slug = other.Slug }, app.ErrSlugTaken, ""},
		{"taken SKU", func(u *app.UpdateProduct) { u.SKU = "KB-2" }, app.ErrSKUTaken, ""},
		{"unknown product", func(u *app.UpdateProduct) { u.ID = "0190e4c2-7d5a-7c3e-8f00-0123456789ab" }, app.ErrProductNotFound, ""},
		{"zero price", func(u *app.UpdateProduct) { u.PriceAmount = "0.00" }, errs.InvalidArgument, "price"},
		{"negative stock", func(u *app.UpdateProduct) { u.Stock = ptr[int32](-1) }, errs.InvalidArgument, "stock"},
		{"bad status", func(u *app.UpdateProduct) { u.Status = ptr("gone") }, errs.InvalidArgument, "status"},
		{"unknown category", func(u *app.UpdateProduct) { u.Category = "mice" }, errs.InvalidArgument, "category"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := upd
			tt.edit(&u)
			_, err := e.app.Commands.UpdateProduct.Handle(ctx, u)
			if !errors.Is(err, tt.isErr) {
				t.Fatalf("err = %v, want %v", err, tt.isErr)
			}
			if tt.field != "" && !strings.Contains(strings.Join(violationFields(err), ","), tt.field) {
				t.Fatalf("violations %v lack %s", violationFields(err), tt.field)
			}
		})
	}

	// A deleted product changes only together with status "active".
	if err := e.app.Commands.DeleteProduct.Handle(ctx, app.DeleteProduct{ID: p.ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Commands.DeleteProduct.Handle(ctx, app.DeleteProduct{ID: p.ID}); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := e.app.Commands.UpdateProduct.Handle(ctx, upd); !errors.Is(err, domain.ErrProductDeleted) {
		t.Fatalf("update of a deleted product: %v", err)
	}
	upd.Status = ptr("active")
	if got, err = e.app.Commands.UpdateProduct.Handle(ctx, upd); err != nil || got.Status != "active" {
		t.Fatalf("restore: %v %+v", err, got)
	}
	upd.Status = ptr("deleted")
	if got, err = e.app.Commands.UpdateProduct.Handle(ctx, upd); err != nil || got.Status != "deleted" {
		t.Fatalf("delete through PUT: %v %+v", err, got)
	}
	if err := e.app.Commands.DeleteProduct.Handle(ctx, app.DeleteProduct{ID: "0190e4c2-7d5a-7c3e-8f00-0123456789ab"}); !errors.Is(err, app.ErrProductNotFound) {
		t.Fatalf("delete of an unknown product: %v", err)
	}
}

func TestCreateCategory(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, err := e.app.Commands.CreateCategory.Handle(ctx, app.CreateCategory{Slug: " ortho ", Name: "Ortholinear", Parent: "keyboards"})
	if err != nil || c != (app.CategoryView{Slug: "ortho", Name: "Ortholinear", Parent: "keyboards"}) {
		t.Fatalf("create: %+v %v", c, err)
	}
	if _, err := e.app.Commands.CreateCategory.Handle(ctx, app.CreateCategory{Slug: "ortho", Name: "Again"}); !errors.Is(err, app.ErrCategoryExists) {
		t.Fatalf("duplicate: %v", err)
	}
	_, err = e.app.Commands.CreateCategory.Handle(ctx, app.CreateCategory{Slug: "mice", Name: "Mice", Parent: "peripherals"})
	if strings.Join(violationFields(err), ",") != "parent" {
		t.Fatalf("missing parent: %v", err)
	}
}

func (e *env) product(t *testing.T, id string) *domain.Product {
	t.Helper()
	p, err := aggregate.NewStore(e.store, domain.Registry(), domain.NewProduct).Load(context.Background(), domain.ProductStream(id))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReserveStock_AllOrNothingAndIdempotent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.create(t, keyboard("A")) // 5 in stock
	b := e.create(t, app.CreateProduct{ProductInput: keyboard("B").ProductInput, Stock: 1})
	reserve := e.app.Commands.ReserveStock

	// The second line does not fit: nothing stays held, and the error names the product.
	_, err := reserve.Handle(ctx, app.ReserveStock{OrderID: "o1", Items: []domain.Line{{ProductID: a.ID, Quantity: 2}, {ProductID: b.ID, Quantity: 2}}})
	var rej *domain.Rejection
	if !errors.As(err, &rej) || !errors.Is(err, errs.FailedPrecondition) || rej.ProductID != b.ID || !strings.Contains(err.Error(), b.ID) {
		t.Fatalf("short order: %v", err)
	}
	if e.product(t, a.ID).Available() != 5 || e.product(t, b.ID).Available() != 1 {
		t.Fatal("a rejected order left units held")
	}
	// Asking again answers the same, even if stock arrived since: the order is rejected.
	if _, err := reserve.Handle(ctx, app.ReserveStock{OrderID: "o1", Items: []domain.Line{{ProductID: b.ID, Quantity: 2}, {ProductID: a.ID, Quantity: 2}}}); err == nil || err.Error() != rej.Error() {
		t.Fatalf("repeated rejected order: %v", err)
	}

	items := []domain.Line{{ProductID: b.ID, Quantity: 1}, {ProductID: a.ID, Quantity: 3}}
	lines, err := reserve.Handle(ctx, app.ReserveStock{OrderID: "o2", Items: items})
	if err != nil || len(lines) != 2 {
		t.Fatalf("reserve: %v %v", lines, err)
	}
	if lines[0].SKU == "" || lines[0].UnitPriceMinor != 12999 || lines[0].Currency != "USD" {
		t.Fatalf("reserved lines lack the product: %+v", lines)
	}
	again, err := reserve.Handle(ctx, app.ReserveStock{OrderID: "o2", Items: items})
	if err != nil || len(again) != 2 || again[0] != lines[0] || again[1] != lines[1] {
		t.Fatalf("repeat: %v %v", again, err)
	}
	if e.product(t, a.ID).Available() != 2 || e.product(t, b.ID).Available() != 0 {
		t.Fatal("a repeated reservation held units twice")
	}
	if _, err := reserve.Handle(ctx, app.ReserveStock{OrderID: "o2", Items: items[:1]}); !errors.Is(err, domain.ErrReservationOtherLines) {
		t.Fatalf("other lines for the same order: %v", err)
	}
	unknown := "0190e4c2-7d5a-7c3e-8f00-0123456789ab"
	if _, err := reserve.Handle(ctx, app.ReserveStock{OrderID: "o3", Items: []domain.Line{{ProductID: unknown, Quantity: 1}}}); !errors.As(err, &rej) || rej.Reason != domain.RejectProductNotFound {
		t.Fatalf("unknown product: %v", err)
	}
	if _, err := reserve.Handle(ctx, app.ReserveStock{OrderID: "", Items: nil}); strings.Join(violationFields(err), ",") != "order_id,items" {
		t.Fatalf("empty request: %v", err)
	}
}

func TestReleaseAndCommit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.create(t, keyboard("A")) // 5
	c := e.app.Commands
	reserve := func(order string, n int32) error {
		_, err := c.ReserveStock.Handle(ctx, app.ReserveStock{OrderID: order, Items: []domain.Line{{ProductID: a.ID, Quantity: n}}})
		return err
	}
	if err := reserve("o1", 2); err != nil {
		t.Fatal(err)
	}
	if err := reserve("o2", 3); err != nil {
		t.Fatal(err)
	}
	// Release o1 twice: its units come back once.
	for range 2 {
		if err := c.ReleaseReservation.Handle(ctx, app.ReleaseReservation{OrderID: "o1"}); err != nil {
			t.Fatal(err)
		}
	}
	if p := e.product(t, a.ID); p.Available() != 2 || p.OnHand() != 5 {
		t.Fatalf("after release: available %d on hand %d", p.Available(), p.OnHand())
	}
	if err := c.CommitReservation.Handle(ctx, app.CommitReservation{OrderID: "o1"}); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("commit of a released reservation: %v", err)
	}
	if err := reserve("o1", 2); !errors.Is(err, domain.ErrReservationReleased) {
		t.Fatalf("reserve after release: %v", err)
	}
	// Commit o2 twice: its units leave the shelf once.
	for range 2 {
		if err := c.CommitReservation.Handle(ctx, app.CommitReservation{OrderID: "o2"}); err != nil {
			t.Fatal(err)
		}
	}
	if p := e.product(t, a.ID); p.Available() != 2 || p.OnHand() != 2 || p.Reserved() != 0 {
		t.Fatalf("after commit: available %d on hand %d reserved %d", p.Available(), p.OnHand(), p.Reserved())
	}
	if err := c.ReleaseReservation.Handle(ctx, app.ReleaseReservation{OrderID: "o2"}); !errors.Is(err, domain.ErrReservationCommitted) {
		t.Fatalf("release of a committed reservation: %v", err)
	}
	if err := reserve("o2", 3); err != nil {
		t.Fatalf("repeated reserve of a committed order: %v", err)
	}
	if p := e.product(t, a.ID); p.Available() != 2 {
		t.Fatalf("a repeated reserve after commit held units: %d", p.Available())
	}
	// A release before any reservation refuses the reservation that comes late.
	if err := c.ReleaseReservation.Handle(ctx, app.ReleaseReservation{OrderID: "o9"}); err != nil {
		t.Fatal(err)
	}
	if err := reserve("o9", 1); !errors.Is(err, domain.ErrReservationReleased) {
		t.Fatalf("late reserve: %v", err)
	}
	if err := c.CommitReservation.Handle(ctx, app.CommitReservation{OrderID: "o404"}); !errors.Is(err, errs.NotFound) {
		t.Fatalf("commit of an unknown order: %v", err)
	}
}

func TestReserveStock_ConcurrentOrdersNeverOversell(t *testing.T) {
	e := newEnv(t)
	p := e.create(t, app.CreateProduct{ProductInput: keyboard("HOT").ProductInput, Stock: 7})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, short := 0, 0
	for i := range 30 {
		wg.Go(func() {
			_, err := e.app.Commands.ReserveStock.Handle(context.Background(), app.ReserveStock{
				OrderID: fmt.Sprintf("order-%d", i), Items: []domain.Line{{ProductID: p.ID, Quantity: 1}}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, errs.FailedPrecondition):
				short++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := e.product(t, p.ID); ok != 7 || short != 23 || got.Available() != 0 || got.Reserved() != 7 {
		t.Fatalf("ok %d short %d available %d reserved %d", ok, short, got.Available(), got.Reserved())
	}
}

// TestReserveStock_RacingAttemptsOfOneOrder runs the same order's reservation, release and
// commit concurrently, as a retrying saga might: whatever the interleaving, the product ends
// with no units held and on hand reduced only if the order was committed.
func TestReserveStock_RacingAttemptsOfOneOrder(t *testing.T) {
	for round := range 20 {
		e := newEnv(t)
		ctx := context.Background()
		a := e.create(t, keyboard("A"))
		b := e.create(t, app.CreateProduct{ProductInput: keyboard("B").ProductInput, Stock: 3})
		items := []domain.Line{{ProductID: a.ID, Quantity: 2}, {ProductID: b.ID, Quantity: 3}}
		order := fmt.Sprintf("race-%d", round)
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() { _, _ = e.app.Commands.ReserveStock.Handle(ctx, app.ReserveStock{OrderID: order, Items: items}) })
		}
		wg.Go(func() {
			if round%2 == 0 {
				_ = e.app.Commands.ReleaseReservation.Handle(ctx, app.ReleaseReservation{OrderID: order})
			} else {
				_ = e.app.Commands.CommitReservation.Handle(ctx, app.CommitReservation{OrderID: order})
			}
		})
		wg.Wait()
		// Settle as the saga would: commit odd rounds (when reserved), release even ones.
		if round%2 == 1 {
			_ = e.app.Commands.CommitReservation.Handle(ctx, app.CommitReservation{OrderID: order})
		} else {
			if err := e.app.Commands.ReleaseReservation.Handle(ctx, app.ReleaseReservation{OrderID: order}); err != nil {
				t.Fatal(err)
			}
		}
		r, err := aggregate.NewStore(e.store, domain.Registry(), domain.NewReservation).Load(ctx, domain.ReservationStream(order))
		if err != nil {
			t.Fatal(err)
		}
		pa, pb := e.product(t, a.ID), e.product(t, b.ID)
		committed := r.State() == domain.ReservationCommitted
		if pa.Reserved() != 0 || pb.Reserved() != 0 {
			t.Fatalf("round %d (%d): units left held: %d %d", round, r.State(), pa.Reserved(), pb.Reserved())
		}
		wantA, wantB := int32(5), int32(3)
		if committed {
			wantA, wantB = 3, 0
		}
		if pa.OnHand() != wantA || pb.OnHand() != wantB {
			t.Fatalf("round %d (state %d): on hand %d %d, want %d %d", round, r.State(), pa.OnHand(), pb.OnHand(), wantA, wantB)
		}
	}
}

func TestListProducts_ValidatesAndResolvesTheFilter(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	list := e.app.Queries.ListProducts
	if _, f, err := list.Handle(ctx, app.ListProducts{}); err != nil || f.Page != 1 || f.PerPage != 24 || f.Sort != app.SortNewest {
		t.Fatalf("defaults: %+v %v", f, err)
	}
	if _, f, _ := list.Handle(ctx, app.ListProducts{Query: "split"}); f.Sort != app.SortRelevance || e.reader.lastList.Query != "split" {
		t.Fatalf("default sort with q: %+v", f)
	}
	if _, f, _ := list.Handle(ctx, app.ListProducts{Sort: "relevance"}); f.Sort != app.SortNewest {
		t.Fatalf("relevance without q: %+v", f)
	}
	_, f, err := list.Handle(ctx, app.ListProducts{PriceMin: "10", PriceMax: "99.5", InStock: ptr(true), Category: "keyboards", Sort: "price_desc",
		Page: app.Page{Page: ptr[int32](3), PerPage: ptr[int32](100)}})
	if err != nil || *f.PriceMinMinor != 1000 || *f.PriceMaxMinor != 9950 || !*f.InStock || f.Category != "keyboards" || f.Sort != app.SortPriceDesc || f.Page != 3 || f.PerPage != 100 {
		t.Fatalf("filter %+v %v", f, err)
	}
	tests := []struct {
		q     app.ListProducts
		field string
	}{
		{app.ListProducts{Page: app.Page{Page: ptr[int32](0)}}, "page"},
		{app.ListProducts{Page: app.Page{PerPage: ptr[int32](0)}}, "per_page"},
		{app.ListProducts{Page: app.Page{PerPage: ptr[int32](101)}}, "per_page"},
		{app.ListProducts{Sort: "cheapest"}, "sort"},
		{app.ListProducts{PriceMin: "abc"}, "price_min"},
		{app.ListProducts{PriceMax: "1.999"}, "price_max"},
		{app.ListProducts{PriceMin: "-1"}, "price_min"},
		{app.ListProducts{PriceMin: "20", PriceMax: "10"}, "price_min"},
		{app.ListProducts{Category: "Key Boards"}, "category"},
		{app.ListProducts{Query: strings.Repeat("q", 201)}, "q"},
	}
	for _, tt := range tests {
		if _, _, err := list.Handle(ctx, tt.q); !strings.Contains(strings.Join(violationFields(err), ","), tt.field) {
			t.Errorf("%+v: err = %v, want a violation of %s", tt.q, err, tt.field)
		}
	}
}

func TestGetProduct_DeletedIsNotFound(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.reader.products["p1"] = app.ProductView{ID: "p1", Slug: "kb", Status: "active"}
	e.reader.products["p2"] = app.ProductView{ID: "p2", Slug: "old", Status: "deleted"}
	if p, err := e.app.Queries.GetProduct.Handle(ctx, app.GetProduct{IDOrSlug: "kb"}); err != nil || p.ID != "p1" {
		t.Fatalf("by slug: %+v %v", p, err)
	}
	for _, key := range []string{"p2", "old", "nope"} {
		if _, err := e.app.Queries.GetProduct.Handle(ctx, app.GetProduct{IDOrSlug: key}); !errors.Is(err, app.ErrProductNotFound) {
			t.Errorf("%s: %v", key, err)
		}
	}
}

func TestAdminListProducts_Validates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, f, err := e.app.Queries.AdminListProducts.Handle(ctx, app.AdminListProducts{Status: "deleted"}); err != nil || e.reader.lastAdmin.Status != "deleted" || f.PerPage != 24 {
		t.Fatalf("admin list: %+v %v", f, err)
	}
	if _, _, err := e.app.Queries.AdminListProducts.Handle(ctx, app.AdminListProducts{Status: "gone"}); strings.Join(violationFields(err), ",") != "status" {
		t.Fatalf("bad status: %v", err)
	}
}

func TestQueries_UnbuiltReadModelIsUnavailable(t *testing.T) {
	a := app.New(app.Deps{Reader: apptest.UnbuiltReadModel{}, Currency: "USD"})
	if _, _, err := a.Queries.ListProducts.Handle(context.Background(), app.ListProducts{}); !errors.Is(err, errs.Unavailable) {
		t.Fatalf("list without a read model: %v", err)
	}
}
