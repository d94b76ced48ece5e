// Package adapters implements the reviews application's ports: the catalog and identity
// services over gRPC, the reviews read model of projections/reviews, and the reviews
// context's record of the orders whose purchases it verifies.
package adapters
