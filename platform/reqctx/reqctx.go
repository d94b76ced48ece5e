// Package reqctx carries who is acting, and on behalf of which user action, through a
// request's context: the gRPC interceptors fill it from incoming metadata, and the event store
// helpers copy it into every event's metadata.
package reqctx

import "context"

// Actor is the authenticated caller of a request.
type Actor struct {
	UserID    string
	Role      string // "customer" or "admin"
	SessionID string
}

// IsAdmin reports whether the actor has the admin role.
func (a Actor) IsAdmin() bool { return a.Role == "admin" }

// Info is what a request carries besides its payload.
type Info struct {
	// Actor is the zero Actor for anonymous requests.
	Actor Actor
	// CorrelationID ties together everything one user action causes (the request id at the
	// edge, then propagated through events and messages).
	CorrelationID string
	// CausationID is the id of the command or event that caused this work.
	CausationID string
}

type key struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info Info) context.Context { return context.WithValue(ctx, key{}, info) }

// From returns the Info of ctx (the zero Info when there is none).
func From(ctx context.Context) Info {
	info, _ := ctx.Value(key{}).(Info)
	return info
}
