// Package domain holds the operations context's aggregates: what operators asked for a
// projection (its rebuilds) and for a dead letter (a redrive, a discard), each request an
// event with who made it.
package domain
