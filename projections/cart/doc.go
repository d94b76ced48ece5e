// Package cart is the cart context's read model of the catalog: the projection
// "cart_products", which the projector runtime (platform/projector) feeds with the catalog
// context's events, and Products, which the cart service reads to price carts and wishlists
// and to check stock when a line is added.
//
// The projection owns one table, exposed to readers as a view in the read schema
// "cart_products": products (id, sku, name, price in minor units, currency, the units
// available to sell, and whether the product is active or deleted). It is the cart's own copy
// of what it needs, so the cart never reads the catalog's schema nor calls the catalog per
// read, and it is rebuilt from the catalog's event log like any other projection
// (docs/decisions/015-cart.md).
package cart
