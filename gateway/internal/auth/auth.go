// Package auth authenticates the callers of the REST edge: it verifies access tokens locally
// against identity's JWKS (fetched over gRPC, refreshed periodically and when a token names an
// unknown key) and refuses tokens of ended sessions, consulting the revocation list in Redis
// or, when Redis is unavailable or has lost the list, asking identity.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"github.com/storefront/storefront/platform/jwtauth"
	"github.com/storefront/storefront/platform/revocation"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

var (
	// ErrNoToken: the request carries no bearer token.
	ErrNoToken = errors.New("auth: no access token")
	// ErrInvalid: the token is malformed, badly signed, expired or of an ended session.
	ErrInvalid = errors.New("auth: invalid or expired access token")
)

// Principal is the authenticated caller.
type Principal struct {
	UserID    string
	Role      string
	SessionID string
}

// IsAdmin reports whether the caller is an admin.
func (p Principal) IsAdmin() bool { return p.Role == "admin" }

// Identity is the part of identity's gRPC API the edge uses.
type Identity interface {
	GetJWKS(ctx context.Context, in *identityv1.GetJWKSRequest, opts ...grpc.CallOption) (*identityv1.GetJWKSResponse, error)
	CheckSession(ctx context.Context, in *identityv1.CheckSessionRequest, opts ...grpc.CallOption) (*identityv1.CheckSessionResponse, error)
}

// Authenticator verifies bearer tokens. Safe for concurrent use.
type Authenticator struct {
	identity Identity
	redis    *redis.Client // nil: ask identity about every session
	keys     revocation.Keys
	log      *slog.Logger
	now      func() time.Time

	jwks        *jwtauth.KeySet
	mu          sync.Mutex
	lastRefresh time.Time
	verified    map[string]jwtauth.Claims // token → claims, so a signature is checked once
}

// maxVerified bounds the verified-token cache; when full it starts afresh.
const maxVerified = 50000

// New returns an Authenticator. redis may be nil.
func New(identity Identity, redis *redis.Client, keys revocation.Keys, log *slog.Logger) *Authenticator {
	return &Authenticator{identity: identity, redis: redis, keys: keys, log: log, now: time.Now, jwks: jwtauth.NewKeySet(nil)}
}

// minRefreshInterval bounds how often an unknown key id triggers a JWKS fetch, so forged
// tokens cannot make the edge hammer identity.
const minRefreshInterval = 10 * time.Second

// RefreshKeys fetches the JWKS from identity.
func (a *Authenticator) RefreshKeys(ctx context.Context) error {
	resp, err := a.identity.GetJWKS(ctx, &identityv1.GetJWKSRequest{})
	if err != nil {
		return fmt.Errorf("fetch JWKS: %w", err)
	}
	keys, err := jwtauth.ParseJWKS([]byte(resp.GetJwksJson()))
	if err != nil {
		return err
	}
	a.jwks.Replace(keys)
	a.mu.Lock()
	a.lastRefresh = a.now()
	a.mu.Unlock()
	return nil
}

// KeepKeysFresh refreshes the JWKS every interval until ctx ends (rotation picks up new keys).
func (a *Authenticator) KeepKeysFresh(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := a.RefreshKeys(ctx); err != nil && ctx.Err() == nil {
			a.log.WarnContext(ctx, "JWKS refresh failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Authenticate returns the principal of an Authorization header value. It fails with
// ErrNoToken for an empty header and ErrInvalid for a bad token; other errors mean the edge
// could not decide (identity unreachable) and map to 503.
func (a *Authenticator) Authenticate(ctx context.Context, header string) (Principal, error) {
	if header == "" {
		return Principal{}, ErrNoToken
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Principal{}, ErrInvalid
	}
	claims, err := a.verify(ctx, token)
	if err != nil {
		return Principal{}, ErrInvalid
	}
	revoked, err := a.revoked(ctx, claims)
	if err != nil {
		return Principal{}, err
	}
	if revoked {
		return Principal{}, ErrInvalid
	}
	return Principal{UserID: claims.UserID, Role: claims.Role, SessionID: claims.SessionID}, nil
}

// verify checks a token's signature and claims, once per token: later calls only check that
// it has not expired since. Revocation is checked on every request by the caller.
func (a *Authenticator) verify(ctx context.Context, token string) (jwtauth.Claims, error) {
	now := a.now()
	a.mu.Lock()
	c, ok := a.verified[token]
	a.mu.Unlock()
	if ok && now.Before(c.ExpiresAt) {
		return c, nil
	}
	if kid := jwtauth.KeyID(token); kid != "" && !a.jwks.Has(kid) {
		a.refreshForUnknownKey(ctx)
	}
	c, err := a.jwks.Verify(token, now)
	if err != nil {
		return c, err
	}
	a.mu.Lock()
	if a.verified == nil || len(a.verified) >= maxVerified {
		a.verified = map[string]jwtauth.Claims{}
	}
	a.verified[token] = c
	a.mu.Unlock()
	return c, nil
}

func (a *Authenticator) refreshForUnknownKey(ctx context.Context) {
	a.mu.Lock()
	due := a.now().Sub(a.lastRefresh) >= minRefreshInterval
	if due {
		a.lastRefresh = a.now()
	}
	a.mu.Unlock()
	if due {
		if err := a.RefreshKeys(ctx); err != nil {
			a.log.WarnContext(ctx, "JWKS refresh for an unknown key failed", "err", err)
		}
	}
}

// revoked consults the revocation list in Redis, or identity when the list cannot be trusted.
func (a *Authenticator) revoked(ctx context.Context, c jwtauth.Claims) (bool, error) {
	if a.redis != nil {
		vals, err := a.redis.MGet(ctx, a.keys.Complete(), a.keys.Session(c.SessionID), a.keys.User(c.UserID)).Result()
		if err == nil && vals[0] != nil {
			if vals[1] != nil {
				return true, nil
			}
			if s, ok := vals[2].(string); ok {
				// Sessions that began before the user's password reset have ended.
				before, _ := strconv.ParseInt(s, 10, 64)
				return c.SessionStart.UnixMicro() < before, nil
			}
			return false, nil
		}
		if err != nil {
			a.log.WarnContext(ctx, "revocation list unavailable; asking identity", "err", err)
		}
	}
	resp, err := a.identity.CheckSession(ctx, &identityv1.CheckSessionRequest{
		SessionId: c.SessionID, UserId: c.UserID, IssuedAt: c.IssuedAt.Unix()})
	if err != nil {
		return false, fmt.Errorf("check session with identity: %w", err)
	}
	return !resp.GetActive(), nil
}
