// Package adapters connects the ordering context's ports to the world: gRPC clients of the
// cart, catalog, payments and identity services, the saga's durable timers, and the orders
// read model and event-store index in PostgreSQL.
package adapters
