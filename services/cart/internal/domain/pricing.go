package domain

import (
	"fmt"

	"github.com/storefront/storefront/platform/errs"
)

// Product is what the cart context knows of a catalog product, from its own read model.
type Product struct {
	ID         string
	SKU        string
	Name       string
	PriceMinor int64
	Currency   string
	// Stock is the units available to sell.
	Stock int32
	// Active is false for a product deleted from the storefront.
	Active bool
}

// PricedLine is a cart line with its product's current price.
type PricedLine struct {
	Line
	SKU            string
	Name           string
	UnitPriceMinor int64
	LineTotalMinor int64
	// Available is false when the product was deleted (or is unknown to the read model).
	Available bool
	Stock     int32
}

// PricedCart is a cart priced with its products' current prices.
type PricedCart struct {
	ID            string
	UserID        string
	Version       int64
	Lines         []PricedLine
	ItemCount     int32
	SubtotalMinor int64
	Currency      string
}

// Price prices the cart's lines with products (by id). Lines whose product is deleted or
// unknown stay in the cart, flagged unavailable, and count neither in ItemCount nor in the
// subtotal: they cannot be checked out.
func Price(c *Cart, products map[string]Product, currency string) PricedCart {
	out := PricedCart{ID: c.ID(), UserID: c.userID, Version: c.Version(), Currency: currency, Lines: make([]PricedLine, 0, len(c.lines))}
	for _, l := range c.lines {
		p, known := products[l.ProductID]
		pl := PricedLine{Line: l, SKU: p.SKU, Name: p.Name, UnitPriceMinor: p.PriceMinor, LineTotalMinor: p.PriceMinor * int64(l.Quantity),
			Available: known && p.Active}
		if pl.Available {
			pl.Stock = p.Stock
			out.ItemCount += l.Quantity
			out.SubtotalMinor += pl.LineTotalMinor
		}
		out.Lines = append(out.Lines, pl)
	}
	return out
}

// ErrCartEmpty is a checkout of an empty cart.
var ErrCartEmpty = fmt.Errorf("%w: the cart is empty", errs.FailedPrecondition)

// ReadyForCheckout checks that an order can be placed from the priced cart: it has lines,
// every one of them available and within the product's stock.
func (p PricedCart) ReadyForCheckout() error {
	if len(p.Lines) == 0 {
		return ErrCartEmpty
	}
	for _, l := range p.Lines {
		switch {
		case !l.Available:
			return fmt.Errorf("%w: product %s is no longer available; remove it from the cart", errs.FailedPrecondition, l.ProductID)
		case l.Quantity > l.Stock:
			return &InsufficientStockError{ProductID: l.ProductID, Requested: l.Quantity, Available: l.Stock}
		}
	}
	return nil
}
