package app

import (
	"context"

	"github.com/storefront/storefront/services/cart/internal/domain"
)

// GetCart reads the caller's cart.
type GetCart struct{}

// GetCartHandler handles GetCart.
type GetCartHandler struct{ d Deps }

// Handle returns the caller's cart priced with the products' current prices.
func (h GetCartHandler) Handle(ctx context.Context, _ GetCart) (domain.PricedCart, error) {
	userID, err := caller(ctx)
	if err != nil {
		return domain.PricedCart{}, err
	}
	c, products, err := h.d.CartReader.Read(ctx, userID)
	if err != nil {
		return domain.PricedCart{}, err
	}
	return domain.Price(c, products, h.d.Currency), nil
}

// AddCartItem puts a product in the caller's cart.
type AddCartItem struct {
	ProductID string
	// Quantity defaults to 1 when nil.
	Quantity *int32
}

// AddCartItemHandler handles AddCartItem.
type AddCartItemHandler struct{ d Deps }

// Handle adds the units to the product's line (a new line when it has none) and returns
// the cart as the add left it.
func (h AddCartItemHandler) Handle(ctx context.Context, cmd AddCartItem) (domain.PricedCart, error) {
	userID, err := caller(ctx)
	if err != nil {
		return domain.PricedCart{}, err
	}
	quantity := int32(1)
	if cmd.Quantity != nil {
		quantity = *cmd.Quantity
	}
	if err := validateProductID(cmd.ProductID); err != nil {
		return domain.PricedCart{}, err
	}
	if err := domain.ValidateQuantity(quantity); err != nil {
		return domain.PricedCart{}, err
	}
	itemID := newID()
	return h.d.changeCart(ctx, userID, []string{cmd.ProductID}, func(c *domain.Cart, products map[string]domain.Product) error {
		p, ok := products[cmd.ProductID]
		if !ok || !p.Active {
			return ErrProductNotFound
		}
		_, err := c.Add(itemID, cmd.ProductID, quantity, p.Stock, h.d.Clock())
		return err
	})
}

// UpdateCartItem sets the quantity of a line of the caller's cart.
type UpdateCartItem struct {
	ItemID   string
	Quantity int32
}

// UpdateCartItemHandler handles UpdateCartItem.
type UpdateCartItemHandler struct{ d Deps }

// Handle sets the line's quantity; raising it beyond the product's available stock (none
// for a deleted product) fails.
func (h UpdateCartItemHandler) Handle(ctx context.Context, cmd UpdateCartItem) (domain.PricedCart, error) {
	userID, err := caller(ctx)
	if err != nil {
		return domain.PricedCart{}, err
	}
	if err := domain.ValidateQuantity(cmd.Quantity); err != nil {
		return domain.PricedCart{}, err
	}
	return h.d.changeCart(ctx, userID, nil, func(c *domain.Cart, products map[string]domain.Product) error {
		l, err := c.Line(cmd.ItemID)
		if err != nil {
			return err
		}
		available := int32(0)
		if p, ok := products[l.ProductID]; ok && p.Active {
			available = p.Stock
		}
		return c.SetQuantity(cmd.ItemID, cmd.Quantity, available, h.d.Clock())
	})
}

// RemoveCartItem takes a line out of the caller's cart.
type RemoveCartItem struct{ ItemID string }

// RemoveCartItemHandler handles RemoveCartItem.
type RemoveCartItemHandler struct{ d Deps }

// Handle removes the line.
func (h RemoveCartItemHandler) Handle(ctx context.Context, cmd RemoveCartItem) error {
	userID, err := caller(ctx)
	if err != nil {
		return err
	}
	_, err = h.d.changeCart(ctx, userID, nil, func(c *domain.Cart, _ map[string]domain.Product) error {
		return c.Remove(cmd.ItemID, h.d.Clock())
	})
	return err
}

// ClearCart empties the caller's cart.
type ClearCart struct{}

// ClearCartHandler handles ClearCart.
type ClearCartHandler struct{ d Deps }

// Handle removes every line (an empty cart stays as it is).
func (h ClearCartHandler) Handle(ctx context.Context, _ ClearCart) error {
	userID, err := caller(ctx)
	if err != nil {
		return err
	}
	_, err = h.d.changeCart(ctx, userID, nil, func(c *domain.Cart, _ map[string]domain.Product) error {
		c.Clear(h.d.Clock())
		return nil
	})
	return err
}

// changeCart applies decide to the user's cart (see change) and prices the result.
func (d Deps) changeCart(ctx context.Context, userID string, need []string, decide func(*domain.Cart, map[string]domain.Product) error) (domain.PricedCart, error) {
	c, products, err := change(ctx, d, d.Carts, d.CartReader, userID, need, decide)
	if err != nil {
		return domain.PricedCart{}, err
	}
	return domain.Price(c, products, d.Currency), nil
}
