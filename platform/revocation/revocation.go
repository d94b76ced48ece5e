// Package revocation names the Redis keys of the access-token revocation list, which identity
// writes and the edge reads: one definition for both sides.
//
// A deployment's keys share a prefix (STOREFRONT_REDIS_PREFIX, default "sf:"), so that several
// deployments, or tests, can share one Redis.
package revocation

// Keys builds the list's keys under a prefix.
type Keys struct{ Prefix string }

// Complete marks the list as complete: Redis may lose it (no persistence, eviction), and the
// edge must not trust an empty list until identity has written it again.
func (k Keys) Complete() string { return k.Prefix + "revoked:complete" }

// Session is set while the tokens of a session must be refused.
func (k Keys) Session(sessionID string) string { return k.Prefix + "revoked:session:" + sessionID }

// User holds a time (Unix µs): tokens of the user's sessions that began before it are refused.
func (k Keys) User(userID string) string { return k.Prefix + "revoked:user:" + userID }
