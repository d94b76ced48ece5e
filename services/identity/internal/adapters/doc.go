// Package adapters connects the identity use cases to infrastructure: bcrypt, the signing keys
// kept in PostgreSQL, the revocation list in Redis (or memory), mail over SMTP (or files), and
// the event store's claim index.
package adapters
