package app

import (
	"context"
	"fmt"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// Login starts a session with e-mail and password.
type Login struct {
	Email    string
	Password string
}

// TokenPair is what a login or refresh returns.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int
	User         *domain.User
}

// ErrBadCredentials is the one answer to a wrong e-mail or password: which of the two was
// wrong is not told.
var ErrBadCredentials = fmt.Errorf("%w: wrong e-mail address or password", errs.Unauthenticated)

// LoginHandler handles Login.
type LoginHandler struct{ d Deps }

// Handle checks the credentials and starts a session.
func (h LoginHandler) Handle(ctx context.Context, cmd Login) (TokenPair, error) {
	email := domain.NormalizeEmail(cmd.Email)
	stream, err := h.d.Owners.Owner(ctx, domain.ScopeEmail, email)
	if err != nil {
		return TokenPair{}, err
	}
	if stream == "" {
		// Same bcrypt work as for a real account: no enumeration by timing.
		_ = h.d.Hasher.Compare(h.d.Hasher.DummyHash(), cmd.Password)
		return TokenPair{}, ErrBadCredentials
	}
	u, err := h.d.Users.Load(ctx, stream)
	if err != nil {
		return TokenPair{}, err
	}
	if err := h.d.Hasher.Compare(u.PasswordHash(), cmd.Password); err != nil {
		return TokenPair{}, ErrBadCredentials
	}
	return h.d.startSession(ctx, u)
}

func (d Deps) startSession(ctx context.Context, u *domain.User) (TokenPair, error) {
	now := d.Clock()
	sessionID, refreshSecret := newID(), secret()
	s := domain.StartSession(sessionID, u.ID(), hashToken(refreshSecret), now)
	if err := d.Sessions.Save(ctx, s); err != nil {
		return TokenPair{}, err
	}
	return d.pair(u, s, refreshSecret)
}

func (d Deps) pair(u *domain.User, s *domain.Session, refreshSecret string) (TokenPair, error) {
	sessionID := s.ID()
	access, err := d.Tokens.Issue(u.ID(), u.Role(), sessionID, s.StartedAt(), d.Clock())
	if err != nil {
		return TokenPair{}, fmt.Errorf("issue access token: %w", err)
	}
	return TokenPair{
		AccessToken:  access,
		RefreshToken: sessionID + "." + refreshSecret,
		ExpiresIn:    int(domain.AccessTokenTTL.Seconds()),
		User:         u,
	}, nil
}
