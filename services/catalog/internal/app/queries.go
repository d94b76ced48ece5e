package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/money"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// Pagination of API.md, "Lists".
const (
	DefaultPerPage = 24
	MaxPerPage     = 100
	maxQueryLen    = 200
)

// Page is a requested page; nil fields take the defaults.
type Page struct {
	Page, PerPage *int32
}

// resolve applies the defaults and bounds, adding a violation for each bad value.
func (p Page) resolve(v *errs.Validation) (page, perPage int) {
	page, perPage = 1, DefaultPerPage
	if p.Page != nil {
		if *p.Page < 1 {
			v.Add("page", "must be at least 1")
		}
		page = int(*p.Page)
	}
	if p.PerPage != nil {
		if *p.PerPage < 1 || *p.PerPage > MaxPerPage {
			v.Addf("per_page", "must be between 1 and %d", MaxPerPage)
		}
		perPage = int(*p.PerPage)
	}
	return page, perPage
}

// ListProducts lists the storefront's products. Price bounds are decimal strings in major
// units; Sort is one of the ProductSort values or empty (the default).
type ListProducts struct {
	Page
	Category           string
	PriceMin, PriceMax string
	Query              string
	InStock            *bool
	Sort               string
}

// ListProductsHandler handles ListProducts.
type ListProductsHandler struct{ d Deps }

// Handle validates the filters (every bad one at once) and reads the page.
func (h ListProductsHandler) Handle(ctx context.Context, q ListProducts) (ProductPage, ProductFilter, error) {
	var v errs.Validation
	f := ProductFilter{InStock: q.InStock}
	f.Page, f.PerPage = q.Page.resolve(&v)
	f.Category = strings.TrimSpace(q.Category)
	if f.Category != "" {
		addViolations(&v, domain.ValidateSlug("category", f.Category, domain.MaxCategorySlugLen))
	}
	f.PriceMinMinor = h.d.priceBound(&v, "price_min", q.PriceMin)
	f.PriceMaxMinor = h.d.priceBound(&v, "price_max", q.PriceMax)
	if f.PriceMinMinor != nil && f.PriceMaxMinor != nil && *f.PriceMinMinor > *f.PriceMaxMinor {
		v.Add("price_min", "must not exceed price_max")
	}
	f.Query = strings.TrimSpace(q.Query)
	if utf8.RuneCountInString(f.Query) > maxQueryLen || !utf8.ValidString(f.Query) {
		v.Addf("q", "must be valid text of at most %d characters", maxQueryLen)
	}
	switch s := ProductSort(strings.TrimSpace(q.Sort)); s {
	case "":
		f.Sort = SortNewest
		if f.Query != "" {
			f.Sort = SortRelevance
		}
	case SortRelevance:
		// Relevance without a query sorts as newest (API.md).
		f.Sort = SortNewest
		if f.Query != "" {
			f.Sort = SortRelevance
		}
	case SortNewest, SortPriceAsc, SortPriceDesc, SortRatingDesc:
		f.Sort = s
	default:
		v.Add("sort", "must be one of price_asc, price_desc, rating_desc, newest, relevance")
	}
	if err := v.Err(); err != nil {
		return ProductPage{}, f, err
	}
	page, err := h.d.Reader.ListProducts(ctx, f)
	if err != nil {
		return ProductPage{}, f, fmt.Errorf("list products: %w", err)
	}
	return page, f, nil
}

// priceBound parses an optional price filter in the store's currency.
func (d Deps) priceBound(v *errs.Validation, field, s string) *int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	minor, err := money.Parse(s, d.Currency)
	if err != nil {
		v.Add(field, err.Error())
		return nil
	}
	return &minor
}

// GetProduct reads one product of the storefront by id or slug.
type GetProduct struct {
	IDOrSlug string
}

// GetProductHandler handles GetProduct.
type GetProductHandler struct{ d Deps }

// Handle returns the product; a deleted one is not found, as an unknown one.
func (h GetProductHandler) Handle(ctx context.Context, q GetProduct) (ProductView, error) {
	key := strings.TrimSpace(q.IDOrSlug)
	if key == "" {
		return ProductView{}, errs.Field("id", "is required")
	}
	p, err := h.d.Reader.GetProduct(ctx, key)
	if errors.Is(err, errs.NotFound) {
		return ProductView{}, ErrProductNotFound
	}
	if err != nil {
		return ProductView{}, fmt.Errorf("get product: %w", err)
	}
	if p.Status == domain.StatusDeleted {
		return ProductView{}, ErrProductNotFound
	}
	return p, nil
}

// ListCategoriesHandler returns every category, ordered by slug.
type ListCategoriesHandler struct{ d Deps }

// Handle reads the categories.
func (h ListCategoriesHandler) Handle(ctx context.Context) ([]CategoryView, error) {
	cs, err := h.d.Reader.ListCategories(ctx)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	return cs, nil
}

// AdminListProducts lists products of any status for admins.
type AdminListProducts struct {
	Page
	Status string
}

// AdminListProductsHandler handles AdminListProducts.
type AdminListProductsHandler struct{ d Deps }

// Handle validates the page and status and reads the page.
func (h AdminListProductsHandler) Handle(ctx context.Context, q AdminListProducts) (ProductPage, AdminProductFilter, error) {
	var v errs.Validation
	f := AdminProductFilter{Status: strings.TrimSpace(q.Status)}
	f.Page, f.PerPage = q.Page.resolve(&v)
	if f.Status != "" && f.Status != domain.StatusActive && f.Status != domain.StatusDeleted {
		v.Add("status", `must be "active" or "deleted"`)
	}
	if err := v.Err(); err != nil {
		return ProductPage{}, f, err
	}
	page, err := h.d.Reader.AdminListProducts(ctx, f)
	if err != nil {
		return ProductPage{}, f, fmt.Errorf("admin list products: %w", err)
	}
	return page, f, nil
}
