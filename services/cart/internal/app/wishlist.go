package app

import (
	"context"

	"github.com/storefront/storefront/services/cart/internal/domain"
)

// PricedWishlistItem is a wishlist item with its product's current name and price.
type PricedWishlistItem struct {
	domain.WishlistItem
	Name       string
	PriceMinor int64
	Currency   string
	// Available is false when the product was deleted (or is unknown to the read model).
	Available bool
}

func priceItem(it domain.WishlistItem, products map[string]domain.Product, currency string) PricedWishlistItem {
	p, ok := products[it.ProductID]
	out := PricedWishlistItem{WishlistItem: it, Name: p.Name, PriceMinor: p.PriceMinor, Currency: p.Currency, Available: ok && p.Active}
	if out.Currency == "" {
		out.Currency = currency
	}
	return out
}

// ListWishlist reads the caller's wishlist.
type ListWishlist struct{}

// ListWishlistHandler handles ListWishlist.
type ListWishlistHandler struct{ d Deps }

// Handle returns the caller's wishlist, oldest first, with current names and prices.
func (h ListWishlistHandler) Handle(ctx context.Context, _ ListWishlist) ([]PricedWishlistItem, error) {
	userID, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	w, products, err := h.d.WishlistReads.Read(ctx, userID)
	if err != nil {
		return nil, err
	}
	items := w.Items()
	out := make([]PricedWishlistItem, len(items))
	for i, it := range items {
		out[i] = priceItem(it, products, h.d.Currency)
	}
	return out, nil
}

// AddWishlistItem puts a product on the caller's wishlist.
type AddWishlistItem struct{ ProductID string }

// AddWishlistItemHandler handles AddWishlistItem.
type AddWishlistItemHandler struct{ d Deps }

// Handle adds the product and reports whether it was new (false: it was there already, and
// the item is the one there).
func (h AddWishlistItemHandler) Handle(ctx context.Context, cmd AddWishlistItem) (PricedWishlistItem, bool, error) {
	userID, err := caller(ctx)
	if err != nil {
		return PricedWishlistItem{}, false, err
	}
	if err := validateProductID(cmd.ProductID); err != nil {
		return PricedWishlistItem{}, false, err
	}
	itemID := newID()
	var (
		item  domain.WishlistItem
		added bool
	)
	_, products, err := change(ctx, h.d, h.d.Wishlists, h.d.WishlistReads, userID, []string{cmd.ProductID},
		func(w *domain.Wishlist, products map[string]domain.Product) error {
			if p, ok := products[cmd.ProductID]; !ok || !p.Active {
				return ErrProductNotFound
			}
			var err error
			item, added, err = w.Add(itemID, cmd.ProductID, h.d.Clock())
			return err
		})
	if err != nil {
		return PricedWishlistItem{}, false, err
	}
	return priceItem(item, products, h.d.Currency), added, nil
}

// RemoveWishlistItem takes an item off the caller's wishlist.
type RemoveWishlistItem struct{ ItemID string }

// RemoveWishlistItemHandler handles RemoveWishlistItem.
type RemoveWishlistItemHandler struct{ d Deps }

// Handle removes the item.
func (h RemoveWishlistItemHandler) Handle(ctx context.Context, cmd RemoveWishlistItem) error {
	userID, err := caller(ctx)
	if err != nil {
		return err
	}
	_, _, err = change(ctx, h.d, h.d.Wishlists, h.d.WishlistReads, userID, nil, func(w *domain.Wishlist, _ map[string]domain.Product) error {
		return w.Remove(cmd.ItemID, h.d.Clock())
	})
	return err
}
