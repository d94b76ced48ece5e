package demo_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/storage"
	"github.com/storefront/storefront/platform/telemetry"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	"github.com/storefront/storefront/services/catalog/demo"
	"github.com/storefront/storefront/services/catalog/internal/adapters"
	"github.com/storefront/storefront/services/catalog/internal/app"
	"github.com/storefront/storefront/services/catalog/internal/app/apptest"
	"github.com/storefront/storefront/services/catalog/internal/domain"
	"github.com/storefront/storefront/services/catalog/internal/ports"
)

// catalog serves the catalog's gRPC API in-process, as cmd/catalog wires it, over an
// in-memory event store, and returns a client of it and the store.
func catalog(t *testing.T) (catalogv1.CatalogServiceClient, *memstore.Store) {
	t.Helper()
	store := memstore.New()
	reg := domain.Registry()
	media, err := storage.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	application := app.New(app.Deps{
		Media:        media,
		Products:     aggregate.NewStore(store, reg, domain.NewProduct, aggregate.WithRetries(30)),
		Categories:   aggregate.NewStore(store, reg, domain.NewCategory),
		Reservations: aggregate.NewStore(store, reg, domain.NewReservation),
		Owners:       adapters.ClaimOwners{Claims: store},
		Reader:       apptest.UnbuiltReadModel{},
		Clock:        time.Now,
		Currency:     "USD",
	})
	tel, err := telemetry.Setup(t.Context(), "catalog-test")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpcx.NewServer(slog.New(slog.DiscardHandler), tel, nil)
	catalogv1.RegisterCatalogServiceServer(srv, ports.GRPC{App: application})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Server.Serve(lis) }()
	t.Cleanup(srv.Server.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return catalogv1.NewCatalogServiceClient(conn), store
}

// eventCounts counts the store's events by type, and the user ids they were recorded for.
func eventCounts(t *testing.T, store *memstore.Store) (map[string]int, map[string]bool) {
	t.Helper()
	types, users := map[string]int{}, map[string]bool{}
	var after es.Position
	for {
		evs, err := store.ReadAll(t.Context(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return types, users
		}
		for _, e := range evs {
			types[strings.TrimPrefix(e.Type, "storefront.catalog.v1.")]++
			users[e.Metadata.UserID] = true
		}
		after = evs[len(evs)-1].Position
	}
}

func TestLoadDemo_CreatesEverythingOnceThroughTheAPI(t *testing.T) {
	client, store := catalog(t)
	ctx := demo.AdminContext(t.Context())
	nc, np := len(demo.Categories()), len(demo.Products())

	res, err := demo.LoadDemo(ctx, client, demo.Options{Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.CategoriesCreated != nc || res.ProductsCreated != np || res.CategoriesExisting+res.ProductsExisting != 0 {
		t.Fatalf("first load: %+v, want %d categories and %d products created", res, nc, np)
	}
	types, users := eventCounts(t, store)
	if types["CategoryCreated"] != nc || types["ProductCreated"] != np || types["ProductImageAdded"] != np {
		t.Fatalf("events after the first load: %v (every product gets its category's picture)", types)
	}
	if !users[demo.Actor] || len(users) != 1 {
		t.Errorf("events recorded for users %v, want only %s", users, demo.Actor)
	}

	res, err = demo.LoadDemo(ctx, client, demo.Options{Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.CategoriesExisting != nc || res.ProductsExisting != np || res.CategoriesCreated+res.ProductsCreated != 0 {
		t.Fatalf("second load: %+v, want everything existing", res)
	}
	if again, _ := eventCounts(t, store); again["CategoryCreated"] != nc || again["ProductCreated"] != np {
		t.Fatalf("the second load appended events: %v", again)
	}
}

func TestLoad_GeneratedCatalogNextToTheDemo(t *testing.T) {
	client, store := catalog(t)
	ctx := demo.AdminContext(t.Context())
	if _, err := demo.LoadDemo(ctx, client, demo.Options{}); err != nil {
		t.Fatal(err)
	}
	res, err := demo.Load(ctx, client, demo.Categories(), demo.Generate(1000, 3), demo.Options{Workers: 16})
	if err != nil {
		t.Fatal(err)
	}
	if res.ProductsCreated != 1000 || res.CategoriesExisting != len(demo.Categories()) {
		t.Fatalf("generated load: %+v", res)
	}
	if types, _ := eventCounts(t, store); types["ProductCreated"] != 1000+len(demo.Products()) {
		t.Fatalf("events: %v", types)
	}
}

// fakeClient answers CreateCategory and CreateProduct as told, recording the calls.
type fakeClient struct {
	mu         sync.Mutex
	categories []string
	products   []string
	md         []metadata.MD
	product    func(sku string) error
}

func (f *fakeClient) CreateCategory(ctx context.Context, in *catalogv1.CreateCategoryRequest, _ ...grpc.CallOption) (*catalogv1.Category, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.categories = append(f.categories, in.GetSlug())
	md, _ := metadata.FromOutgoingContext(ctx)
	f.md = append(f.md, md)
	return &catalogv1.Category{Slug: in.GetSlug()}, nil
}

func (f *fakeClient) CreateProduct(_ context.Context, in *catalogv1.CreateProductRequest, _ ...grpc.CallOption) (*catalogv1.Product, error) {
	f.mu.Lock()
	f.products = append(f.products, in.GetSku())
	f.mu.Unlock()
	if f.product != nil {
		if err := f.product(in.GetSku()); err != nil {
			return nil, err
		}
	}
	return &catalogv1.Product{Sku: in.GetSku()}, nil
}

func TestLoad_CategoriesInOrderWithAdminMetadata(t *testing.T) {
	f := &fakeClient{}
	if _, err := demo.Load(demo.AdminContext(t.Context()), f, demo.Categories(), nil, demo.Options{}); err != nil {
		t.Fatal(err)
	}
	for i, c := range demo.Categories() {
		if f.categories[i] != c.Slug {
			t.Fatalf("category %d created: %s, want %s", i, f.categories[i], c.Slug)
		}
	}
	if md := f.md[0]; md.Get(grpcx.MDRole)[0] != "admin" || md.Get(grpcx.MDUserID)[0] != demo.Actor {
		t.Errorf("metadata %v, want the admin role and the demo actor", md)
	}
}

func TestLoad_RetriesTransientFailuresAndCountsExisting(t *testing.T) {
	var calls atomic.Int64
	f := &fakeClient{product: func(sku string) error {
		switch n := calls.Add(1); {
		case n%3 == 0:
			return status.Error(codes.Unavailable, "catalog restarting")
		case strings.HasSuffix(sku, "1"):
			return status.Error(codes.AlreadyExists, "already exists: a product with this SKU exists")
		}
		return nil
	}}
	ps := demo.Generate(300, 1)
	existing := 0
	for _, p := range ps {
		if strings.HasSuffix(p.SKU, "1") {
			existing++
		}
	}
	res, err := demo.Load(t.Context(), f, nil, ps, demo.Options{Workers: 4, Retries: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.ProductsExisting != existing || res.ProductsCreated != len(ps)-existing {
		t.Fatalf("%+v, want %d existing of %d", res, existing, len(ps))
	}
}

func TestLoad_StopsAtTheFirstFailureNamingTheProduct(t *testing.T) {
	ps := demo.Generate(200, 1)
	bad := ps[50].SKU
	f := &fakeClient{product: func(sku string) error {
		if sku == bad {
			return status.Error(codes.InvalidArgument, "invalid request")
		}
		return nil
	}}
	res, err := demo.Load(t.Context(), f, nil, ps, demo.Options{Workers: 2})
	if status.Code(errors.Unwrap(err)) != codes.InvalidArgument || !strings.Contains(err.Error(), bad) {
		t.Fatalf("err = %v, want InvalidArgument naming %s", err, bad)
	}
	if res.ProductsCreated >= len(ps)-1 {
		t.Errorf("%+v: the load went on after the failure", res)
	}
}

func TestLoad_StopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var calls atomic.Int64
	f := &fakeClient{product: func(string) error {
		if calls.Add(1) == 10 {
			cancel()
		}
		return nil
	}}
	res, err := demo.Load(ctx, f, nil, demo.Generate(1000, 1), demo.Options{Workers: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res.ProductsCreated > 20 {
		t.Errorf("%+v: the load went on after cancellation", res)
	}
}
