package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// RequestPasswordReset mails a reset link if an account has the e-mail address.
type RequestPasswordReset struct {
	Email string
}

// RequestPasswordResetHandler handles RequestPasswordReset.
type RequestPasswordResetHandler struct{ d Deps }

// Handle answers nil whether or not the account exists (no enumeration); only a malformed
// address or a failure to record or send is an error.
func (h RequestPasswordResetHandler) Handle(ctx context.Context, cmd RequestPasswordReset) error {
	email := domain.NormalizeEmail(cmd.Email)
	if err := domain.ValidateEmail(email); err != nil {
		return err
	}
	stream, err := h.d.Owners.Owner(ctx, domain.ScopeEmail, email)
	if err != nil || stream == "" {
		return err
	}
	token := secret()
	u, err := h.d.Users.Update(ctx, stream, func(u *domain.User) error {
		u.RequestPasswordReset(hashToken(token), h.d.Clock())
		return nil
	})
	if err != nil {
		return err
	}
	link := strings.TrimRight(h.d.PublicURL, "/") + "/reset-password?token=" + url.QueryEscape(token)
	return h.d.Mailer.Send(ctx, Mail{
		To:      u.Email(),
		Subject: "Reset your Storefront password",
		Body: fmt.Sprintf("Hello %s,\n\nsomeone asked to reset the password of your Storefront account.\n"+
			"Open this link within an hour to choose a new one:\n\n%s\n\n"+
			"If it was not you, ignore this mail: your password stays as it is.\n", u.Name(), link),
	})
}

// ResetPassword sets a new password with a reset token.
type ResetPassword struct {
	Token       string
	NewPassword string
}

// ResetPasswordHandler handles ResetPassword.
type ResetPasswordHandler struct{ d Deps }

// Handle sets the password and ends every session of the account.
func (h ResetPasswordHandler) Handle(ctx context.Context, cmd ResetPassword) error {
	if cmd.Token == "" || len(cmd.Token) > 100 {
		return domain.ErrResetTokenInvalid
	}
	tokenHash := hashToken(cmd.Token)
	stream, err := h.d.Owners.Owner(ctx, domain.ScopeResetToken, tokenHash)
	if err != nil {
		return err
	}
	if stream == "" {
		return domain.ErrResetTokenInvalid
	}
	var hashErr error
	_, err = h.d.Users.Update(ctx, stream, func(u *domain.User) error {
		if err := domain.ValidatePassword("new_password", cmd.NewPassword, u.Email()); err != nil {
			return err
		}
		hash, err := h.d.Hasher.Hash(cmd.NewPassword)
		if err != nil {
			hashErr = err
			return err
		}
		return u.ResetPassword(tokenHash, hash, h.d.Clock())
	})
	if hashErr != nil {
		return fmt.Errorf("hash password: %w", hashErr)
	}
	if errors.Is(err, aggregate.ErrNotFound) {
		return domain.ErrResetTokenInvalid
	}
	if err != nil {
		return err
	}
	// Every session of the account ends: refreshes fail (the sessions predate the new
	// password) and the edge refuses access tokens issued before now.
	return h.d.Revocations.RevokeUser(ctx, strings.TrimPrefix(stream, "user-"), h.d.Clock(), h.d.Clock().Add(domain.AccessTokenTTL))
}
