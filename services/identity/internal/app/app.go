// Package app holds the identity context's use cases: one file per command or query, each a
// small handler over the ports declared here. Handlers validate input, load aggregates,
// call their methods and save them; they know nothing of gRPC or SQL.
package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// PasswordHasher hashes and checks passwords (bcrypt). Compare takes the same time for a
// wrong password as for a dummy hash, so unknown accounts cannot be told apart by timing.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Compare returns nil when password matches hash.
	Compare(hash, password string) error
	// DummyHash is a valid hash of no one's password, compared against for unknown e-mails.
	DummyHash() string
}

// AccessTokens signs access tokens (JWT) and publishes the keys that verify them.
type AccessTokens interface {
	Issue(userID, role, sessionID string, sessionStart, now time.Time) (string, error)
	JWKS(ctx context.Context) ([]byte, error)
}

// Mail is one outgoing message.
type Mail struct {
	To      string
	Subject string
	Body    string
}

// Mailer sends mail. Send returns once the message is accepted for delivery.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// Revocations tells the edge which access tokens to refuse before they expire. Both methods
// are idempotent; until is when the last affected access token expires anyway.
type Revocations interface {
	// Revoke refuses the tokens of one session.
	Revoke(ctx context.Context, sessionID string, until time.Time) error
	// RevokeUser refuses every token of the user's sessions that began before the given time.
	RevokeUser(ctx context.Context, userID string, before, until time.Time) error
}

// Owners finds the stream that holds a unique value (e-mail, reset token) in the event store.
// It returns "" (and no error) when no stream holds it.
type Owners interface {
	Owner(ctx context.Context, scope, value string) (string, error)
}

// Accounts reads accounts for queries. Account returns the user as of every write committed
// before the call, whichever replica made it (read-your-writes, API.md "Consistency"), or an
// error matching aggregate.ErrNotFound. The user returned is the caller's to keep.
type Accounts interface {
	Account(ctx context.Context, userID string) (*domain.User, error)
}

// Clock tells the time; tests move it.
type Clock func() time.Time

// Users and Sessions load and save the aggregates.
type (
	Users    = aggregate.Store[*domain.User]
	Sessions = aggregate.Store[*domain.Session]
)

// Deps are what the handlers need.
type Deps struct {
	Users    *Users
	Sessions *Sessions
	// Accounts serves the queries' reads of users; nil loads them from Users every time.
	Accounts    Accounts
	Owners      Owners
	Hasher      PasswordHasher
	Tokens      AccessTokens
	Mailer      Mailer
	Revocations Revocations
	Clock       Clock
	// PublicURL is the storefront's address, for links in mails.
	PublicURL string
}

// Application is the identity context's use cases.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change state.
type Commands struct {
	Register             RegisterHandler
	Login                LoginHandler
	Refresh              RefreshHandler
	Logout               LogoutHandler
	RequestPasswordReset RequestPasswordResetHandler
	ResetPassword        ResetPasswordHandler
	UpdateProfile        UpdateProfileHandler
	AddAddress           AddAddressHandler
	RemoveAddress        RemoveAddressHandler
	EnsureAdmin          EnsureAdminHandler
}

// Queries read state.
type Queries struct {
	GetUser      GetUserHandler
	CheckSession CheckSessionHandler
	JWKS         JWKSHandler
}

// New wires the handlers.
func New(d Deps) Application {
	return Application{
		Commands: Commands{
			Register:             RegisterHandler{d},
			Login:                LoginHandler{d},
			Refresh:              RefreshHandler{d},
			Logout:               LogoutHandler{d},
			RequestPasswordReset: RequestPasswordResetHandler{d},
			ResetPassword:        ResetPasswordHandler{d},
			UpdateProfile:        UpdateProfileHandler{d},
			AddAddress:           AddAddressHandler{d},
			RemoveAddress:        RemoveAddressHandler{d},
			EnsureAdmin:          EnsureAdminHandler{d},
		},
		Queries: Queries{
			GetUser:      GetUserHandler{d},
			CheckSession: CheckSessionHandler{d},
			JWKS:         JWKSHandler{d},
		},
	}
}

// newID returns a UUIDv7 string.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// secret returns 32 random bytes, base64url-encoded (256 bits).
func secret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how tokens are stored: SHA-256, hex. Tokens are random, so no salt is needed.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
