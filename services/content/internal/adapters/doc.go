// Package adapters connects the content use cases to infrastructure: the event store's claim
// index (which post holds a slug), the blog read model (projections/content), and the
// identity service (the calling admin's name).
package adapters
