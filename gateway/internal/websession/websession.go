// Package websession signs the web storefront in with an httpOnly cookie instead of tokens in
// script-readable storage (API.md, "Web sessions"). POST /api/v1/auth/session logs in through
// identity and keeps the token pair server-side, in Redis, under a random session key that
// only the cookie carries; a request with the cookie and no Authorization header is then
// authenticated as if it carried the session's access token (same roles, limits and
// revocation), which is refreshed through identity before it expires. State-changing requests
// authenticated by the cookie must send the session's CSRF token in X-CSRF-Token. The session
// slides: it lives SlidingTTL after its last use, MaxAge at most.
package websession

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/storefront/storefront/gateway/internal/edge"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

// Names of API.md.
const (
	CookieName = "sf_session"
	CSRFHeader = "X-CSRF-Token"
	Path       = "/api/v1/auth/session"
)

// Lifetimes of a session (API.md): 24 h after its last use, 30 days at most.
const (
	SlidingTTL = 24 * time.Hour
	MaxAge     = 30 * 24 * time.Hour
	// refreshBefore: the access token is refreshed when it has less than this left, so that
	// concurrent requests of the session still hold a valid one while one refreshes it.
	refreshBefore = time.Hour
)

// Identity is the part of identity's gRPC API sessions use.
type Identity interface {
	Login(ctx context.Context, in *identityv1.LoginRequest, opts ...grpc.CallOption) (*identityv1.TokenPair, error)
	Refresh(ctx context.Context, in *identityv1.RefreshRequest, opts ...grpc.CallOption) (*identityv1.TokenPair, error)
	Logout(ctx context.Context, in *identityv1.LogoutRequest, opts ...grpc.CallOption) (*emptypb.Empty, error)
	GetMe(ctx context.Context, in *identityv1.GetMeRequest, opts ...grpc.CallOption) (*identityv1.User, error)
}

// Manager keeps web sessions in Redis. Safe for concurrent use.
type Manager struct {
	Identity Identity
	Redis    *redis.Client
	// Prefix namespaces the keys (STOREFRONT_REDIS_PREFIX).
	Prefix string
	Log    *slog.Logger
	// Now tells the time; tests move it. Nil: time.Now.
	Now func() time.Time
}

// session is what Redis holds under the cookie's key.
type session struct {
	AccessToken   string    `json:"access_token"`
	RefreshToken  string    `json:"refresh_token"`
	AccessExpires time.Time `json:"access_expires"`
	CSRFToken     string    `json:"csrf_token"`
	CreatedAt     time.Time `json:"created_at"`
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// key is the Redis key of a cookie value: its hash, so that Redis holds no usable cookie.
func (m *Manager) key(cookie string) string {
	sum := sha256.Sum256([]byte(cookie))
	return m.Prefix + "websession:" + hex.EncodeToString(sum[:])
}

func (m *Manager) lockKey(cookie string) string { return m.key(cookie) + ":refreshing" }

// ttl is how long a session used now lives: SlidingTTL, but not past MaxAge.
func (m *Manager) ttl(s session) time.Duration {
	return min(SlidingTTL, s.CreatedAt.Add(MaxAge).Sub(m.now()))
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (m *Manager) save(ctx context.Context, cookie string, s session) error {
	ttl := m.ttl(s)
	if ttl <= 0 {
		return errExpired
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return m.Redis.Set(ctx, m.key(cookie), raw, ttl).Err()
}

var (
	errNoSession = errors.New("websession: no such session")
	errExpired   = errors.New("websession: session past its maximum age")
)

// load returns the cookie's session and extends its life by SlidingTTL.
func (m *Manager) load(ctx context.Context, cookie string) (session, error) {
	raw, err := m.Redis.GetEx(ctx, m.key(cookie), SlidingTTL).Bytes()
	if errors.Is(err, redis.Nil) {
		return session{}, errNoSession
	}
	if err != nil {
		return session{}, fmt.Errorf("websession: read: %w", err)
	}
	var s session
	if err := json.Unmarshal(raw, &s); err != nil {
		return session{}, fmt.Errorf("websession: decode: %w", err)
	}
	if ttl := m.ttl(s); ttl <= 0 {
		_ = m.Redis.Del(ctx, m.key(cookie)).Err()
		return session{}, errNoSession
	} else if ttl < SlidingTTL {
		_ = m.Redis.Expire(ctx, m.key(cookie), ttl).Err() // the 30-day cap
	}
	return s, nil
}

// fresh returns the session with an access token that has at least refreshBefore left,
// refreshing it through identity when needed (one refresher per session, across edges: the
// others go on with the current token, still valid).
func (m *Manager) fresh(ctx context.Context, cookie string, s session) (session, error) {
	if m.now().Add(refreshBefore).Before(s.AccessExpires) {
		return s, nil
	}
	got, err := m.Redis.SetNX(ctx, m.lockKey(cookie), "1", 30*time.Second).Result()
	if err != nil || !got {
		if m.now().Before(s.AccessExpires) {
			return s, nil
		}
		if err != nil {
			return session{}, fmt.Errorf("websession: refresh lock: %w", err)
		}
		return session{}, errNoSession // expired and being refreshed: the next request has it
	}
	defer m.Redis.Del(context.WithoutCancel(ctx), m.lockKey(cookie))
	pair, err := m.Identity.Refresh(ctx, &identityv1.RefreshRequest{RefreshToken: s.RefreshToken})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			_ = m.Redis.Del(ctx, m.key(cookie)).Err() // revoked or rotated away: the session has ended
			return session{}, errNoSession
		}
		return session{}, fmt.Errorf("websession: refresh: %w", err)
	}
	s.AccessToken, s.RefreshToken = pair.GetAccessToken(), pair.GetRefreshToken()
	s.AccessExpires = m.now().Add(time.Duration(pair.GetExpiresIn()) * time.Second)
	if err := m.save(ctx, cookie, s); err != nil {
		return session{}, err
	}
	return s, nil
}

// stateChanging reports whether a request's method changes state (and so needs CSRF).
func stateChanging(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// Middleware authenticates /api/v1 requests that carry the session cookie and no
// Authorization header: it sets the session's access token as the Authorization for the
// edge's access middleware, which runs next. A state-changing request without the session's
// CSRF token is refused with 403. An unknown or ended session leaves the request anonymous
// (a route that needs a user answers 401).
func (m *Manager) Middleware() edge.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie(CookieName)
			if err != nil || c.Value == "" || r.Header.Get("Authorization") != "" || !strings.HasPrefix(r.URL.Path, "/api/v1/") ||
				(r.Method == http.MethodPost && r.URL.Path == Path) {
				next.ServeHTTP(w, r)
				return
			}
			ctx := r.Context()
			s, err := m.load(ctx, c.Value)
			if errors.Is(err, errNoSession) {
				next.ServeHTTP(w, r)
				return
			}
			if err == nil {
				s, err = m.fresh(ctx, c.Value, s)
			}
			switch {
			case errors.Is(err, errNoSession):
				next.ServeHTTP(w, r)
				return
			case err != nil:
				m.Log.ErrorContext(ctx, "web session unavailable", "err", err, "request_id", edge.RequestIDFrom(ctx))
				edge.WriteError(w, http.StatusServiceUnavailable, edge.CodeUnavailable, "service unavailable, try again")
				return
			}
			if stateChanging(r.Method) &&
				subtle.ConstantTimeCompare([]byte(r.Header.Get(CSRFHeader)), []byte(s.CSRFToken)) != 1 {
				edge.WriteError(w, http.StatusForbidden, edge.CodePermissionDenied, "missing or wrong CSRF token",
					edge.FieldViolation{Field: CSRFHeader, Reason: "must be the session's csrf_token"})
				return
			}
			r.Header.Set("Authorization", "Bearer "+s.AccessToken)
			next.ServeHTTP(w, r)
		})
	}
}

// Register adds POST, GET and DELETE /api/v1/auth/session.
func (m *Manager) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+Path, m.create)
	mux.HandleFunc("GET "+Path, m.get)
	mux.HandleFunc("DELETE "+Path, m.delete)
}

var marshal = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// answer is the body of POST and GET: {user, csrf_token}.
func answer(w http.ResponseWriter, user *identityv1.User, csrf string) {
	u, err := marshal.Marshal(user)
	if err != nil {
		edge.WriteError(w, http.StatusInternalServerError, edge.CodeInternal, "internal error")
		return
	}
	edge.WriteJSON(w, http.StatusOK, map[string]any{"user": json.RawMessage(u), "csrf_token": csrf})
}

func writeStatus(w http.ResponseWriter, err error) {
	st, _ := status.FromError(err)
	code, body := edge.StatusError(st)
	edge.WriteJSON(w, code, body)
}

// create logs in through identity and starts a web session.
func (m *Manager) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || dec.Decode(&struct{}{}) != io.EOF {
		edge.WriteError(w, http.StatusBadRequest, edge.CodeInvalidArgument, "the body must be one JSON object {email, password}")
		return
	}
	ctx := r.Context()
	pair, err := m.Identity.Login(ctx, &identityv1.LoginRequest{Email: in.Email, Password: in.Password})
	if err != nil {
		writeStatus(w, err)
		return
	}
	cookie := randomToken()
	now := m.now()
	s := session{AccessToken: pair.GetAccessToken(), RefreshToken: pair.GetRefreshToken(), CSRFToken: randomToken(),
		AccessExpires: now.Add(time.Duration(pair.GetExpiresIn()) * time.Second), CreatedAt: now}
	if err := m.save(ctx, cookie, s); err != nil {
		m.Log.ErrorContext(ctx, "cannot store the web session", "err", err)
		edge.WriteError(w, http.StatusServiceUnavailable, edge.CodeUnavailable, "service unavailable, try again")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: cookie, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: !plainLoopback(r), MaxAge: int(SlidingTTL.Seconds())})
	answer(w, pair.GetUser(), s.CSRFToken)
}

// get answers the signed-in user of the cookie's session and its CSRF token.
func (m *Manager) get(w http.ResponseWriter, r *http.Request) {
	s, ok := m.current(w, r)
	if !ok {
		return
	}
	user, err := m.Identity.GetMe(r.Context(), &identityv1.GetMeRequest{})
	if err != nil {
		writeStatus(w, err)
		return
	}
	answer(w, user, s.CSRFToken)
}

// delete ends the session: identity revokes it (its tokens stop working everywhere) and the
// cookie is cleared. The middleware has checked the CSRF token.
func (m *Manager) delete(w http.ResponseWriter, r *http.Request) {
	s, ok := m.current(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if _, err := m.Identity.Logout(ctx, &identityv1.LogoutRequest{RefreshToken: s.RefreshToken}); err != nil {
		if status.Code(err) != codes.Unauthenticated {
			writeStatus(w, err)
			return
		}
	}
	c, _ := r.Cookie(CookieName)
	if err := m.Redis.Del(ctx, m.key(c.Value)).Err(); err != nil {
		m.Log.WarnContext(ctx, "cannot delete the web session; identity revoked it", "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: !plainLoopback(r), MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

// current is the cookie's live session, or a 401 written.
func (m *Manager) current(w http.ResponseWriter, r *http.Request) (session, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		edge.WriteError(w, http.StatusUnauthorized, edge.CodeUnauthenticated, "no web session: sign in")
		return session{}, false
	}
	s, err := m.load(r.Context(), c.Value)
	if err != nil {
		edge.WriteError(w, http.StatusUnauthorized, edge.CodeUnauthenticated, "no web session: sign in")
		return session{}, false
	}
	return s, true
}

// plainLoopback reports a request over plain http to a loopback address: the one case where
// the cookie may go without Secure (a browser would not send a Secure cookie over http).
func plainLoopback(r *http.Request) bool {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return false
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
