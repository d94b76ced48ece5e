package adapters_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	readmodel "github.com/storefront/storefront/projections/catalog"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	"github.com/storefront/storefront/services/catalog/internal/adapters"
	"github.com/storefront/storefront/services/catalog/internal/app"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// TestReadModel_MapsTheReadModel reads a product and a category through the adapter, from
// tables the projection filled, and checks the error kinds.
func TestReadModel_MapsTheReadModel(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	r := adapters.ReadModel{Queries: readmodel.NewQueries(db.Pool)}

	// Before the projector's first build: 503.
	if _, err := r.ListCategories(ctx); !errors.Is(err, errs.Unavailable) {
		t.Fatalf("before the first build: %v, want Unavailable", err)
	}

	// The read schema as the projector exposes it (tables in place of views).
	p := readmodel.New()
	id := uuid.NewString()
	created := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	var evs []es.RecordedEvent
	for i, m := range []proto.Message{
		&catalogv1.CategoryCreated{Slug: "keyboards", Name: "Keyboards", CreatedAt: created.UnixMicro()},
		&catalogv1.ProductCreated{ProductId: id, Sku: "KB-1", Name: "Split Keyboard", Slug: "split-keyboard", Description: "Two halves.",
			Category: "keyboards", Brand: "Keeb Co", PriceMinor: 12990, Currency: "USD",
			Specs:  []*catalogv1.ProductSpec{{Key: "weight", Value: "1.2", Unit: "kg"}},
			Images: []*catalogv1.ProductImage{{Url: "https://img.example.com/kb.png", Alt: "kb"}},
			OnHand: 7, Available: 7, CreatedAt: created.UnixMicro()},
	} {
		payload, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		stream := []string{"category-keyboards", "product-" + id}[i]
		evs = append(evs, es.RecordedEvent{ID: uuid.New(), StreamID: stream, Version: 1,
			Type: string(m.ProtoReflect().Descriptor().FullName()), SchemaVersion: 1, Payload: payload})
	}
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+readmodel.Name+"; SET LOCAL search_path = "+readmodel.Name); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, p.DDL(readmodel.Name)); err != nil {
			return err
		}
		return p.ApplyBatch(ctx, tx, readmodel.Name, evs)
	})
	if err != nil {
		t.Fatal(err)
	}

	want := app.ProductView{ID: id, SKU: "KB-1", Name: "Split Keyboard", Slug: "split-keyboard", Description: "Two halves.",
		Category: "keyboards", Brand: "Keeb Co", PriceMinor: 12990, Currency: "USD",
		Specs: []domain.Spec{{Key: "weight", Value: "1.2", Unit: "kg"}}, Images: []domain.Image{{ID: domain.URLImageID(id, "https://img.example.com/kb.png"), URL: "https://img.example.com/kb.png", Alt: "kb"}}, // an event from before ids: derived
		Stock: 7, Status: domain.StatusActive, CreatedAt: created, UpdatedAt: created}
	for _, key := range []string{id, "split-keyboard"} {
		got, err := r.GetProduct(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("GetProduct(%s) (-want +got):\n%s", key, diff)
		}
	}
	page, err := r.ListProducts(ctx, app.ProductFilter{Page: 1, PerPage: 10, Category: "keyboards", Sort: app.SortNewest})
	if err != nil || page.Total != 1 || len(page.Items) != 1 || page.Items[0].ID != id {
		t.Fatalf("ListProducts: %+v, %v", page, err)
	}
	admin, err := r.AdminListProducts(ctx, app.AdminProductFilter{Page: 1, PerPage: 10, Status: domain.StatusDeleted})
	if err != nil || admin.Total != 0 || len(admin.Items) != 0 {
		t.Fatalf("AdminListProducts: %+v, %v", admin, err)
	}
	cats, err := r.ListCategories(ctx)
	if diff := cmp.Diff([]app.CategoryView{{Slug: "keyboards", Name: "Keyboards"}}, cats); err != nil || diff != "" {
		t.Fatalf("ListCategories: %v (-want +got):\n%s", err, diff)
	}
	if _, err := r.GetProduct(ctx, "no-such-product"); !errors.Is(err, errs.NotFound) {
		t.Fatalf("unknown product: %v, want NotFound", err)
	}
}
