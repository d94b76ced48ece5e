// Package demo owns the catalog's demonstration and benchmark data: a curated catalog of a
// programmers' electronics store (Categories, Products) that `make run` loads once, a
// generator of large catalogs over the same categories (Generate), and a loader that pushes
// either into a running catalog through its public gRPC commands (Load), so that everything
// arrives as ordinary events: CategoryCreated, ProductCreated.
//
// Everything here is deterministic: the demo catalog is the same on every machine, and
// Generate(n, seed) returns the same products for the same arguments. Products are built
// from curated tables (brands, product lines, variants and sentences per category) rather
// than written out one by one.
//
// Loading is idempotent: a category whose slug, or a product whose SKU (or given slug), is
// taken counts as already present, so loading twice creates nothing new. The launcher
// (cmd/storefront) loads the demo catalog in the background once the catalog service is
// healthy; STOREFRONT_DEMO_DATA=false turns that off.
//
// Operators and benchmarks load catalogs with the catalog-seed command:
//
//	go run ./services/catalog/cmd/catalog-seed -addr 127.0.0.1:9102            # the demo catalog
//	go run ./services/catalog/cmd/catalog-seed -addr 127.0.0.1:9102 -n 100000  # 100k generated products
//
// The catalog's gRPC address is printed in the launcher's "demo catalog loaded" log line
// (and is STOREFRONT_CATALOG_ADDR of a process started by hand).
package demo
