// Package ordering is the ordering context's read models, built by the projector from the
// ordering context's events: the orders (every customer's history and the admin list, each
// order as API.md shows it), their lines (the analytics' top products), and the discount
// codes with their redemption counts. Readers (services/ordering) query the views of the
// read schema "orders".
package ordering
