package app

import (
	"context"
	"errors"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// GetUser reads the caller's account.
type GetUser struct{}

// GetUserHandler handles GetUser.
type GetUserHandler struct{ d Deps }

// Handle returns the caller's account with its addresses.
//
// It reads the account's own stream (docs/decisions/005-identity-sessions-and-reads.md),
// through Deps.Accounts when set: a user's account is one short stream, its reads need
// read-your-writes, and no shared view of accounts is served yet.
func (h GetUserHandler) Handle(ctx context.Context, _ GetUser) (*domain.User, error) {
	if _, err := callerStream(ctx); err != nil {
		return nil, err
	}
	u, err := h.d.account(ctx, reqctx.From(ctx).Actor.UserID)
	if errors.Is(err, aggregate.ErrNotFound) {
		return nil, ErrUserNotFound
	}
	return u, err
}

// account reads a user for a query.
func (d Deps) account(ctx context.Context, userID string) (*domain.User, error) {
	if d.Accounts != nil {
		return d.Accounts.Account(ctx, userID)
	}
	return d.Users.Load(ctx, domain.UserStream(userID))
}

// CheckSession asks whether an access token's session is still active.
type CheckSession struct {
	SessionID string
	UserID    string
	IssuedAt  int64 // Unix seconds
}

// CheckSessionHandler handles CheckSession.
type CheckSessionHandler struct{ d Deps }

// Handle reports whether the session is active and no password reset happened after the
// token was issued.
func (h CheckSessionHandler) Handle(ctx context.Context, q CheckSession) (bool, error) {
	s, err := h.d.Sessions.Load(ctx, domain.SessionStream(q.SessionID))
	if errors.Is(err, aggregate.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if s.UserID() != q.UserID || !s.Active(h.d.Clock()) {
		return false, nil
	}
	u, err := h.d.account(ctx, q.UserID)
	if err != nil {
		return false, err
	}
	return !u.PasswordSetAt().After(s.StartedAt()), nil
}

// JWKSHandler returns the public keys that verify access tokens.
type JWKSHandler struct{ d Deps }

// Handle returns the JWKS document.
func (h JWKSHandler) Handle(ctx context.Context) ([]byte, error) { return h.d.Tokens.JWKS(ctx) }
