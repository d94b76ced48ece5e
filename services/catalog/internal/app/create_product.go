package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

var (
	// ErrSKUTaken: another product (also a deleted one) has the SKU.
	ErrSKUTaken = fmt.Errorf("%w: a product with this SKU exists", errs.AlreadyExists)
	// ErrSlugTaken: another product (also a deleted one) has the slug.
	ErrSlugTaken = fmt.Errorf("%w: a product with this slug exists", errs.AlreadyExists)
	// ErrNoFreeSlug: every derived slug tried was taken; the admin must give one.
	ErrNoFreeSlug = fmt.Errorf("%w: no free slug derived from this name; give a slug", errs.AlreadyExists)
	// ErrProductNotFound: no product has the id.
	ErrProductNotFound = fmt.Errorf("%w: no such product", errs.NotFound)
)

// maxSlugAttempts bounds the search for a free derived slug (name, name-2, ...).
const maxSlugAttempts = 100

// ProductInput is what an admin sends for a product (create, and update's replaced fields).
type ProductInput struct {
	SKU, Name, Slug, Description, Category, Brand string
	// PriceAmount is a decimal string in major units; PriceCurrency may be empty (the
	// store's currency).
	PriceAmount, PriceCurrency string
	Specs                      []domain.Spec
	Images                     []domain.Image
}

func (in ProductInput) details() domain.Details {
	return domain.Details{SKU: in.SKU, Name: in.Name, Slug: in.Slug, Description: in.Description, Category: in.Category,
		Brand: in.Brand, Specs: in.Specs, Images: in.Images}.Normalize()
}

// CreateProduct adds a product.
type CreateProduct struct {
	ProductInput
	Stock int32
}

// CreateProductHandler handles CreateProduct.
type CreateProductHandler struct{ d Deps }

// Handle validates the product (every bad field at once), claims its SKU and slug, and
// returns it as created.
func (h CreateProductHandler) Handle(ctx context.Context, cmd CreateProduct) (ProductView, error) {
	d, price, err := h.d.validateProduct(ctx, cmd.ProductInput, func(v *errs.Validation) {
		addViolations(v, domain.ValidateStock("stock", int64(cmd.Stock)))
	})
	if err != nil {
		return ProductView{}, err
	}
	now := h.d.Clock()
	id := newID()
	if d.Slug != "" {
		p, err := domain.CreateProduct(id, d, price, h.d.Currency, cmd.Stock, now)
		if err != nil {
			return ProductView{}, err
		}
		if err := h.d.Products.Save(ctx, p); err != nil {
			return ProductView{}, duplicateError(err)
		}
		return viewOf(p, 0, 0), nil
	}
	// Derived slug: the first of name, name-2, name-3, ... that no product holds. The claim
	// index answers which are taken; the claim made by Save settles races.
	base := domain.DeriveSlug(d.Name)
	for n := 1; n <= maxSlugAttempts; n++ {
		d.Slug = domain.SlugCandidate(base, n)
		owner, err := h.d.Owners.Owner(ctx, domain.ScopeSlug, d.Slug)
		if err != nil {
			return ProductView{}, err
		}
		if owner != "" {
			continue
		}
		p, err := domain.CreateProduct(id, d, price, h.d.Currency, cmd.Stock, now)
		if err != nil {
			return ProductView{}, err
		}
		err = h.d.Products.Save(ctx, p)
		if errors.Is(duplicateError(err), ErrSlugTaken) {
			continue // taken between the lookup and the save
		}
		if err != nil {
			return ProductView{}, duplicateError(err)
		}
		return viewOf(p, 0, 0), nil
	}
	return ProductView{}, ErrNoFreeSlug
}

// validateProduct normalises and checks a product's fields, the price and that the category
// exists; more adds the command's own checks. It returns every violation at once.
func (d Deps) validateProduct(ctx context.Context, in ProductInput, more func(*errs.Validation)) (domain.Details, int64, error) {
	details := in.details()
	var v errs.Validation
	details.Validate(&v)
	price, err := domain.ParsePrice("price", in.PriceAmount, in.PriceCurrency, d.Currency)
	addViolations(&v, err)
	more(&v)
	if !violates(&v, "category") {
		exists, err := d.categoryExists(ctx, details.Category)
		if err != nil {
			return details, 0, err
		}
		if !exists {
			v.Add("category", "no such category")
		}
	}
	return details, price, v.Err()
}

// categoryExists reads the category's stream: strongly consistent, so a category created a
// moment ago can be used at once.
func (d Deps) categoryExists(ctx context.Context, slug string) (bool, error) {
	_, err := d.Categories.Load(ctx, domain.CategoryStream(slug))
	switch {
	case errors.Is(err, aggregate.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// duplicateError names the unique value a failed save clashed on.
func duplicateError(err error) error {
	var dup *es.DuplicateError
	if !errors.As(err, &dup) {
		return err
	}
	switch dup.Scope {
	case domain.ScopeSKU:
		return ErrSKUTaken
	case domain.ScopeSlug:
		return ErrSlugTaken
	case domain.ScopeCategory:
		return ErrCategoryExists
	}
	return err
}

// addViolations adds the violations of a validation error (nil adds nothing).
func addViolations(v *errs.Validation, err error) {
	if err == nil {
		return
	}
	var ve *errs.Validation
	if errors.As(err, &ve) {
		v.Violations = append(v.Violations, ve.Violations...)
		return
	}
	v.Add("", err.Error())
}

func violates(v *errs.Validation, field string) bool {
	for _, x := range v.Violations {
		if x.Field == field {
			return true
		}
	}
	return false
}
