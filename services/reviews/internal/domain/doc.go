// Package domain holds the reviews context's aggregate: Review, one user's review of one
// product, with its verified-purchase flag. Its methods decide and record events; they know
// nothing of storage, of the catalog or of ordering.
package domain
