package app

import (
	"context"
	"time"

	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// ProductReader reads the catalog read model (projections/catalog), which the projector
// feeds from the catalog's events. It is eventually consistent: a change shows normally
// within a second. Implementations are safe for concurrent use; a cancelled ctx aborts the
// query with ctx's error. Filters arrive validated and resolved by the query handlers.
type ProductReader interface {
	// ListProducts returns one page of the ACTIVE products matching f, in f.Sort order with
	// ties broken by id ascending, and the number of all matching products (exact). A page
	// past the end has no items and the true total.
	ListProducts(ctx context.Context, f ProductFilter) (ProductPage, error)
	// GetProduct returns the product (active or deleted) whose id is idOrSlug, or else the one
	// whose slug is idOrSlug; an error matching errs.NotFound when there is none.
	GetProduct(ctx context.Context, idOrSlug string) (ProductView, error)
	// ListCategories returns every category, ordered by slug (byte order).
	ListCategories(ctx context.Context) ([]CategoryView, error)
	// AdminListProducts returns one page of the products of any status (or of f.Status),
	// newest first (created_at descending, ties by id ascending), and their total.
	AdminListProducts(ctx context.Context, f AdminProductFilter) (ProductPage, error)
}

// ProductSort orders a product list.
type ProductSort string

// The sorts of API.md. Ties are always broken by id ascending.
const (
	// SortRelevance: full-text rank of Query, best first (only with a Query).
	SortRelevance ProductSort = "relevance"
	// SortNewest: created_at descending.
	SortNewest     ProductSort = "newest"
	SortPriceAsc   ProductSort = "price_asc"
	SortPriceDesc  ProductSort = "price_desc"
	SortRatingDesc ProductSort = "rating_desc"
)

// ProductFilter selects and orders products of the storefront.
type ProductFilter struct {
	// Page ≥ 1 and PerPage 1..100: the items skipped are (Page−1)×PerPage.
	Page, PerPage int
	// Category, if set, is a category slug: products of it and of all its subcategories.
	Category string
	// PriceMinMinor and PriceMaxMinor, if set, bound the price inclusively (minor units).
	PriceMinMinor, PriceMaxMinor *int64
	// Query, if set, is a full-text search (websearch syntax) over name, brand,
	// description and specs.
	Query string
	// InStock, if set: true keeps products with stock > 0, false those with stock 0.
	InStock *bool
	// Sort is never empty; it is SortRelevance only when Query is set.
	Sort ProductSort
}

// AdminProductFilter selects products of any status for admins.
type AdminProductFilter struct {
	Page, PerPage int
	// Status is "", domain.StatusActive or domain.StatusDeleted.
	Status string
}

// ProductPage is one page of a product list.
type ProductPage struct {
	Items []ProductView
	// Total counts every product matching the filter, on all pages.
	Total int
}

// ProductView is a product as clients see it (API.md, "Product").
type ProductView struct {
	ID          string
	SKU         string
	Name        string
	Slug        string
	Description string
	Category    string
	Brand       string
	PriceMinor  int64
	Currency    string
	Specs       []domain.Spec
	Images      []domain.Image
	// Stock is the units available to sell (on hand minus reserved).
	Stock         int32
	RatingAverage float64
	RatingCount   int32
	// Status is "active" or "deleted".
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// InStock reports whether any unit is available.
func (v ProductView) InStock() bool { return v.Stock > 0 }

// CategoryView is a category as clients see it.
type CategoryView struct {
	Slug, Name, Parent string
}

// viewOf renders a product as the command left it. Ratings belong to the reviews context and
// reach only the read model: rating is what the read model knows (zero for a new product).
func viewOf(p *domain.Product, ratingAverage float64, ratingCount int32) ProductView {
	d := p.Details()
	return ProductView{
		ID: p.ID(), SKU: d.SKU, Name: d.Name, Slug: d.Slug, Description: d.Description, Category: d.Category, Brand: d.Brand,
		PriceMinor: p.PriceMinor(), Currency: p.Currency(), Specs: nonNil(d.Specs), Images: nonNil(d.Images),
		Stock: p.Available(), RatingAverage: ratingAverage, RatingCount: ratingCount, Status: p.Status(),
		CreatedAt: p.CreatedAt(), UpdatedAt: p.UpdatedAt(),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
