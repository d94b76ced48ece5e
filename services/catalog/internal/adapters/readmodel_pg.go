package adapters

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storefront/storefront/platform/errs"
	readmodel "github.com/storefront/storefront/projections/catalog"
	"github.com/storefront/storefront/services/catalog/internal/app"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// ReadModel is the app.ProductReader over the catalog read model that the projector builds
// (projections/catalog, read schema "catalog_products"). Until the projector's first build
// the read schema does not exist: queries then answer errs.Unavailable (503).
type ReadModel struct {
	Queries *readmodel.Queries
}

var _ app.ProductReader = ReadModel{}

// ListProducts implements app.ProductReader.
func (r ReadModel) ListProducts(ctx context.Context, f app.ProductFilter) (app.ProductPage, error) {
	page, err := r.Queries.ListProducts(ctx, readmodel.ProductFilter{
		Page: f.Page, PerPage: f.PerPage, Category: f.Category, PriceMin: f.PriceMinMinor, PriceMax: f.PriceMaxMinor,
		Query: f.Query, InStock: f.InStock, Sort: readmodel.Sort(f.Sort),
	})
	if err != nil {
		return app.ProductPage{}, readModelError(err)
	}
	return pageOf(page), nil
}

// GetProduct implements app.ProductReader.
func (r ReadModel) GetProduct(ctx context.Context, idOrSlug string) (app.ProductView, error) {
	p, err := r.Queries.GetProduct(ctx, idOrSlug)
	if err != nil {
		return app.ProductView{}, readModelError(err)
	}
	return viewOf(p), nil
}

// ListCategories implements app.ProductReader.
func (r ReadModel) ListCategories(ctx context.Context) ([]app.CategoryView, error) {
	cs, err := r.Queries.ListCategories(ctx)
	if err != nil {
		return nil, readModelError(err)
	}
	out := make([]app.CategoryView, len(cs))
	for i, c := range cs {
		out[i] = app.CategoryView{Slug: c.Slug, Name: c.Name, Parent: c.Parent}
	}
	return out, nil
}

// AdminListProducts implements app.ProductReader.
func (r ReadModel) AdminListProducts(ctx context.Context, f app.AdminProductFilter) (app.ProductPage, error) {
	page, err := r.Queries.AdminListProducts(ctx, readmodel.AdminFilter{Page: f.Page, PerPage: f.PerPage, Status: f.Status})
	if err != nil {
		return app.ProductPage{}, readModelError(err)
	}
	return pageOf(page), nil
}

// readModelError gives the read model's failures their kinds.
func readModelError(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, readmodel.ErrNotFound):
		return fmt.Errorf("%w: %w", errs.NotFound, err)
	case errors.Is(err, readmodel.ErrInvalidFilter):
		return fmt.Errorf("%w: %w", errs.InvalidArgument, err)
	case errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000"):
		// undefined_table, invalid_schema_name: the projector has not built it yet.
		return fmt.Errorf("%w: the catalog read model is not built yet: %w", errs.Unavailable, err)
	}
	return err
}

func pageOf(p readmodel.ProductPage) app.ProductPage {
	out := app.ProductPage{Items: make([]app.ProductView, len(p.Items)), Total: p.Total}
	for i, item := range p.Items {
		out.Items[i] = viewOf(item)
	}
	return out
}

func viewOf(p readmodel.Product) app.ProductView {
	specs := make([]domain.Spec, len(p.Specs))
	for i, s := range p.Specs {
		specs[i] = domain.Spec{Key: s.Key, Value: s.Value, Unit: s.Unit}
	}
	images := make([]domain.Image, len(p.Images))
	for i, im := range p.Images {
		images[i] = domain.Image{ID: im.ID, URL: im.URL, Key: im.Key, Alt: im.Alt, Width: im.Width, Height: im.Height, ContentType: im.ContentType}
		if im.ID == "" { // written before images had ids
			images[i].ID = domain.URLImageID(p.ID, im.URL)
		}
		for _, v := range im.Variants {
			images[i].Variants = append(images[i].Variants, domain.ImageVariant{Width: v.Width, Height: v.Height, Key: v.Key, Format: v.Format})
		}
	}
	return app.ProductView{
		ID: p.ID, SKU: p.SKU, Name: p.Name, Slug: p.Slug, Description: p.Description, Category: p.Category, Brand: p.Brand,
		PriceMinor: p.PriceMinor, Currency: p.Currency, Specs: specs, Images: images, Stock: p.Stock,
		RatingAverage: p.RatingAverage, RatingCount: p.RatingCount, Status: p.Status, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}
