package ports_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/telemetry"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	typev1 "github.com/storefront/storefront/proto/storefront/type/v1"
	"github.com/storefront/storefront/services/catalog/internal/adapters"
	"github.com/storefront/storefront/services/catalog/internal/app"
	"github.com/storefront/storefront/services/catalog/internal/app/apptest"
	"github.com/storefront/storefront/services/catalog/internal/domain"
	"github.com/storefront/storefront/services/catalog/internal/ports"
)

// brokenReader fails as a database would, with text that must never reach a client.
type brokenReader struct{ apptest.UnbuiltReadModel }

func (brokenReader) ListCategories(context.Context) ([]app.CategoryView, error) {
	return nil, errors.New(`pq: relation "catalog.categories" does not exist`)
}

// start serves the catalog on a memory event store through the fleet's gRPC server (the
// interceptor that maps errors) and returns a client.
func start(t *testing.T) catalogv1.CatalogServiceClient {
	t.Helper()
	store, reg := memstore.New(), domain.Registry()
	a := app.New(app.Deps{
		Products:     aggregate.NewStore(store, reg, domain.NewProduct),
		Categories:   aggregate.NewStore(store, reg, domain.NewCategory),
		Reservations: aggregate.NewStore(store, reg, domain.NewReservation),
		Owners:       adapters.ClaimOwners{Claims: store},
		Reader:       brokenReader{},
		Clock:        time.Now,
		Currency:     "USD",
	})
	tel, err := telemetry.Setup(context.Background(), "catalog-test")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpcx.NewServer(slog.New(slog.DiscardHandler), tel, nil)
	catalogv1.RegisterCatalogServiceServer(srv, ports.GRPC{App: a})
	// Listening here, before the calls: a call made before Serve listened would be refused.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, lis) }()
	conn, err := grpcx.Dial(addr, tel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return catalogv1.NewCatalogServiceClient(conn)
}

func keyboard(sku, price string) *catalogv1.CreateProductRequest {
	return &catalogv1.CreateProductRequest{
		Sku: sku, Name: "Split Keyboard", Category: "keyboards", Brand: "Keeb", Description: "Ergonomic",
		Price: &typev1.Money{Amount: price, Currency: "USD"}, Stock: 3,
		Specs:  []*catalogv1.Spec{{Key: "layout", Value: "ANSI"}},
		Images: []*catalogv1.Image{{Url: "https://img.example.com/kb.png", Alt: "kb"}},
	}
}

func fieldsOf(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func TestCreateProduct_RendersTheProductOfAPIMd(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	if _, err := c.CreateCategory(ctx, &catalogv1.CreateCategoryRequest{Slug: "keyboards", Name: "Keyboards"}); err != nil {
		t.Fatal(err)
	}
	p, err := c.CreateProduct(ctx, keyboard("KB-1", "129.9"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "sku", "name", "slug", "description", "category", "brand", "price", "specs", "images",
		"stock", "in_stock", "rating", "status", "created_at", "updated_at"} {
		if _, ok := got[k]; !ok {
			t.Errorf("product JSON lacks %q: %s", k, raw)
		}
	}
	price := got["price"].(map[string]any)
	rating := got["rating"].(map[string]any)
	if price["amount"] != "129.90" || price["currency"] != "USD" || got["stock"] != float64(3) || got["in_stock"] != true ||
		got["status"] != "active" || got["slug"] != "split-keyboard" || rating["average"] != float64(0) || rating["count"] != float64(0) {
		t.Fatalf("product JSON %s", raw)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(got["created_at"].(string)) {
		t.Fatalf("created_at %v is not RFC 3339 UTC", got["created_at"])
	}
}

func TestErrors_MapToTheStatusCodesOfTheContract(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	if _, err := c.CreateCategory(ctx, &catalogv1.CreateCategoryRequest{Slug: "keyboards", Name: "Keyboards"}); err != nil {
		t.Fatal(err)
	}
	kb, err := c.CreateProduct(ctx, keyboard("KB-1", "10"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReserveStock(ctx, &catalogv1.ReserveStockRequest{OrderId: "o-committed",
		Items: []*catalogv1.ReservationItem{{ProductId: kb.GetId(), Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CommitReservation(ctx, &catalogv1.CommitReservationRequest{OrderId: "o-committed"}); err != nil {
		t.Fatal(err)
	}
	badPrice := keyboard("KB-2", "0")
	badPrice.Images[0].Url = "javascript:alert(1)"
	tests := []struct {
		name    string
		call    func() error
		code    codes.Code
		fields  []string
		msgHas  string
		msgNots string
	}{
		{"price 0 and a bad image", func() error { _, err := c.CreateProduct(ctx, badPrice); return err },
			codes.InvalidArgument, []string{"price", "images[0].url"}, "", ""},
		{"no price", func() error { r := keyboard("KB-2", ""); r.Price = nil; _, err := c.CreateProduct(ctx, r); return err },
			codes.InvalidArgument, []string{"price"}, "", ""},
		{"three decimals", func() error { _, err := c.CreateProduct(ctx, keyboard("KB-2", "12.345")); return err },
			codes.InvalidArgument, []string{"price"}, "", ""},
		{"duplicate SKU", func() error { _, err := c.CreateProduct(ctx, keyboard("kb-1", "10")); return err },
			codes.AlreadyExists, nil, "SKU", ""},
		{"unknown product", func() error {
			r := &catalogv1.UpdateProductRequest{Id: "0190e4c2-7d5a-7c3e-8f00-0123456789ab", Sku: "X", Name: "X", Category: "keyboards",
				Price: &typev1.Money{Amount: "1"}}
			_, err := c.UpdateProduct(ctx, r)
			return err
		}, codes.NotFound, nil, "", ""},
		{"delete unknown", func() error {
			_, err := c.DeleteProduct(ctx, &catalogv1.DeleteProductRequest{Id: "0190e4c2-7d5a-7c3e-8f00-0123456789ab"})
			return err
		}, codes.NotFound, nil, "", ""},
		{"category exists", func() error {
			_, err := c.CreateCategory(ctx, &catalogv1.CreateCategoryRequest{Slug: "keyboards", Name: "Again"})
			return err
		}, codes.AlreadyExists, nil, "", ""},
		{"parent missing", func() error {
			_, err := c.CreateCategory(ctx, &catalogv1.CreateCategoryRequest{Slug: "mice", Name: "Mice", Parent: "peripherals"})
			return err
		}, codes.InvalidArgument, []string{"parent"}, "", ""},
		{"insufficient stock names the product", func() error {
			_, err := c.ReserveStock(ctx, &catalogv1.ReserveStockRequest{OrderId: "o-big",
				Items: []*catalogv1.ReservationItem{{ProductId: kb.GetId(), Quantity: 50}}})
			return err
		}, codes.FailedPrecondition, nil, kb.GetId(), ""},
		{"bad reservation request", func() error {
			_, err := c.ReserveStock(ctx, &catalogv1.ReserveStockRequest{OrderId: "o-x",
				Items: []*catalogv1.ReservationItem{{ProductId: kb.GetId(), Quantity: 0}}})
			return err
		}, codes.InvalidArgument, []string{"items[0].quantity"}, "", ""},
		{"release of a committed reservation", func() error {
			_, err := c.ReleaseReservation(ctx, &catalogv1.ReleaseReservationRequest{OrderId: "o-committed"})
			return err
		}, codes.FailedPrecondition, nil, "committed", ""},
		{"commit of an unknown order", func() error {
			_, err := c.CommitReservation(ctx, &catalogv1.CommitReservationRequest{OrderId: "o-none"})
			return err
		}, codes.NotFound, nil, "", ""},
		{"page out of range", func() error {
			zero := int32(0)
			_, err := c.ListProducts(ctx, &catalogv1.ListProductsRequest{PerPage: &zero, Sort: "cheapest"})
			return err
		}, codes.InvalidArgument, []string{"per_page", "sort"}, "", ""},
		{"read model not there yet", func() error { _, err := c.ListProducts(ctx, &catalogv1.ListProductsRequest{}); return err },
			codes.Unavailable, nil, "", ""},
		{"internal error does not leak", func() error { _, err := c.ListCategories(ctx, &catalogv1.ListCategoriesRequest{}); return err },
			codes.Internal, nil, "internal error", "relation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			st := status.Convert(err)
			if st.Code() != tt.code {
				t.Fatalf("code = %v (%q), want %v", st.Code(), st.Message(), tt.code)
			}
			if tt.msgHas != "" && !strings.Contains(st.Message(), tt.msgHas) {
				t.Fatalf("message %q lacks %q", st.Message(), tt.msgHas)
			}
			if tt.msgNots != "" && strings.Contains(st.Message(), tt.msgNots) {
				t.Fatalf("message %q leaks %q", st.Message(), tt.msgNots)
			}
			got := strings.Join(fieldsOf(err), ",")
			for _, f := range tt.fields {
				if !strings.Contains(","+got+",", ","+f+",") {
					t.Fatalf("field violations %q lack %q", got, f)
				}
			}
		})
	}
}

func TestReserveStock_AnswersTheReservedLines(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	if _, err := c.CreateCategory(ctx, &catalogv1.CreateCategoryRequest{Slug: "keyboards", Name: "Keyboards"}); err != nil {
		t.Fatal(err)
	}
	kb, err := c.CreateProduct(ctx, keyboard("KB-1", "129.99"))
	if err != nil {
		t.Fatal(err)
	}
	req := &catalogv1.ReserveStockRequest{OrderId: "o1", Items: []*catalogv1.ReservationItem{{ProductId: kb.GetId(), Quantity: 2}}}
	for range 2 {
		r, err := c.ReserveStock(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		it := r.GetItems()[0]
		if r.GetOrderId() != "o1" || it.GetProductId() != kb.GetId() || it.GetQuantity() != 2 || it.GetSku() != "KB-1" ||
			it.GetUnitPriceMinor() != 12999 || it.GetCurrency() != "USD" {
			t.Fatalf("response %v", r)
		}
	}
	up, err := c.UpdateProduct(ctx, &catalogv1.UpdateProductRequest{Id: kb.GetId(), Sku: "KB-1", Name: "Split Keyboard", Category: "keyboards",
		Price: &typev1.Money{Amount: "129.99"}})
	if err != nil || up.GetStock() != 1 {
		t.Fatalf("stock after a reservation of 2 of 3: %v %v", up.GetStock(), err)
	}
}
