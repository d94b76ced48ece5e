// Package adapters implements the support application's ports: the identity service over
// gRPC (the writer's name) and the support read model of projections/support.
package adapters
