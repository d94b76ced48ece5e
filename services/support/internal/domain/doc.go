// Package domain holds the support context's aggregate: Conversation, one customer's chat
// with the staff, its numbered messages and its open or closed status. Its methods decide
// and record events; they know nothing of storage, of identity or of the edge's streams.
package domain
