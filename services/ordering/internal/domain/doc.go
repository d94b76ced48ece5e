// Package domain holds the ordering context's aggregates: Order, whose events are both the
// order's history and the state of its checkout saga, and Discount, a code and the orders
// that redeem it. Their methods decide and record events; they do no I/O, and take what
// they need of other contexts (the cart's lines, the catalog's and the payment provider's
// answers) as arguments.
package domain
