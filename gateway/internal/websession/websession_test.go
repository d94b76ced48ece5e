package websession

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/storefront/storefront/platform/testkit/redistest"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

// fakeIdentity issues numbered token pairs; a refresh token works once (rotation).
type fakeIdentity struct {
	mu        sync.Mutex
	n         int
	live      map[string]bool // refresh tokens not yet used
	refreshes int
	loggedOut []string
}

func (f *fakeIdentity) pair() *identityv1.TokenPair {
	f.n++
	rt := "refresh-" + string(rune('0'+f.n))
	f.live[rt] = true
	return &identityv1.TokenPair{AccessToken: "access-" + string(rune('0'+f.n)), RefreshToken: rt, ExpiresIn: 86400,
		User: &identityv1.User{Id: "u1", Email: "ada@example.com"}}
}

func (f *fakeIdentity) Login(_ context.Context, in *identityv1.LoginRequest, _ ...grpc.CallOption) (*identityv1.TokenPair, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in.GetPassword() != "right" {
		return nil, status.Error(codes.Unauthenticated, "wrong e-mail or password")
	}
	return f.pair(), nil
}

func (f *fakeIdentity) Refresh(_ context.Context, in *identityv1.RefreshRequest, _ ...grpc.CallOption) (*identityv1.TokenPair, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.live[in.GetRefreshToken()] {
		return nil, status.Error(codes.Unauthenticated, "refresh token used or revoked")
	}
	delete(f.live, in.GetRefreshToken())
	f.refreshes++
	return f.pair(), nil
}

func (f *fakeIdentity) Logout(_ context.Context, in *identityv1.LogoutRequest, _ ...grpc.CallOption) (*emptypb.Empty, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.live, in.GetRefreshToken())
	f.loggedOut = append(f.loggedOut, in.GetRefreshToken())
	return &emptypb.Empty{}, nil
}

func (f *fakeIdentity) GetMe(context.Context, *identityv1.GetMeRequest, ...grpc.CallOption) (*identityv1.User, error) {
	return &identityv1.User{Id: "u1", Email: "ada@example.com"}, nil
}

type harness struct {
	m     *Manager
	id    *fakeIdentity
	now   time.Time
	seen  []string // Authorization headers that reached the next handler
	mu    sync.Mutex
	serve http.Handler
}

func newHarness(t *testing.T) *harness {
	rdb := redistest.Client(t)
	h := &harness{id: &fakeIdentity{live: map[string]bool{}}, now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	h.m = &Manager{Identity: h.id, Redis: rdb, Prefix: redistest.Prefix(t, rdb), Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.now }}
	mux := http.NewServeMux()
	h.m.Register(mux)
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.seen = append(h.seen, r.Header.Get("Authorization"))
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})
	h.serve = h.m.Middleware()(mux)
	return h
}

func (h *harness) advance(d time.Duration) { h.mu.Lock(); h.now = h.now.Add(d); h.mu.Unlock() }

func (h *harness) do(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.serve.ServeHTTP(w, r)
	return w
}

func (h *harness) login(t *testing.T) (cookie, csrf string) {
	t.Helper()
	w := h.do("POST", Path, `{"email":"ada@example.com","password":"right"}`)
	if w.Code != 200 {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	for _, c := range w.Result().Cookies() {
		if c.Name == CookieName {
			return CookieName + "=" + c.Value, body.CSRF
		}
	}
	t.Fatal("no cookie")
	return "", ""
}

func (h *harness) lastAuth() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) == 0 {
		return ""
	}
	return h.seen[len(h.seen)-1]
}

func TestSession_CookieBecomesTheTokenAndStateChangesNeedCSRF(t *testing.T) {
	h := newHarness(t)
	cookie, csrf := h.login(t)
	for _, tc := range []struct {
		name, method, csrf, auth string
		status                   int
		wantAuth                 string
	}{
		{"read with the cookie", "GET", "", "", 200, "Bearer access-1"},
		{"write without CSRF", "POST", "", "", 403, ""},
		{"write with a wrong CSRF", "DELETE", "nope", "", 403, ""},
		{"write with CSRF", "PUT", csrf, "", 200, "Bearer access-1"},
		{"a bearer request needs no CSRF and keeps its token", "POST", "", "Bearer mine", 200, "Bearer mine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.seen = nil
			headers := []string{"Cookie", cookie}
			if tc.csrf != "" {
				headers = append(headers, CSRFHeader, tc.csrf)
			}
			if tc.auth != "" {
				headers = append(headers, "Authorization", tc.auth)
			}
			w := h.do(tc.method, "/api/v1/cart/items", `{}`, headers...)
			if w.Code != tc.status || h.lastAuth() != tc.wantAuth {
				t.Fatalf("%d %s, next saw %q; want %d and %q", w.Code, w.Body, h.lastAuth(), tc.status, tc.wantAuth)
			}
			if tc.status == 403 && !strings.Contains(w.Body.String(), `"field":"X-CSRF-Token"`) {
				t.Errorf("403 without the field detail: %s", w.Body)
			}
		})
	}
	// A forged cookie is anonymous.
	h.seen = nil
	if w := h.do("GET", "/api/v1/users/me", "", "Cookie", CookieName+"=forged"); w.Code != 200 || h.lastAuth() != "" {
		t.Fatalf("forged cookie: %d, next saw %q", w.Code, h.lastAuth())
	}
}

func TestSession_SlidesRefreshesAndEnds(t *testing.T) {
	h := newHarness(t)
	cookie, _ := h.login(t)
	// Used every 20 h, it lives on; its access token (24 h) is refreshed once before it ends.
	for range 3 {
		h.advance(20 * time.Hour)
		if w := h.do("GET", "/api/v1/users/me", "", "Cookie", cookie); w.Code != 200 || h.lastAuth() == "" {
			t.Fatalf("after 20 h of quiet: %d, %q", w.Code, h.lastAuth())
		}
	}
	if h.id.refreshes < 1 || h.lastAuth() == "Bearer access-1" {
		t.Fatalf("access token not refreshed: %d refreshes, using %q", h.id.refreshes, h.lastAuth())
	}
	// A session refused by identity (revoked: its refresh token no longer works) ends.
	h.id.mu.Lock()
	h.id.live = map[string]bool{}
	h.id.mu.Unlock()
	h.advance(23 * time.Hour)
	h.seen = nil
	if w := h.do("GET", "/api/v1/users/me", "", "Cookie", cookie); w.Code != 200 || h.lastAuth() != "" {
		t.Fatalf("a revoked session still authenticates: %q", h.lastAuth())
	}
	if w := h.do("GET", Path, "", "Cookie", cookie); w.Code != 401 {
		t.Fatalf("GET /auth/session of an ended session: %d", w.Code)
	}

	// Logging out revokes at identity and clears the cookie; 24 h of quiet ends a session too.
	cookie, csrf := h.login(t)
	if w := h.do("DELETE", Path, "", "Cookie", cookie, CSRFHeader, csrf); w.Code != 204 || len(h.id.loggedOut) != 1 {
		t.Fatalf("logout: %d, identity logouts %v", w.Code, h.id.loggedOut)
	}
	if w := h.do("GET", Path, "", "Cookie", cookie); w.Code != 401 {
		t.Fatalf("after logout: %d", w.Code)
	}
	// 24 h of quiet ends a session: Redis forgets it then.
	cookie, _ = h.login(t)
	h.do("GET", "/api/v1/users/me", "", "Cookie", cookie)
	if ttl := h.m.Redis.TTL(context.Background(), h.m.key(strings.TrimPrefix(cookie, CookieName+"="))).Val(); ttl > SlidingTTL || ttl < SlidingTTL-time.Minute {
		t.Fatalf("the session's TTL after a use: %s, want %s", ttl, SlidingTTL)
	}
	// 30 days at most, however often it is used.
	cookie, _ = h.login(t)
	for range 32 {
		h.advance(23 * time.Hour)
		h.do("GET", "/api/v1/users/me", "", "Cookie", cookie)
	}
	if w := h.do("GET", Path, "", "Cookie", cookie); w.Code != 401 {
		t.Fatalf("a session older than 30 days: %d", w.Code)
	}
}

func TestSession_BadLoginsChangeNothing(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		body   string
		status int
	}{
		{`{"email":"ada@example.com","password":"wrong"}`, 401},
		{`{"email":"ada@example.com","password":"right","extra":1}`, 400},
		{`{"email":"ada@example.com","password":"right"} {}`, 400},
		{`not json`, 400},
	} {
		w := h.do("POST", Path, tc.body)
		if w.Code != tc.status || len(w.Result().Cookies()) != 0 {
			t.Errorf("%s: %d %s, cookies %v", tc.body, w.Code, w.Body, w.Result().Cookies())
		}
	}
	// Secure everywhere but plain http on loopback.
	r := httptest.NewRequest("POST", "https://shop.example.com"+Path, strings.NewReader(`{"email":"a@b.c","password":"right"}`))
	w := httptest.NewRecorder()
	h.serve.ServeHTTP(w, r)
	if cs := w.Result().Cookies(); len(cs) != 1 || !cs[0].Secure || !cs[0].HttpOnly {
		t.Errorf("cookie over https: %v", cs)
	}
}
