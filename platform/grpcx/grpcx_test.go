package grpcx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/platform/telemetry"
)

// echo is a hand-written service: "who" answers with the caller's reqctx, anything else is
// the error of that name.
func echoDesc(t *testing.T) *grpc.ServiceDesc {
	fail := map[string]error{
		"invalid":  errs.Field("email", "is not an email address"),
		"notfound": fmt.Errorf("%w: no order 7", errs.NotFound),
		"conflict": fmt.Errorf("save: %w", &es.ConcurrencyError{Stream: "order-7", Expected: es.Exact(1), Actual: 2}),
		"internal": errors.New("pq: relation \"users\" does not exist"),
	}
	return &grpc.ServiceDesc{
		ServiceName: "test.Echo",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Do",
			Handler: func(_ any, ctx context.Context, dec func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
				req := new(wrapperspb.StringValue)
				if err := dec(req); err != nil {
					return nil, err
				}
				h := func(ctx context.Context, r any) (any, error) {
					v := r.(*wrapperspb.StringValue).GetValue()
					switch v {
					case "who":
						info := reqctx.From(ctx)
						return wrapperspb.String(info.Actor.UserID + "/" + info.Actor.Role + "/" + info.CorrelationID), nil
					case "panic":
						panic("secret detail")
					}
					return nil, fail[v]
				}
				return in(ctx, req, &grpc.UnaryServerInfo{FullMethod: "/test.Echo/Do"}, h)
			},
		}},
	}
}

func startServer(t *testing.T) *grpc.ClientConn {
	t.Helper()
	tel, err := telemetry.Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(slog.New(slog.DiscardHandler), tel, nil)
	srv.RegisterService(echoDesc(t), struct{}{})
	// Listening here, before the call: a call made before Serve listened would be refused.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, lis) }()
	conn, err := Dial(addr, tel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return conn
}

func call(ctx context.Context, conn *grpc.ClientConn, v string) (string, error) {
	out := new(wrapperspb.StringValue)
	err := conn.Invoke(ctx, "/test.Echo/Do", wrapperspb.String(v), out)
	return out.GetValue(), err
}

func TestServer_MapsErrorsWithoutLeakingInternals(t *testing.T) {
	conn := startServer(t)
	tests := []struct {
		in       string
		code     codes.Code
		msgHas   string
		msgLacks string
	}{
		{"invalid", codes.InvalidArgument, "invalid request", ""},
		{"notfound", codes.NotFound, "no order 7", ""},
		{"conflict", codes.Aborted, "retry", ""},
		{"internal", codes.Internal, "internal error", "relation"},
		{"panic", codes.Internal, "internal error", "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := call(context.Background(), conn, tt.in)
			st := status.Convert(err)
			if st.Code() != tt.code || !strings.Contains(st.Message(), tt.msgHas) || (tt.msgLacks != "" && strings.Contains(st.Message(), tt.msgLacks)) {
				t.Fatalf("status = %v %q", st.Code(), st.Message())
			}
		})
	}
	_, err := call(context.Background(), conn, "invalid")
	var br *errdetails.BadRequest
	for _, d := range status.Convert(err).Details() {
		if b, ok := d.(*errdetails.BadRequest); ok {
			br = b
		}
	}
	if br == nil || len(br.FieldViolations) != 1 || br.FieldViolations[0].Field != "email" {
		t.Fatalf("field violations not carried: %v", status.Convert(err).Details())
	}
}

func TestServer_ActorAndCorrelationFlowFromClientToHandler(t *testing.T) {
	conn := startServer(t)
	ctx := reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: "u1", Role: "admin"}, CorrelationID: "req-42"})
	got, err := call(ctx, conn, "who")
	if err != nil {
		t.Fatal(err)
	}
	if got != "u1/admin/req-42" {
		t.Fatalf("handler saw %q", got)
	}
	resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", resp, err)
	}
}
