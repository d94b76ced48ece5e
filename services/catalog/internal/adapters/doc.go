// Package adapters connects the catalog use cases to infrastructure: the event store's claim
// index (who holds a SKU or slug), and the read side until the catalog read model is wired.
package adapters
