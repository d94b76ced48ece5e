// Package es is the event store contract shared by every Storefront service: what an event
// looks like once recorded, how it is appended to a stream under optimistic concurrency and
// uniqueness reservations, and how it is read back per stream or in the store's global order.
//
// The package holds types and interfaces only; it imports no database driver. Adapters live
// in sub-packages (postgres, memstore) and must pass the contract suite in package estest.
//
// Vocabulary:
//   - A stream is the ordered history of one aggregate, named by its stream id
//     (for example "catalog.product-0190e4c2-...").
//   - A version numbers an event within its stream, from 1 with no gaps. A stream that holds
//     no events has version 0.
//   - A Position places an event in the global order of the whole store, the order in which
//     ReadAll returns events and in which the relay publishes them.
package es
