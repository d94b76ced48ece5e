// Package app holds the cart context's use cases: one file per group of commands and
// queries, each a small handler over the ports declared here. Commands change the caller's
// cart or wishlist through the event store; reads come from a version-checked copy of the
// aggregate and the cart context's product read model. Handlers know nothing of gRPC or SQL.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/services/cart/internal/domain"
)

// Clock tells the time; tests move it.
type Clock func() time.Time

// Owned is an aggregate that belongs to one user (a cart, a wishlist) and names products.
type Owned[R any] interface {
	aggregate.Root
	Version() int64
	ProductIDs() []string
	// Clone returns a copy that can be changed without changing the original.
	Clone() R
}

// Reader reads a user's aggregate together with the products it names, read-your-writes:
// every write committed before the call, through any replica, is seen.
type Reader[R Owned[R]] interface {
	// Read returns the user's aggregate (empty, at version 0, when the user has none) and the
	// products of its lines by id (products unknown to the read model are absent). The
	// aggregate may be shared with other readers: change only a Clone.
	Read(ctx context.Context, userID string) (R, map[string]domain.Product, error)
	// Saved tells the reader that root was just saved at its Version.
	Saved(root R)
}

// Products reads the cart context's product read model.
type Products interface {
	// Products returns the products with the ids; unknown ids are absent.
	Products(ctx context.Context, ids []string) (map[string]domain.Product, error)
}

// Carts and Wishlists load and save the aggregates.
type (
	Carts     = aggregate.Store[*domain.Cart]
	Wishlists = aggregate.Store[*domain.Wishlist]
)

// Deps are what the handlers need.
type Deps struct {
	Carts         *Carts
	Wishlists     *Wishlists
	CartReader    Reader[*domain.Cart]
	WishlistReads Reader[*domain.Wishlist]
	Products      Products
	Clock         Clock
	// Currency is the store's one currency (ISO 4217), e.g. "USD": an empty cart's subtotal.
	Currency string
	// Retries is how often a command starts over after another device changed the same cart
	// first (default 10).
	Retries int
	Log     *slog.Logger
}

// Application is the cart context's use cases.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change state.
type Commands struct {
	AddCartItem        AddCartItemHandler
	UpdateCartItem     UpdateCartItemHandler
	RemoveCartItem     RemoveCartItemHandler
	ClearCart          ClearCartHandler
	MarkCheckedOut     MarkCheckedOutHandler
	AddWishlistItem    AddWishlistItemHandler
	RemoveWishlistItem RemoveWishlistItemHandler
}

// Queries read.
type Queries struct {
	GetCart         GetCartHandler
	GetCheckoutCart GetCheckoutCartHandler
	ListWishlist    ListWishlistHandler
}

// New wires the handlers.
func New(d Deps) Application {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Retries <= 0 {
		d.Retries = 10
	}
	return Application{
		Commands: Commands{
			AddCartItem: AddCartItemHandler{d}, UpdateCartItem: UpdateCartItemHandler{d}, RemoveCartItem: RemoveCartItemHandler{d},
			ClearCart: ClearCartHandler{d}, MarkCheckedOut: MarkCheckedOutHandler{d},
			AddWishlistItem: AddWishlistItemHandler{d}, RemoveWishlistItem: RemoveWishlistItemHandler{d},
		},
		Queries: Queries{GetCart: GetCartHandler{d}, GetCheckoutCart: GetCheckoutCartHandler{d}, ListWishlist: ListWishlistHandler{d}},
	}
}

// newID returns a UUIDv7 string.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// caller returns the signed-in caller's user id.
func caller(ctx context.Context) (string, error) {
	id := reqctx.From(ctx).Actor.UserID
	if id == "" {
		return "", fmt.Errorf("%w: sign in first", errs.Unauthenticated)
	}
	return id, nil
}

// ValidateUserID checks a user id given by an internal caller.
func ValidateUserID(id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return errs.Field("user_id", "must be a UUID")
	}
	return nil
}

// ErrProductNotFound is a product the cart context does not know, or one deleted from the
// storefront (API.md: a product created less than a second ago may still be unknown).
var ErrProductNotFound = fmt.Errorf("%w: no such product", errs.NotFound)

// validateProductID checks a product id of a request.
func validateProductID(id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return errs.Field("product_id", "must be a UUID")
	}
	return nil
}

// change applies decide to a copy of the user's aggregate as the reader has it and saves it;
// when another writer (a second device) appended first, it reloads the aggregate and decides
// again, so no change is lost. products holds the products of the aggregate's lines and
// those decide asked for with need; on success it also covers every line of the result.
func change[R Owned[R]](ctx context.Context, d Deps, store *aggregate.Store[R], reader Reader[R], userID string,
	need []string, decide func(R, map[string]domain.Product) error) (R, map[string]domain.Product, error) {
	var zero R
	root, products, err := reader.Read(ctx, userID)
	if err != nil {
		return zero, nil, err
	}
	root = root.Clone()
	for attempt := 0; ; attempt++ {
		if err := fill(ctx, d.Products, products, append(root.ProductIDs(), need...)); err != nil {
			return zero, nil, err
		}
		if err := decide(root, products); err != nil {
			return zero, nil, err
		}
		err := store.Save(ctx, root)
		if err == nil {
			reader.Saved(root)
			// The change is committed: a failure to price a line now must not report it
			// failed (a retried add would add twice); the line shows as unavailable.
			if err := fill(ctx, d.Products, products, root.ProductIDs()); err != nil {
				d.Log.WarnContext(ctx, "products of a saved cart not read; their lines show unavailable", "err", err)
			}
			return root, products, nil
		}
		if !errors.Is(err, es.ErrConcurrency) || attempt >= d.Retries {
			return zero, nil, err
		}
		if root, err = store.Load(ctx, root.StreamID()); err != nil && !errors.Is(err, aggregate.ErrNotFound) {
			return zero, nil, err
		}
	}
}

// fill reads into products those of ids it lacks.
func fill(ctx context.Context, reader Products, products map[string]domain.Product, ids []string) error {
	var missing []string
	for _, id := range ids {
		if _, ok := products[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	got, err := reader.Products(ctx, missing)
	if err != nil {
		return err
	}
	for id, p := range got {
		products[id] = p
	}
	return nil
}
