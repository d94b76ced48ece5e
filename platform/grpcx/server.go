// Package grpcx builds the gRPC servers and clients of the fleet with the cross-cutting
// concerns in one place: tracing and metrics (OpenTelemetry), panic recovery, the request's
// actor and correlation id (package reqctx), the mapping of application errors to status
// codes, health and reflection. Service handlers hold business logic only.
package grpcx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/platform/telemetry"
)

// Metadata keys the gateway sets on the calls it forwards (and services on theirs).
const (
	MDRequestID = "x-request-id"
	MDUserID    = "x-sf-user-id"
	MDRole      = "x-sf-role"
	MDSessionID = "x-sf-session-id"
	MDCausation = "x-sf-causation-id"
)

// Authenticator turns a call's incoming metadata into its actor. It returns the zero Actor
// for anonymous calls and an errs.Unauthenticated error for bad credentials.
type Authenticator func(ctx context.Context, md metadata.MD) (reqctx.Actor, error)

// TrustedHeaders reads the actor from the x-sf-* metadata set by the gateway after it verified
// the caller's token. Only for servers that are reachable from inside the fleet alone.
func TrustedHeaders(_ context.Context, md metadata.MD) (reqctx.Actor, error) {
	return reqctx.Actor{UserID: first(md, MDUserID), Role: first(md, MDRole), SessionID: first(md, MDSessionID)}, nil
}

// Server is a gRPC server with health and reflection registered.
type Server struct {
	*grpc.Server
	Health *health.Server
	log    *slog.Logger
}

// NewServer returns a server whose every call is traced, recovered, authenticated by auth
// and whose errors are mapped by ToStatus.
func NewServer(log *slog.Logger, tel *telemetry.Telemetry, auth Authenticator, opts ...grpc.ServerOption) *Server {
	if auth == nil {
		auth = TrustedHeaders
	}
	i := interceptor{log: log, auth: auth}
	opts = append([]grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(tel.Tracer), otelgrpc.WithMeterProvider(tel.Meter), otelgrpc.WithPropagators(tel.Propagator))),
		grpc.ChainUnaryInterceptor(i.unary),
		grpc.ChainStreamInterceptor(i.stream),
	}, opts...)
	s := &Server{Server: grpc.NewServer(opts...), Health: health.NewServer(), log: log}
	healthpb.RegisterHealthServer(s.Server, s.Health)
	reflection.Register(s.Server)
	return s
}

// Serve listens on addr and serves until ctx ends, then marks the server not serving and
// stops gracefully (in-flight calls finish, for up to 20 seconds).
func (s *Server) Serve(ctx context.Context, addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return s.ServeListener(ctx, lis)
}

// ServeListener is Serve on a listener the caller opened (tests open one on port 0, so that
// calls made before ServeListener runs wait in the backlog instead of being refused).
func (s *Server) ServeListener(ctx context.Context, lis net.Listener) error {
	s.log.Info("gRPC serving", "addr", lis.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- s.Server.Serve(lis) }()
	s.Health.Resume()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.Health.Shutdown()
	stopped := make(chan struct{})
	go func() { s.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		s.Stop()
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

type interceptor struct {
	log  *slog.Logger
	auth Authenticator
}

func (i interceptor) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer i.recover(ctx, info.FullMethod, &err)
	ctx, err = i.context(ctx)
	if err != nil {
		return nil, i.status(ctx, info.FullMethod, err)
	}
	resp, err = handler(ctx, req)
	if err != nil {
		return nil, i.status(ctx, info.FullMethod, err)
	}
	return resp, nil
}

func (i interceptor) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	ctx := ss.Context()
	defer i.recover(ctx, info.FullMethod, &err)
	ctx, err = i.context(ctx)
	if err != nil {
		return i.status(ctx, info.FullMethod, err)
	}
	if err := handler(srv, &wrappedStream{ServerStream: ss, ctx: ctx}); err != nil {
		return i.status(ctx, info.FullMethod, err)
	}
	return nil
}

// context adds the request's reqctx.Info.
func (i interceptor) context(ctx context.Context) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	actor, err := i.auth(ctx, md)
	if err != nil {
		return ctx, err
	}
	corr := first(md, MDRequestID)
	if corr == "" {
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
			corr = sc.TraceID().String()
		}
	}
	return reqctx.With(ctx, reqctx.Info{Actor: actor, CorrelationID: corr, CausationID: first(md, MDCausation)}), nil
}

// status maps err and logs internal errors once, with the trace id (the logger adds it).
func (i interceptor) status(ctx context.Context, method string, err error) error {
	st, internal := ToStatus(err)
	if internal {
		i.log.ErrorContext(ctx, "internal error", "method", method, "err", err)
	}
	return st.Err()
}

func (i interceptor) recover(ctx context.Context, method string, err *error) {
	if p := recover(); p != nil {
		i.log.ErrorContext(ctx, "panic in handler", "method", method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		*err = status.Error(codes.Internal, "internal error")
	}
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}
