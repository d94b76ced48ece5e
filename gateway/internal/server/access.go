package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/gateway/internal/auth"
	"github.com/storefront/storefront/gateway/internal/edge"
	"github.com/storefront/storefront/gateway/internal/policy"
	"github.com/storefront/storefront/gateway/internal/ratelimit"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/grpcx"
	apiv1 "github.com/storefront/storefront/proto/storefront/api/v1"
)

// Authenticator turns an Authorization header into a principal (see package auth).
type Authenticator interface {
	Authenticate(ctx context.Context, header string) (auth.Principal, error)
}

// Rates are the budgets of API.md, "Rate limits".
type Rates struct {
	Auth, API, Admin config.Rate
}

// Access enforces the edge policy: authentication, rate limits and RBAC. Its HTTP middleware
// authenticates and counts every /api/v1 request; its gRPC client interceptor, which knows
// the RPC being called, checks the route's access and forwards the caller's identity.
type Access struct {
	Policies *policy.Table
	Auth     Authenticator
	Limiter  ratelimit.Limiter
	Rates    Rates
	Log      *slog.Logger
}

type callerKey struct{}

type caller struct {
	principal auth.Principal
	err       error // ErrNoToken, ErrInvalid
	// header is the request's Authorization, kept for Recheck only: it reaches no service.
	header string
}

// Middleware authenticates and rate-limits requests under /api/v1.
func (a *Access) Middleware() edge.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
				next.ServeHTTP(w, r)
				return
			}
			ctx := r.Context()
			p, err := a.Auth.Authenticate(ctx, r.Header.Get("Authorization"))
			if err != nil && !errors.Is(err, auth.ErrNoToken) && !errors.Is(err, auth.ErrInvalid) {
				a.Log.ErrorContext(ctx, "cannot authenticate", "err", err, "request_id", edge.RequestIDFrom(ctx))
				edge.WriteError(w, http.StatusServiceUnavailable, edge.CodeUnavailable, "service unavailable, try again")
				return
			}
			key, budget := a.budget(r, p, err)
			res, lerr := a.Limiter.Allow(ctx, key, budget)
			if lerr != nil {
				a.Log.ErrorContext(ctx, "rate limiter failed; request allowed", "err", lerr)
				res = ratelimit.Result{Allowed: true, Limit: budget.Limit, Remaining: budget.Limit}
			}
			w.Header().Set("RateLimit-Limit", strconv.Itoa(res.Limit))
			w.Header().Set("RateLimit-Remaining", strconv.Itoa(res.Remaining))
			if !res.Allowed {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(res.RetryAfter.Seconds()))))
				edge.WriteError(w, http.StatusTooManyRequests, edge.CodeResourceExhausted, "too many requests; retry later")
				return
			}
			// The verified caller travels in the context; the token itself goes no further.
			r = r.WithContext(context.WithValue(ctx, callerKey{}, caller{principal: p, err: err, header: r.Header.Get("Authorization")}))
			r.Header.Del("Authorization")
			next.ServeHTTP(w, r)
		})
	}
}

// Recheck authenticates the request's caller again, for a long-lived response (a stream)
// that must end when the caller's token expires or its session is revoked: it returns an
// error wrapping auth.ErrInvalid or auth.ErrNoToken then, and other errors when the edge
// cannot decide (identity unreachable).
func (a *Access) Recheck(ctx context.Context) error {
	c, ok := ctx.Value(callerKey{}).(caller)
	if !ok {
		return fmt.Errorf("recheck: %w", auth.ErrNoToken)
	}
	if c.err != nil {
		return fmt.Errorf("recheck: %w", c.err)
	}
	p, err := a.Auth.Authenticate(ctx, c.header)
	if err != nil {
		return fmt.Errorf("recheck: %w", err)
	}
	if p != c.principal {
		return fmt.Errorf("recheck: another principal: %w", auth.ErrInvalid)
	}
	return nil
}

// budget picks the request's budget: the auth budget per client IP for the auth endpoints;
// else the admin budget per admin, the API budget per user, or per client IP when anonymous.
func (a *Access) budget(r *http.Request, p auth.Principal, authErr error) (string, config.Rate) {
	ip := clientIP(r)
	switch {
	case a.Policies.IsAuthRate(r.Method, r.URL.Path):
		return "auth:" + ip, a.Rates.Auth
	case authErr == nil && p.IsAdmin():
		return "admin:" + p.UserID, a.Rates.Admin
	case authErr == nil:
		return "user:" + p.UserID, a.Rates.API
	default:
		return "ip:" + ip, a.Rates.API
	}
}

// clientIP is the peer address. Behind a load balancer, configure it to connect from the
// client's address (PROXY protocol) or extend this with a trusted-proxy list.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// UnaryClientInterceptor checks the called RPC's access policy against the caller, and
// forwards the caller's identity and the request id to the service.
func (a *Access) UnaryClientInterceptor() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		route, onEdge := a.Policies.Method(method)
		c, fromEdge := ctx.Value(callerKey{}).(caller)
		if onEdge && fromEdge {
			if err := allowed(route, c); err != nil {
				return err
			}
			kv := []string{grpcx.MDRequestID, edge.RequestIDFrom(ctx)}
			if c.err == nil {
				kv = append(kv, grpcx.MDUserID, c.principal.UserID, grpcx.MDRole, c.principal.Role, grpcx.MDSessionID, c.principal.SessionID)
			}
			ctx = metadata.AppendToOutgoingContext(ctx, kv...)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

func allowed(route policy.Route, c caller) error {
	if route.Access == apiv1.Access_ACCESS_PUBLIC {
		return nil
	}
	switch {
	case errors.Is(c.err, auth.ErrNoToken):
		return status.Error(codes.Unauthenticated, "sign in: this needs an access token")
	case c.err != nil:
		return status.Error(codes.Unauthenticated, "invalid or expired access token")
	case route.Access == apiv1.Access_ACCESS_ADMIN && !c.principal.IsAdmin():
		return status.Error(codes.PermissionDenied, "admins only")
	}
	return nil
}

// ForwardResponseOption sets each route's success status (201, 202, 204) from its policy, or
// from the handler's grpcx.MDHTTPStatus header when it sent one.
func (a *Access) ForwardResponseOption() runtime.ServeMuxOption {
	return runtime.WithForwardResponseOption(func(ctx context.Context, w http.ResponseWriter, _ proto.Message) error {
		method, ok := runtime.RPCMethod(ctx)
		if !ok {
			return nil
		}
		if md, ok := runtime.ServerMetadataFromContext(ctx); ok {
			// A handler may answer a success with another 2xx than its route's (grpcx.SetHTTPStatus).
			if v := md.HeaderMD.Get(grpcx.MDHTTPStatus); len(v) == 1 {
				if code, err := strconv.Atoi(v[0]); err == nil && code >= 200 && code < 300 {
					w.WriteHeader(code)
					return nil
				}
			}
		}
		if route, ok := a.Policies.Method(method); ok && route.Status != http.StatusOK {
			w.WriteHeader(route.Status)
		}
		return nil
	})
}
