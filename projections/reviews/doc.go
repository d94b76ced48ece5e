// Package reviews is the reviews context's read model: the projection "reviews", which the
// projector runtime (platform/projector) feeds with the reviews context's events, and
// ProductReviews, which the reviews service reads to list a product's reviews.
//
// The projection owns one table, exposed to readers as a view in the read schema "reviews":
// reviews (the ones written and not removed, with their verified-purchase flag), indexed for
// a product's newest-first pages. A purchase verified before its review leaves no row; the
// review's ProductReviewed then carries the flag.
package reviews
