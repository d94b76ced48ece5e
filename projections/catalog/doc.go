// Package catalog is the catalog's read model: the projection "catalog_products", which the
// projector runtime (platform/projector) feeds with the catalog context's events, and
// Queries, which reads it for the catalog service's list, search and get RPCs.
//
// The projection owns two tables, exposed to readers as views in the read schema
// "catalog_products": products (every field of API.md's Product, with the price in minor
// units, specs and images as jsonb, and a weighted tsvector over name, brand, description
// and specs, maintained by PostgreSQL as a generated column) and categories (slug, name,
// parent). It relies on per-stream order only. See docs/decisions/011-catalog-read-model.md.
package catalog
