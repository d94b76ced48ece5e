package app

import (
	"context"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/services/cart/internal/domain"
)

// The calls of the checkout saga (ordering context). They name the user explicitly: they
// come from another service, not from the user.

// GetCheckoutCart reads a user's cart for checkout.
type GetCheckoutCart struct{ UserID string }

// GetCheckoutCartHandler handles GetCheckoutCart.
type GetCheckoutCartHandler struct{ d Deps }

// Handle returns the user's cart priced as checkout charges it, or a FailedPrecondition
// when no order can be placed from it (empty, a deleted product, a line beyond the stock).
func (h GetCheckoutCartHandler) Handle(ctx context.Context, q GetCheckoutCart) (domain.PricedCart, error) {
	if err := ValidateUserID(q.UserID); err != nil {
		return domain.PricedCart{}, err
	}
	c, products, err := h.d.CartReader.Read(ctx, q.UserID)
	if err != nil {
		return domain.PricedCart{}, err
	}
	priced := domain.Price(c, products, h.d.Currency)
	if err := priced.ReadyForCheckout(); err != nil {
		return domain.PricedCart{}, err
	}
	return priced, nil
}

// MarkCheckedOut takes an order's lines out of a user's cart.
type MarkCheckedOut struct {
	UserID  string
	OrderID string
	Lines   []domain.OrderedLine
}

// MarkCheckedOutHandler handles MarkCheckedOut.
type MarkCheckedOutHandler struct{ d Deps }

// Handle records the check-out once per order; it reports whether this call recorded it.
func (h MarkCheckedOutHandler) Handle(ctx context.Context, cmd MarkCheckedOut) (bool, error) {
	if err := ValidateUserID(cmd.UserID); err != nil {
		return false, err
	}
	if cmd.OrderID == "" {
		return false, errs.Field("order_id", "is required")
	}
	changed := false
	_, _, err := change(ctx, h.d, h.d.Carts, h.d.CartReader, cmd.UserID, nil, func(c *domain.Cart, _ map[string]domain.Product) error {
		var err error
		changed, err = c.CheckOut(cmd.OrderID, cmd.Lines, h.d.Clock())
		return err
	})
	return changed, err
}
