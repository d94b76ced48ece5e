// Package adapters connects the catalog use cases to infrastructure: the event store's claim
// index (who holds a SKU or slug), and the read side: ReadModel reads the catalog read model
// (projections/catalog), and PageCache caches its pages in Redis.
package adapters
