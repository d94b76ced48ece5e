package app

import (
	"context"
	"errors"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/services/ordering/internal/domain"
)

// CreateDiscount creates a discount code (already_exists when it is taken).
func (a *App) CreateDiscount(ctx context.Context, t domain.DiscountTerms) (*domain.Discount, error) {
	code, err := domain.NormalizeCode("code", t.Code)
	if err != nil {
		return nil, err
	}
	t.Code, t.Currency = code, a.d.Currency
	d := domain.NewDiscount(domain.DiscountStream(code))
	if err := d.Create(t, reqctx.From(ctx).Actor.UserID, a.now()); err != nil {
		return nil, err
	}
	if err := a.d.Discounts.Save(ctx, d); err != nil {
		if errors.Is(err, es.ErrConcurrency) {
			return nil, domain.ErrDiscountExists
		}
		return nil, err
	}
	return d, nil
}
