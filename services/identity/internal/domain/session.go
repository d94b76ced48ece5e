package domain

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

// Token lifetimes.
const (
	AccessTokenTTL  = 24 * time.Hour
	RefreshTokenTTL = 30 * 24 * time.Hour
)

// Revocation reasons.
const (
	RevokedLogout        = "logout"
	RevokedRefreshReuse  = "refresh_reuse"
	RevokedPasswordReset = "password_reset"
)

var (
	// ErrRefreshInvalid: the refresh token is unknown, expired or belongs to an ended session.
	ErrRefreshInvalid = fmt.Errorf("%w: invalid refresh token", errs.Unauthenticated)
	// ErrRefreshReused: a rotated refresh token was presented again; the session is revoked.
	ErrRefreshReused = fmt.Errorf("%w: refresh token already used; the session has been ended", errs.Unauthenticated)
)

// SessionStream is the stream id of a session.
func SessionStream(sessionID string) string { return "session-" + sessionID }

// Session is one login: the refresh-token family it started. Only hashes of refresh tokens
// are kept; every rotation remembers the hash it replaced, to detect reuse.
type Session struct {
	aggregate.Changes
	id        string
	userID    string
	current   string
	startedAt time.Time
	rotated   map[string]bool
	expiresAt time.Time
	revoked   bool
}

// NewSession returns an empty session for the stream id, for loading.
func NewSession(streamID string) *Session {
	return &Session{id: streamID[len("session-"):], rotated: map[string]bool{}}
}

// StartSession records a login.
func StartSession(id, userID, refreshHash string, now time.Time) *Session {
	s := &Session{id: id, rotated: map[string]bool{}}
	s.record(&identityv1.SessionStarted{SessionId: id, UserId: userID, RefreshHash: refreshHash,
		StartedAt: now.UnixMicro(), ExpiresAt: now.Add(RefreshTokenTTL).UnixMicro()})
	return s
}

// ID, UserID and Active describe the session.
func (s *Session) ID() string                { return s.id }
func (s *Session) UserID() string            { return s.userID }
func (s *Session) Active(now time.Time) bool { return !s.revoked && now.Before(s.expiresAt) }
func (s *Session) StartedAt() time.Time      { return s.startedAt }

// StreamID implements aggregate.Root.
func (s *Session) StreamID() string { return SessionStream(s.id) }

// Rotate replaces the current refresh token (presented by its hash) with a new one. A rotated
// token presented again revokes the session (the new events must be saved) and fails with
// ErrRefreshReused; anything else invalid fails with ErrRefreshInvalid and changes nothing.
func (s *Session) Rotate(presentedHash, newHash string, now time.Time) error {
	switch {
	case s.revoked:
		return ErrRefreshInvalid
	case s.rotated[presentedHash]:
		s.Revoke(RevokedRefreshReuse, now)
		return ErrRefreshReused
	case presentedHash != s.current || !now.Before(s.expiresAt):
		return ErrRefreshInvalid
	}
	s.record(&identityv1.SessionRefreshed{SessionId: s.id, PreviousHash: presentedHash, RefreshHash: newHash,
		ExpiresAt: now.Add(RefreshTokenTTL).UnixMicro()})
	return nil
}

// Owns reports whether the refresh token (by hash) is the session's current one.
func (s *Session) Owns(refreshHash string) bool { return !s.revoked && refreshHash == s.current }

// Revoke ends the session; revoking an ended session changes nothing.
func (s *Session) Revoke(reason string, now time.Time) {
	if !s.revoked {
		s.record(&identityv1.SessionRevoked{SessionId: s.id, UserId: s.userID, Reason: reason, RevokedAt: now.UnixMicro()})
	}
}

func (s *Session) record(e proto.Message) {
	_ = s.Apply(e)
	s.Record(e)
}

// Apply implements aggregate.Root.
func (s *Session) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *identityv1.SessionStarted:
		s.userID, s.current = e.GetUserId(), e.GetRefreshHash()
		s.startedAt = time.UnixMicro(e.GetStartedAt()).UTC()
		s.expiresAt = time.UnixMicro(e.GetExpiresAt()).UTC()
	case *identityv1.SessionRefreshed:
		s.rotated[e.GetPreviousHash()] = true
		s.current = e.GetRefreshHash()
		s.expiresAt = time.UnixMicro(e.GetExpiresAt()).UTC()
	case *identityv1.SessionRevoked:
		s.revoked = true
	default:
		return fmt.Errorf("session: unexpected event %T", e)
	}
	return nil
}
