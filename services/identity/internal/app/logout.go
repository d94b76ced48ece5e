package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// Logout ends the session the refresh token belongs to; it must be the caller's.
type Logout struct {
	RefreshToken string
}

// LogoutHandler handles Logout.
type LogoutHandler struct{ d Deps }

// Handle revokes the session and tells the edge, so its access tokens are refused too. Logging
// out of an ended session succeeds again (so a retry after a failed announcement completes).
func (h LogoutHandler) Handle(ctx context.Context, cmd Logout) error {
	actor := reqctx.From(ctx).Actor
	sessionID, presented, ok := parseRefreshToken(cmd.RefreshToken)
	if !ok {
		return errs.Field("refresh_token", "is not a refresh token")
	}
	_, err := h.d.Sessions.Update(ctx, domain.SessionStream(sessionID), func(s *domain.Session) error {
		if s.UserID() != actor.UserID {
			return fmt.Errorf("%w: not your session", errs.PermissionDenied)
		}
		if s.Owns(hashToken(presented)) || !s.Active(h.d.Clock()) {
			s.Revoke(domain.RevokedLogout, h.d.Clock())
			return nil
		}
		return errs.Field("refresh_token", "is not the session's current refresh token")
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return errs.Field("refresh_token", "is not a refresh token")
	}
	if err != nil {
		return err
	}
	return h.d.Revocations.Revoke(ctx, sessionID, h.d.Clock().Add(domain.AccessTokenTTL))
}
