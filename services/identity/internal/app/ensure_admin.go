package app

import (
	"context"
	"fmt"

	"github.com/storefront/storefront/services/identity/internal/domain"
)

// EnsureAdmin makes sure an admin account with these credentials exists (start-up bootstrap
// from STOREFRONT_ADMIN_EMAIL / STOREFRONT_ADMIN_PASSWORD).
type EnsureAdmin struct {
	Email    string
	Password string
}

// EnsureAdminHandler handles EnsureAdmin.
type EnsureAdminHandler struct{ d Deps }

// Handle registers the admin, or gives an existing account the admin role and the configured
// password (only when they differ, so restarts change nothing).
func (h EnsureAdminHandler) Handle(ctx context.Context, cmd EnsureAdmin) error {
	email := domain.NormalizeEmail(cmd.Email)
	stream, err := h.d.Owners.Owner(ctx, domain.ScopeEmail, email)
	if err != nil {
		return err
	}
	if stream == "" {
		_, err := h.d.register(ctx, Register{Email: email, Password: cmd.Password, Name: "Administrator"}, domain.RoleAdmin)
		if err != nil {
			return fmt.Errorf("bootstrap admin %s: %w", email, err)
		}
		return nil
	}
	_, err = h.d.Users.Update(ctx, stream, func(u *domain.User) error {
		if err := u.ChangeRole(domain.RoleAdmin); err != nil {
			return err
		}
		if h.d.Hasher.Compare(u.PasswordHash(), cmd.Password) != nil {
			if err := domain.ValidatePassword("STOREFRONT_ADMIN_PASSWORD", cmd.Password, email); err != nil {
				return err
			}
			hash, err := h.d.Hasher.Hash(cmd.Password)
			if err != nil {
				return err
			}
			u.SetPassword(hash, "bootstrap", h.d.Clock())
		}
		return nil
	})
	return err
}
