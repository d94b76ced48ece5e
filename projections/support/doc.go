// Package support is the support context's read model: the projection "support", which the
// projector runtime (platform/projector) feeds with the support context's events, and
// Conversations, which the support service reads to list a customer's (or, for the staff,
// everyone's) conversations.
//
// The projection owns one table, exposed to readers as a view in the read schema "support":
// conversations, one row each with its status, message count and latest message, indexed for
// newest-activity-first pages of one customer's and of everyone's conversations. A
// conversation's messages themselves are read from its stream (read-your-writes).
package support
