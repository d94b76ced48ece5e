package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
)

// Events is the cart context's event catalogue: every event its aggregates record. All of
// them are public (the relay publishes them); main, the tests and the registry use this list
// only, and a test checks it against the messages of proto/storefront/cart/v1/events.proto.
func Events() []proto.Message {
	return []proto.Message{
		&cartv1.CartItemAdded{}, &cartv1.CartItemQuantityChanged{}, &cartv1.CartItemRemoved{}, &cartv1.CartCleared{},
		&cartv1.CartCheckedOut{}, &cartv1.WishlistItemAdded{}, &cartv1.WishlistItemRemoved{},
	}
}

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
