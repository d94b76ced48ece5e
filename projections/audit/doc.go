// Package audit is the read model of what admins did: the projection "audit", fed with the
// events of the contexts where admins act (the catalog, orders and discounts, the blog,
// reviews, roles, and the operators' own requests), and Entries, which the operations
// service reads for GET /admin/audit.
//
// An event is an admin action when its type is one only admins cause (a product created, an
// order shipped, a rebuild asked for...), or when its payload says an admin did it (an order
// cancelled or a review removed by role "admin"). The actor is the event's metadata user, or
// the payload's when it names one; the target is the stream's kind and id ("product/<id>").
// The projection owns one table, entries, one row per event (its id the key, so a
// redelivery changes nothing), indexed newest first.
package audit
