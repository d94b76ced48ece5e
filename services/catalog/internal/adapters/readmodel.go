package adapters

import (
	"context"
	"fmt"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/services/catalog/internal/app"
)

// ErrReadModelPending is what the catalog's queries answer until the catalog read model
// (projections/catalog) is wired in: a 503, never data made up from the event log.
var ErrReadModelPending = fmt.Errorf("%w: the catalog read model is not available", errs.Unavailable)

// ReadModelPending is the app.ProductReader of a catalog deployed without its read model.
// Commands work without it; every query answers ErrReadModelPending. cmd/catalog swaps in
// the read model's reader once projections/catalog provides one.
type ReadModelPending struct{}

// ListProducts implements app.ProductReader.
func (ReadModelPending) ListProducts(context.Context, app.ProductFilter) (app.ProductPage, error) {
	return app.ProductPage{}, ErrReadModelPending
}

// GetProduct implements app.ProductReader.
func (ReadModelPending) GetProduct(context.Context, string) (app.ProductView, error) {
	return app.ProductView{}, ErrReadModelPending
}

// ListCategories implements app.ProductReader.
func (ReadModelPending) ListCategories(context.Context) ([]app.CategoryView, error) {
	return nil, ErrReadModelPending
}

// AdminListProducts implements app.ProductReader.
func (ReadModelPending) AdminListProducts(context.Context, app.AdminProductFilter) (app.ProductPage, error) {
	return app.ProductPage{}, ErrReadModelPending
}
