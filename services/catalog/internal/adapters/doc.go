// Package adapters connects the catalog use cases to infrastructure: the event store's claim
// index (who holds a SKU or slug), and the read side: ReadModel reads the catalog read model
// (projections/catalog); ReadModelPending answers 503 for a deployment without it.
package adapters
