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

// ErrUserNotFound: the caller's account does not exist (any more).
var ErrUserNotFound = fmt.Errorf("%w: no such user", errs.NotFound)

// callerStream is the stream of the signed-in caller.
func callerStream(ctx context.Context) (string, error) {
	id := reqctx.From(ctx).Actor.UserID
	if id == "" {
		return "", fmt.Errorf("%w: sign in first", errs.Unauthenticated)
	}
	return domain.UserStream(id), nil
}

// updateCaller applies decide to the caller's account.
func (d Deps) updateCaller(ctx context.Context, decide func(*domain.User) error) (*domain.User, error) {
	stream, err := callerStream(ctx)
	if err != nil {
		return nil, err
	}
	u, err := d.Users.Update(ctx, stream, decide)
	if errors.Is(err, aggregate.ErrNotFound) {
		return nil, ErrUserNotFound
	}
	return u, err
}

// UpdateProfile changes the caller's name.
type UpdateProfile struct {
	Name string
}

// UpdateProfileHandler handles UpdateProfile.
type UpdateProfileHandler struct{ d Deps }

// Handle renames the caller.
func (h UpdateProfileHandler) Handle(ctx context.Context, cmd UpdateProfile) (*domain.User, error) {
	if _, err := domain.ValidateName(cmd.Name); err != nil {
		return nil, err
	}
	return h.d.updateCaller(ctx, func(u *domain.User) error { return u.Rename(cmd.Name) })
}

// AddAddress adds an address to the caller's book.
type AddAddress struct {
	Line1, Line2, City, State, PostalCode, Country string
}

// AddAddressHandler handles AddAddress.
type AddAddressHandler struct{ d Deps }

// Handle validates and adds the address.
func (h AddAddressHandler) Handle(ctx context.Context, cmd AddAddress) (domain.Address, error) {
	a, err := domain.NewAddress(cmd.Line1, cmd.Line2, cmd.City, cmd.State, cmd.PostalCode, cmd.Country)
	if err != nil {
		return domain.Address{}, err
	}
	id := newID()
	var added domain.Address
	_, err = h.d.updateCaller(ctx, func(u *domain.User) error {
		added, err = u.AddAddress(id, a)
		return err
	})
	return added, err
}

// RemoveAddress removes an address from the caller's book.
type RemoveAddress struct {
	ID string
}

// RemoveAddressHandler handles RemoveAddress.
type RemoveAddressHandler struct{ d Deps }

// Handle removes the address; another user's address id is simply not found.
func (h RemoveAddressHandler) Handle(ctx context.Context, cmd RemoveAddress) error {
	_, err := h.d.updateCaller(ctx, func(u *domain.User) error { return u.RemoveAddress(cmd.ID) })
	return err
}
