// Package apptest holds test doubles of the catalog application's ports, for the tests of
// every package of the catalog service.
package apptest

import (
	"context"
	"fmt"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/services/catalog/internal/app"
)

// ErrUnbuilt is what UnbuiltReadModel answers: the projector has not built the read model.
var ErrUnbuilt = fmt.Errorf("%w: the catalog read model is not built yet", errs.Unavailable)

// UnbuiltReadModel is an app.ProductReader whose read model is not built: every read is
// unavailable. Tests of commands use it (commands need no read model; their answers show no
// rating then).
type UnbuiltReadModel struct{}

// ListProducts implements app.ProductReader.
func (UnbuiltReadModel) ListProducts(context.Context, app.ProductFilter) (app.ProductPage, error) {
	return app.ProductPage{}, ErrUnbuilt
}

// GetProduct implements app.ProductReader.
func (UnbuiltReadModel) GetProduct(context.Context, string) (app.ProductView, error) {
	return app.ProductView{}, ErrUnbuilt
}

// ListCategories implements app.ProductReader.
func (UnbuiltReadModel) ListCategories(context.Context) ([]app.CategoryView, error) {
	return nil, ErrUnbuilt
}

// AdminListProducts implements app.ProductReader.
func (UnbuiltReadModel) AdminListProducts(context.Context, app.AdminProductFilter) (app.ProductPage, error) {
	return app.ProductPage{}, ErrUnbuilt
}
