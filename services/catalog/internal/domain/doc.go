// Package domain holds the catalog context's rules: the Product aggregate (details, price,
// stock and the per-order holds on it), the Category aggregate, and the Reservation aggregate
// that makes one order's reservation across several products all-or-nothing and idempotent.
// It validates every value clients send (SKUs, slugs, prices, specs, image URLs). No I/O
// happens here.
package domain
