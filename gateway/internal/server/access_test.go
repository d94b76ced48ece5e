package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/gateway/internal/auth"
	"github.com/storefront/storefront/gateway/internal/policy"
	"github.com/storefront/storefront/gateway/internal/ratelimit"
	"github.com/storefront/storefront/platform/config"
	apiv1 "github.com/storefront/storefront/proto/storefront/api/v1"
)

func TestAllowed_EnforcesEachAccessLevel(t *testing.T) {
	customer := caller{principal: auth.Principal{UserID: "u1", Role: "customer"}}
	admin := caller{principal: auth.Principal{UserID: "u2", Role: "admin"}}
	anonymous := caller{err: auth.ErrNoToken}
	badToken := caller{err: auth.ErrInvalid}
	tests := []struct {
		access apiv1.Access
		caller caller
		want   codes.Code
	}{
		{apiv1.Access_ACCESS_PUBLIC, anonymous, codes.OK},
		{apiv1.Access_ACCESS_PUBLIC, badToken, codes.OK},
		{apiv1.Access_ACCESS_USER, anonymous, codes.Unauthenticated},
		{apiv1.Access_ACCESS_USER, badToken, codes.Unauthenticated},
		{apiv1.Access_ACCESS_USER, customer, codes.OK},
		{apiv1.Access_ACCESS_USER, admin, codes.OK},
		{apiv1.Access_ACCESS_ADMIN, anonymous, codes.Unauthenticated},
		{apiv1.Access_ACCESS_ADMIN, customer, codes.PermissionDenied},
		{apiv1.Access_ACCESS_ADMIN, admin, codes.OK},
	}
	for _, tt := range tests {
		got := status.Code(allowed(policy.Route{Access: tt.access}, tt.caller))
		if got != tt.want {
			t.Errorf("%s as %+v: %s, want %s", tt.access, tt.caller, got, tt.want)
		}
	}
}

// tokens is an Authenticator over a map of live tokens.
type tokens map[string]auth.Principal

func (ts tokens) Authenticate(_ context.Context, header string) (auth.Principal, error) {
	if header == "" {
		return auth.Principal{}, auth.ErrNoToken
	}
	p, ok := ts[strings.TrimPrefix(header, "Bearer ")]
	if !ok {
		return auth.Principal{}, auth.ErrInvalid
	}
	return p, nil
}

// TestRecheck_EndsWithTheSession: a long response's caller is authenticated again from the
// header the request came with (which no longer travels in the request itself); a revoked
// token, and a request without one, fail with the auth errors.
func TestRecheck_EndsWithTheSession(t *testing.T) {
	live := tokens{"t1": {UserID: "u1", Role: "customer", SessionID: "s1"}}
	a := &Access{Policies: &policy.Table{}, Auth: live, Limiter: ratelimit.NewMemory(),
		Rates: Rates{Auth: config.Rate{Limit: 100, Period: time.Minute}, API: config.Rate{Limit: 100, Period: time.Minute},
			Admin: config.Rate{Limit: 100, Period: time.Minute}}, Log: slog.Default()}
	var rechecks []error
	revoke := func() { delete(live, "t1") }
	h := a.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("the token travels on")
		}
		rechecks = append(rechecks, a.Recheck(r.Context()))
		revoke()
		rechecks = append(rechecks, a.Recheck(r.Context()))
	}))
	req := httptest.NewRequest("GET", "/api/v1/support/conversations/x/stream", nil)
	req.Header.Set("Authorization", "Bearer t1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if len(rechecks) != 2 || rechecks[0] != nil || !errors.Is(rechecks[1], auth.ErrInvalid) {
		t.Fatalf("rechecks %v, want nil then invalid", rechecks)
	}
	rechecks = nil
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/support/conversations/x/stream", nil))
	if !errors.Is(rechecks[0], auth.ErrNoToken) {
		t.Fatalf("anonymous recheck: %v", rechecks[0])
	}
}
