// Package domain holds the payments context's aggregate, Payment: one per order, its charge
// and its refunds. Its methods decide and record events; the provider's answers come in as
// arguments, so that every provider call is recorded as intended before it is made.
package domain
