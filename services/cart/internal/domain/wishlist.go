package domain

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
)

// MaxWishlistItems is the most products one wishlist holds.
const MaxWishlistItems = 500

var (
	// ErrWishlistItemNotFound is an item id that is not on the caller's wishlist.
	ErrWishlistItemNotFound = fmt.Errorf("%w: no such item on your wishlist", errs.NotFound)
	// ErrWishlistFull is a new item beyond MaxWishlistItems.
	ErrWishlistFull = fmt.Errorf("%w: the wishlist holds %d products, the most it can; remove one first", errs.FailedPrecondition, MaxWishlistItems)
)

// WishlistStream is the stream id of a user's wishlist.
func WishlistStream(userID string) string { return "wishlist-" + userID }

// WishlistItem is a product on a wishlist.
type WishlistItem struct {
	ItemID    string
	ProductID string
	AddedAt   time.Time
}

// Wishlist is a user's wishlist: products, each once, oldest first.
type Wishlist struct {
	aggregate.Changes
	userID string
	items  []WishlistItem
}

// NewWishlist returns an empty wishlist for the stream id, for loading (or for a new user).
func NewWishlist(streamID string) *Wishlist { return &Wishlist{userID: streamID[len("wishlist-"):]} }

// StreamID implements aggregate.Root.
func (w *Wishlist) StreamID() string { return WishlistStream(w.userID) }

// Items returns a copy of the wishlist's items, oldest first.
func (w *Wishlist) Items() []WishlistItem { return slices.Clone(w.items) }

// ProductIDs returns the products on the wishlist.
func (w *Wishlist) ProductIDs() []string {
	out := make([]string, len(w.items))
	for i, it := range w.items {
		out[i] = it.ProductID
	}
	return out
}

// Add puts the product on the wishlist with id itemID, unless it is there already: then it
// returns that item and false, and records nothing.
func (w *Wishlist) Add(itemID, productID string, now time.Time) (WishlistItem, bool, error) {
	if i := slices.IndexFunc(w.items, func(it WishlistItem) bool { return it.ProductID == productID }); i >= 0 {
		return w.items[i], false, nil
	}
	if len(w.items) >= MaxWishlistItems {
		return WishlistItem{}, false, ErrWishlistFull
	}
	w.record(&cartv1.WishlistItemAdded{UserId: w.userID, ItemId: itemID, ProductId: productID, AddedAt: now.UnixMicro()})
	return w.items[len(w.items)-1], true, nil
}

// Remove takes an item off the wishlist.
func (w *Wishlist) Remove(itemID string, now time.Time) error {
	i := slices.IndexFunc(w.items, func(it WishlistItem) bool { return it.ItemID == itemID })
	if i < 0 {
		return ErrWishlistItemNotFound
	}
	w.record(&cartv1.WishlistItemRemoved{UserId: w.userID, ItemId: itemID, ProductId: w.items[i].ProductID, RemovedAt: now.UnixMicro()})
	return nil
}

func (w *Wishlist) record(e proto.Message) {
	_ = w.Apply(e)
	w.Record(e)
}

// Apply implements aggregate.Root.
func (w *Wishlist) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *cartv1.WishlistItemAdded:
		w.items = append(w.items, WishlistItem{ItemID: e.GetItemId(), ProductID: e.GetProductId(), AddedAt: time.UnixMicro(e.GetAddedAt()).UTC()})
	case *cartv1.WishlistItemRemoved:
		w.items = slices.DeleteFunc(w.items, func(it WishlistItem) bool { return it.ItemID == e.GetItemId() })
	default:
		return fmt.Errorf("wishlist: unexpected event %T", e)
	}
	return nil
}

// Clone returns a copy of the wishlist that can be changed without changing w.
func (w *Wishlist) Clone() *Wishlist {
	cp := *w
	cp.items = slices.Clone(w.items)
	return &cp
}
