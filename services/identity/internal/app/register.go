package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// Register creates a customer account.
type Register struct {
	Email    string
	Password string
	Name     string
}

// RegisterHandler handles Register.
type RegisterHandler struct{ d Deps }

// ErrEmailTaken: another account uses the e-mail address.
var ErrEmailTaken = fmt.Errorf("%w: an account with this e-mail address exists", errs.AlreadyExists)

// Handle registers the account and returns it.
func (h RegisterHandler) Handle(ctx context.Context, cmd Register) (*domain.User, error) {
	return h.d.register(ctx, cmd, domain.RoleCustomer)
}

func (d Deps) register(ctx context.Context, cmd Register, role string) (*domain.User, error) {
	email := domain.NormalizeEmail(cmd.Email)
	var v errs.Validation
	if err := domain.ValidateEmail(email); err != nil {
		v.Violations = append(v.Violations, violations(err)...)
	}
	if err := domain.ValidatePassword("password", cmd.Password, email); err != nil {
		v.Violations = append(v.Violations, violations(err)...)
	}
	if _, err := domain.ValidateName(cmd.Name); err != nil {
		v.Violations = append(v.Violations, violations(err)...)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := d.Hasher.Hash(cmd.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	u, err := domain.Register(newID(), email, cmd.Name, hash, role, d.Clock())
	if err != nil {
		return nil, err
	}
	if err := d.Users.Save(ctx, u); err != nil {
		if errors.Is(err, es.ErrDuplicate) {
			return nil, ErrEmailTaken
		}
		return nil, err
	}
	return u, nil
}

// violations returns the field violations of a validation error.
func violations(err error) []errs.Violation {
	var v *errs.Validation
	if errors.As(err, &v) {
		return v.Violations
	}
	return []errs.Violation{{Field: "", Reason: err.Error()}}
}
