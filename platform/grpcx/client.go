package grpcx

import (
	"context"
	"fmt"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/platform/telemetry"
)

// Dial returns a client connection to another service of the fleet. Calls carry the trace
// context and the caller's reqctx.Info (actor and correlation id) as metadata. Inside the
// fleet traffic is plain gRPC; production adds mTLS at the mesh.
func Dial(target string, tel *telemetry.Telemetry, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(
			otelgrpc.WithTracerProvider(tel.Tracer), otelgrpc.WithMeterProvider(tel.Meter), otelgrpc.WithPropagators(tel.Propagator))),
		grpc.WithChainUnaryInterceptor(forwardInfo),
		// Balance over every address the name resolves to (a headless Service's pods).
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"round_robin":{}}]}`),
	}, opts...)
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("grpc client for %s: %w", target, err)
	}
	return conn, nil
}

func forwardInfo(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	info := reqctx.From(ctx)
	var kv []string
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, k, v)
		}
	}
	add(MDRequestID, info.CorrelationID)
	add(MDUserID, info.Actor.UserID)
	add(MDRole, info.Actor.Role)
	add(MDSessionID, info.Actor.SessionID)
	if len(kv) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, kv...)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}
