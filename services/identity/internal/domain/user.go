package domain

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

// Roles.
const (
	RoleCustomer = "customer"
	RoleAdmin    = "admin"
)

// Claim scopes: values unique across users, reserved in the event store.
const (
	ScopeEmail      = "user.email"
	ScopeResetToken = "user.reset_token"
)

// MaxAddresses bounds a user's address book.
const MaxAddresses = 50

// ResetTokenTTL is how long a password-reset token is valid.
const ResetTokenTTL = time.Hour

var (
	// ErrResetTokenInvalid covers unknown, used and expired reset tokens alike, so that a
	// caller learns nothing about which.
	ErrResetTokenInvalid = errs.Field("token", "is invalid or expired")
	// ErrAddressNotFound: no such address in the user's address book.
	ErrAddressNotFound = fmt.Errorf("%w: no such address", errs.NotFound)
)

// UserStream is the stream id of a user.
func UserStream(userID string) string { return "user-" + userID }

// User is an account.
type User struct {
	aggregate.Changes
	id           string
	email        string
	name         string
	role         string
	passwordHash string
	passwordSet  time.Time
	registeredAt time.Time
	addresses    []Address
	resetHash    string
	resetExpires time.Time
}

// NewUser returns an empty user for the stream id, for loading.
func NewUser(streamID string) *User { return &User{id: streamID[len("user-"):]} }

// Register records a new account. email must be normalised and valid; passwordHash is the
// bcrypt hash of a password that passed ValidatePassword.
func Register(id, email, name, passwordHash, role string, now time.Time) (*User, error) {
	name, err := ValidateName(name)
	if err != nil {
		return nil, err
	}
	if role != RoleCustomer && role != RoleAdmin {
		return nil, fmt.Errorf("%w: unknown role %q", errs.InvalidArgument, role)
	}
	u := &User{id: id}
	u.Claim(ScopeEmail, email)
	u.record(&identityv1.UserRegistered{UserId: id, Email: email, Name: name, Role: role, RegisteredAt: now.UnixMicro()})
	u.record(&identityv1.PasswordSet{UserId: id, PasswordHash: passwordHash, Reason: "register", SetAt: now.UnixMicro()})
	return u, nil
}

// Getters.
func (u *User) ID() string              { return u.id }
func (u *User) Email() string           { return u.email }
func (u *User) Name() string            { return u.name }
func (u *User) Role() string            { return u.role }
func (u *User) PasswordHash() string    { return u.passwordHash }
func (u *User) RegisteredAt() time.Time { return u.registeredAt }

// Addresses returns the address book, oldest first.
func (u *User) Addresses() []Address { return append([]Address(nil), u.addresses...) }

// Clone returns a copy of the user that shares no state with it, for read caches.
func (u *User) Clone() *User {
	c := *u
	c.addresses = slices.Clone(u.addresses)
	return &c
}

// StreamID implements aggregate.Root.
func (u *User) StreamID() string { return UserStream(u.id) }

// Rename changes the display name.
func (u *User) Rename(name string) error {
	name, err := ValidateName(name)
	if err != nil {
		return err
	}
	if name != u.name {
		u.record(&identityv1.ProfileUpdated{UserId: u.id, Name: name})
	}
	return nil
}

// AddAddress adds a validated address under the given id.
func (u *User) AddAddress(id string, a Address) (Address, error) {
	if len(u.addresses) >= MaxAddresses {
		return Address{}, fmt.Errorf("%w: an account holds at most %d addresses", errs.FailedPrecondition, MaxAddresses)
	}
	a.ID = id
	u.record(&identityv1.AddressAdded{UserId: u.id, AddressId: id, Line1: a.Line1, Line2: a.Line2, City: a.City,
		State: a.State, PostalCode: a.PostalCode, Country: a.Country})
	return a, nil
}

// RemoveAddress removes an address of the book.
func (u *User) RemoveAddress(id string) error {
	for _, a := range u.addresses {
		if a.ID == id {
			u.record(&identityv1.AddressRemoved{UserId: u.id, AddressId: id})
			return nil
		}
	}
	return ErrAddressNotFound
}

// RequestPasswordReset issues a reset token (by its hash), replacing any earlier one.
func (u *User) RequestPasswordReset(tokenHash string, now time.Time) {
	if u.resetHash != "" {
		u.Release(ScopeResetToken, u.resetHash)
	}
	u.Claim(ScopeResetToken, tokenHash)
	u.record(&identityv1.PasswordResetRequested{UserId: u.id, TokenHash: tokenHash, ExpiresAt: now.Add(ResetTokenTTL).UnixMicro()})
}

// ResetPassword sets a new password with a reset token: it must be the current token and not
// expired. The token is used up either way once it has expired.
func (u *User) ResetPassword(tokenHash, newHash string, now time.Time) error {
	if u.resetHash == "" || tokenHash != u.resetHash || !now.Before(u.resetExpires) {
		return ErrResetTokenInvalid
	}
	u.Release(ScopeResetToken, u.resetHash)
	u.record(&identityv1.PasswordSet{UserId: u.id, PasswordHash: newHash, Reason: "reset", SetAt: now.UnixMicro()})
	return nil
}

// SetPassword replaces the password outside the reset flow (the admin bootstrap).
func (u *User) SetPassword(newHash, reason string, now time.Time) {
	u.record(&identityv1.PasswordSet{UserId: u.id, PasswordHash: newHash, Reason: reason, SetAt: now.UnixMicro()})
}

// PasswordSetAt is when the current password was set: sessions started before it have ended.
func (u *User) PasswordSetAt() time.Time { return u.passwordSet }

// ChangeRole gives the user another role.
func (u *User) ChangeRole(role string) error {
	if role != RoleCustomer && role != RoleAdmin {
		return fmt.Errorf("%w: unknown role %q", errs.InvalidArgument, role)
	}
	if role != u.role {
		u.record(&identityv1.RoleChanged{UserId: u.id, Role: role})
	}
	return nil
}

func (u *User) record(e proto.Message) {
	_ = u.Apply(e)
	u.Record(e)
}

// Apply implements aggregate.Root.
func (u *User) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *identityv1.UserRegistered:
		u.email, u.name, u.role = e.GetEmail(), e.GetName(), e.GetRole()
		u.registeredAt = time.UnixMicro(e.GetRegisteredAt()).UTC()
	case *identityv1.PasswordSet:
		u.passwordHash = e.GetPasswordHash()
		u.passwordSet = time.UnixMicro(e.GetSetAt()).UTC()
		if e.GetReason() == "reset" {
			u.resetHash, u.resetExpires = "", time.Time{}
		}
	case *identityv1.ProfileUpdated:
		u.name = e.GetName()
	case *identityv1.AddressAdded:
		u.addresses = append(u.addresses, Address{ID: e.GetAddressId(), Line1: e.GetLine1(), Line2: e.GetLine2(), City: e.GetCity(),
			State: e.GetState(), PostalCode: e.GetPostalCode(), Country: e.GetCountry()})
	case *identityv1.AddressRemoved:
		for i, a := range u.addresses {
			if a.ID == e.GetAddressId() {
				u.addresses = append(u.addresses[:i], u.addresses[i+1:]...)
				break
			}
		}
	case *identityv1.PasswordResetRequested:
		u.resetHash, u.resetExpires = e.GetTokenHash(), time.UnixMicro(e.GetExpiresAt()).UTC()
	case *identityv1.RoleChanged:
		u.role = e.GetRole()
	default:
		return fmt.Errorf("user: unexpected event %T", e)
	}
	return nil
}
