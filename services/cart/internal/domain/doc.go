// Package domain holds the cart context's aggregates: Cart, one per user (its lines and the
// orders placed from it), and Wishlist, one per user. Their methods decide and record events;
// they know nothing of storage, and take what they need of the catalog (a product's stock)
// as arguments.
package domain
