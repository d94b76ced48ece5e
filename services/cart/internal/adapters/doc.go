// Package adapters implements the cart application's ports: reads of a user's cart or
// wishlist checked against the event store in the same round trip as the product read, and
// the product read model of projections/cart.
package adapters
