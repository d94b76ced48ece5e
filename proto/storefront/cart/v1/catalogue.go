package cartv1

import "google.golang.org/protobuf/proto"

// The cart context's event catalogue, next to the messages. Every event of the context is
// public. services/cart's domain tests check it against events.proto.

// Events returns every event of the cart context.
func Events() []proto.Message {
	return []proto.Message{
		&CartItemAdded{}, &CartItemQuantityChanged{}, &CartItemRemoved{}, &CartCleared{},
		&CartCheckedOut{}, &WishlistItemAdded{}, &WishlistItemRemoved{},
	}
}
