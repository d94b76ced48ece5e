package app

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// Refresh rotates a refresh token.
type Refresh struct {
	RefreshToken string
}

// RefreshHandler handles Refresh.
type RefreshHandler struct{ d Deps }

// Handle rotates the token. A rotated token presented again ends the session (the revocation
// is saved and announced to the edge) and fails.
func (h RefreshHandler) Handle(ctx context.Context, cmd Refresh) (TokenPair, error) {
	sessionID, presented, ok := parseRefreshToken(cmd.RefreshToken)
	if !ok {
		return TokenPair{}, domain.ErrRefreshInvalid
	}
	stream := domain.SessionStream(sessionID)
	s, err := h.d.Sessions.Load(ctx, stream)
	if errors.Is(err, aggregate.ErrNotFound) {
		return TokenPair{}, domain.ErrRefreshInvalid
	}
	if err != nil {
		return TokenPair{}, err
	}
	u, err := h.d.Users.Load(ctx, domain.UserStream(s.UserID()))
	if err != nil {
		return TokenPair{}, err
	}
	newSecret := secret()
	var rotateErr error
	s, err = h.d.Sessions.Update(ctx, stream, func(s *domain.Session) error {
		now := h.d.Clock()
		if u.PasswordSetAt().After(s.StartedAt()) {
			// The password was reset after this login: the session has ended.
			s.Revoke(domain.RevokedPasswordReset, now)
			rotateErr = domain.ErrRefreshInvalid
			return nil
		}
		rotateErr = s.Rotate(hashToken(presented), hashToken(newSecret), now)
		if errors.Is(rotateErr, domain.ErrRefreshReused) {
			return nil // save the revocation, then fail
		}
		return rotateErr
	})
	if err != nil {
		return TokenPair{}, err
	}
	if rotateErr != nil {
		if errors.Is(rotateErr, domain.ErrRefreshReused) {
			if err := h.d.Revocations.Revoke(ctx, sessionID, h.d.Clock().Add(domain.AccessTokenTTL)); err != nil {
				return TokenPair{}, err
			}
		}
		return TokenPair{}, rotateErr
	}
	return h.d.pair(u, s, newSecret)
}

// parseRefreshToken splits "<session id>.<secret>".
func parseRefreshToken(token string) (sessionID, secret string, ok bool) {
	sessionID, secret, ok = strings.Cut(token, ".")
	if !ok || secret == "" || len(secret) > 100 {
		return "", "", false
	}
	if _, err := uuid.Parse(sessionID); err != nil {
		return "", "", false
	}
	return sessionID, secret, true
}
