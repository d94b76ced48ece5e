// Package app holds the catalog context's use cases: one file per command or query, each a
// small handler over the ports declared here. Commands load aggregates from the event store,
// call their methods and save them; queries read the catalog read model through
// ProductReader. Handlers know nothing of gRPC or SQL.
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// Owners finds the stream that holds a unique value (SKU, slug) in the event store's claim
// index, which is strongly consistent. It returns "" (and no error) when no stream holds it.
type Owners interface {
	Owner(ctx context.Context, scope, value string) (string, error)
}

// Clock tells the time; tests move it.
type Clock func() time.Time

// Products, Categories and Reservations load and save the aggregates.
type (
	Products     = aggregate.Store[*domain.Product]
	Categories   = aggregate.Store[*domain.Category]
	Reservations = aggregate.Store[*domain.Reservation]
)

// Deps are what the handlers need.
type Deps struct {
	Products     *Products
	Categories   *Categories
	Reservations *Reservations
	Owners       Owners
	Reader       ProductReader
	// Media stores uploaded pictures; nil refuses uploads (unavailable).
	Media MediaStore
	Clock Clock
	// Currency is the store's one currency (ISO 4217), e.g. "USD".
	Currency string
	Log      *slog.Logger
}

// Application is the catalog context's use cases.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change state.
type Commands struct {
	CreateProduct      CreateProductHandler
	UpdateProduct      UpdateProductHandler
	DeleteProduct      DeleteProductHandler
	CreateCategory     CreateCategoryHandler
	ReserveStock       ReserveStockHandler
	ReleaseReservation ReleaseReservationHandler
	CommitReservation  CommitReservationHandler
	RestockReservation RestockReservationHandler
	AddProductImage    AddProductImageHandler
	RemoveProductImage RemoveProductImageHandler
}

// Queries read the catalog read model.
type Queries struct {
	ListProducts      ListProductsHandler
	GetProduct        GetProductHandler
	ListCategories    ListCategoriesHandler
	AdminListProducts AdminListProductsHandler
}

// New wires the handlers.
func New(d Deps) Application {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return Application{
		Commands: Commands{
			CreateProduct:      CreateProductHandler{d},
			UpdateProduct:      UpdateProductHandler{d},
			DeleteProduct:      DeleteProductHandler{d},
			CreateCategory:     CreateCategoryHandler{d},
			ReserveStock:       ReserveStockHandler{d},
			ReleaseReservation: ReleaseReservationHandler{d},
			CommitReservation:  CommitReservationHandler{d},
			RestockReservation: RestockReservationHandler{d},
			AddProductImage:    AddProductImageHandler{d},
			RemoveProductImage: RemoveProductImageHandler{d},
		},
		Queries: Queries{
			ListProducts:      ListProductsHandler{d},
			GetProduct:        GetProductHandler{d},
			ListCategories:    ListCategoriesHandler{d},
			AdminListProducts: AdminListProductsHandler{d},
		},
	}
}

// newID returns a UUIDv7 string.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
