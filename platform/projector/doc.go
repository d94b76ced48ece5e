// Package projector is the runtime that builds PostgreSQL read models (query models) from
// events: it feeds each Projection live from NATS JetStream and rebuilds it from the event
// store into a new generation of its tables, switching readers over in one transaction.
//
// # Generations and the read schema
//
// A projection named "orders" keeps its tables in a generation schema, orders_g1, orders_g2,
// ...; readers query views of the same names in the stable read schema "orders", which point
// at the active generation. Each generation also holds the projection's idempotency record,
// the table projector_streams: the last applied version of every stream (and whether the
// stream is blocked by a parked event). An event's effect and its stream's version commit in
// one transaction, so an event redelivered by JetStream (version ≤ applied) changes nothing.
//
// # Live mode
//
// Run creates a durable JetStream pull consumer per projection and context (explicit ack,
// AckWait, bounded MaxDeliver, NAKs with growing delays) and applies each fetched batch in one
// transaction, acknowledging only after the commit. Events are applied in stream version
// order: one that arrives ahead of a missing earlier version is NAK'd with a delay. An event
// whose handler keeps failing, that cannot be decoded, that the projection does not know, or
// whose predecessor never arrives is parked (table projector.parked, a log line, a metric)
// and acknowledged; its stream is then blocked in that generation, and its later events are
// parked too, until an operator rebuilds the projection. Other streams keep flowing.
//
// # Rebuild
//
// Rebuild reads every owning context's event store from position zero (es.LogReader, never
// JetStream, whose retention is bounded) into a new generation while the active one keeps
// serving and receiving live events. Once caught up, one transaction drains the stores'
// remaining events into the new generation, repoints the views and makes it active (live
// batches wait for it, then continue on the new generation); the old generation is then
// dropped. Progress is recorded in projector.projections and read with Progress.
//
// The registry and parking tables live in the schema "projector"; apply Migrations with
// package pgmigrate before use. See docs/decisions/004-projections.md.
package projector
