package app

import (
	"context"
	"errors"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// UpdateProduct replaces a product's fields (PUT). Slug, Stock and Status change only when
// set; an empty Slug keeps the slug too.
type UpdateProduct struct {
	ID string
	ProductInput
	// Stock, if set, is the new number of units available to sell.
	Stock *int32
	// Status, if set, is "active" (restores a deleted product) or "deleted".
	Status *string
}

// UpdateProductHandler handles UpdateProduct.
type UpdateProductHandler struct{ d Deps }

// Handle applies the changes (each as its own event: details, price, stock, status) and
// returns the product as the command left it.
func (h UpdateProductHandler) Handle(ctx context.Context, cmd UpdateProduct) (ProductView, error) {
	status := ""
	if cmd.Status != nil {
		status = *cmd.Status
	}
	d, price, err := h.d.validateProduct(ctx, cmd.ProductInput, func(v *errs.Validation) {
		if cmd.ID == "" {
			v.Add("id", "is required")
		}
		if cmd.Stock != nil {
			addViolations(v, domain.ValidateStock("stock", int64(*cmd.Stock)))
		}
		if status != "" && status != domain.StatusActive && status != domain.StatusDeleted {
			v.Add("status", `must be "active" or "deleted"`)
		}
	})
	if err != nil {
		return ProductView{}, err
	}
	now := h.d.Clock()
	p, err := h.d.Products.Update(ctx, domain.ProductStream(cmd.ID), func(p *domain.Product) error {
		if status == domain.StatusActive {
			p.Restore(now)
		}
		if p.Deleted() && status == domain.StatusDeleted {
			return nil // deleting a deleted product again changes nothing
		}
		if err := p.UpdateDetails(d, now); err != nil {
			return err
		}
		if err := p.ChangePrice(price, now); err != nil {
			return err
		}
		if cmd.Stock != nil {
			if err := p.SetAvailable(*cmd.Stock, now); err != nil {
				return err
			}
		}
		if status == domain.StatusDeleted {
			p.Delete(now)
		}
		return nil
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return ProductView{}, ErrProductNotFound
	}
	if err != nil {
		return ProductView{}, duplicateError(err)
	}
	avg, count := h.d.ratingOf(ctx, p.ID())
	return viewOf(p, avg, count), nil
}

// ratingOf is the product's rating as the read model knows it (ratings come from the
// reviews context). It is best effort: the command has succeeded whatever the read model
// says, so a failure to read it is logged and the rating shown as none.
func (d Deps) ratingOf(ctx context.Context, productID string) (float64, int32) {
	v, err := d.Reader.GetProduct(ctx, productID)
	if err != nil {
		if !errors.Is(err, errs.NotFound) {
			d.Log.WarnContext(ctx, "rating not read from the catalog read model", "product_id", productID, "err", err)
		}
		return 0, 0
	}
	return v.RatingAverage, v.RatingCount
}

// DeleteProduct takes a product off the storefront (soft delete).
type DeleteProduct struct {
	ID string
}

// DeleteProductHandler handles DeleteProduct.
type DeleteProductHandler struct{ d Deps }

// Handle deletes the product; deleting a deleted product succeeds and changes nothing.
func (h DeleteProductHandler) Handle(ctx context.Context, cmd DeleteProduct) error {
	if cmd.ID == "" {
		return errs.Field("id", "is required")
	}
	now := h.d.Clock()
	_, err := h.d.Products.Update(ctx, domain.ProductStream(cmd.ID), func(p *domain.Product) error {
		p.Delete(now)
		return nil
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return ErrProductNotFound
	}
	return err
}
