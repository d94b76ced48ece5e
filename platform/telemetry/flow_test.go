package telemetry_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/relay"
	"github.com/storefront/storefront/platform/telemetry"
	"github.com/storefront/storefront/platform/testkit/natstest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

// note is a one-event aggregate: a StringValue recorded on its stream.
type note struct {
	aggregate.Changes
	id string
}

func (n *note) StreamID() string          { return "note-" + n.id }
func (n *note) Apply(proto.Message) error { return nil }

// traceSeen is a projection that remembers the trace id of the context each event is
// applied in.
type traceSeen struct {
	context string
	mu      sync.Mutex
	traces  []trace.TraceID
}

func (p *traceSeen) Name() string       { return "trace_seen" }
func (p *traceSeen) Contexts() []string { return []string{p.context} }
func (p *traceSeen) DDL(string) string  { return `CREATE TABLE seen (event_id uuid PRIMARY KEY)` }
func (p *traceSeen) Apply(ctx context.Context, tx pgx.Tx, _ string, ev es.RecordedEvent) error {
	p.mu.Lock()
	p.traces = append(p.traces, trace.SpanContextFromContext(ctx).TraceID())
	p.mu.Unlock()
	_, err := tx.Exec(ctx, `INSERT INTO seen VALUES ($1)`, ev.ID)
	return err
}

// TestOneUserActionIsOneTrace follows a trace from a gRPC call through the command's event,
// the relay's NATS message and the projector's apply: every hop continues the caller's trace.
func TestOneUserActionIsOneTrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const schema = "flow"
	db := pgtest.New(t, postgres.Migrations(schema), relay.Migrations(schema), projector.Migrations())
	nenv := natstest.New(t)
	bc := nenv.Prefix + "flow"

	tel := &telemetry.Telemetry{
		Tracer:     sdktrace.NewTracerProvider(),
		Meter:      sdkmetric.NewMeterProvider(),
		Propagator: propagation.TraceContext{},
	}
	store, err := postgres.New(db.Pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	reg := events.NewRegistry().Register(&wrapperspb.StringValue{})
	notes := aggregate.NewStore(store, reg, func(id string) *note { return &note{id: id[len("note-"):]} }, aggregate.WithPropagator(tel.Propagator))

	// The service: one RPC that records a note.
	srv := grpcx.NewServer(slog.New(slog.DiscardHandler), tel, nil)
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "flow.Notes", HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Record", Handler: func(_ any, ctx context.Context, dec func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
			req := new(wrapperspb.StringValue)
			if err := dec(req); err != nil {
				return nil, err
			}
			return in(ctx, req, &grpc.UnaryServerInfo{FullMethod: "/flow.Notes/Record"}, func(ctx context.Context, r any) (any, error) {
				n := &note{id: r.(*wrapperspb.StringValue).GetValue()}
				n.Record(r.(*wrapperspb.StringValue))
				return r, notes.Save(ctx, n)
			})
		}}},
	}, struct{}{})
	// Listening before the call starts: the call cannot race the server's start.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	srvCtx, stopSrv := context.WithCancel(ctx)
	defer stopSrv()
	go srv.ServeListener(srvCtx, lis)

	// The relay and the projector, as the fleet runs them.
	rel, err := relay.New(relay.Config{Context: bc, Schema: schema}, relay.Deps{Store: store, DB: db.Pool, NATS: nenv.Conn,
		Meter: tel.Meter, Tracer: tel.Tracer, Propagator: tel.Propagator})
	if err != nil {
		t.Fatal(err)
	}
	seen := &traceSeen{context: bc}
	proj, err := projector.New(projector.Config{Pool: db.Pool, JetStream: nenv.JS, Stores: map[string]es.LogReader{bc: store},
		TracerProvider: tel.Tracer, Propagator: tel.Propagator, FetchWait: 200 * time.Millisecond}, seen)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = rel.Run(runCtx) })
	wg.Go(func() { _ = proj.Run(runCtx) })
	defer func() { stopRun(); wg.Wait() }()

	// Wait for the projection to be built and consuming live: an event that arrives while it
	// is first built from the store is applied by the build, under the build's trace.
	for {
		prog, err := proj.Progress(ctx, seen.Name())
		if err == nil && prog.State == projector.StateLive {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("projection never live: %+v %v", prog, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The user action: a client span, then the call.
	conn, err := grpcx.Dial(addr, tel)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	actionCtx, action := tel.Tracer.Tracer("test").Start(ctx, "user action")
	var out wrapperspb.StringValue
	err = conn.Invoke(actionCtx, "/flow.Notes/Record", wrapperspb.String("n1"), &out)
	action.End()
	if err != nil {
		t.Fatal(err)
	}

	want := action.SpanContext().TraceID()
	evs, err := store.ReadStream(ctx, "note-n1", 1, 1)
	if err != nil || len(evs) != 1 {
		t.Fatalf("event: %v %v", evs, err)
	}
	if got := evs[0].Metadata.TraceParent; len(got) < 35 || got[3:35] != want.String() {
		t.Fatalf("event metadata traceparent %q, want trace %s", got, want)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen.mu.Lock()
		traces := append([]trace.TraceID(nil), seen.traces...)
		seen.mu.Unlock()
		if len(traces) > 0 {
			if traces[0] != want {
				t.Fatalf("the projector applied the event in trace %s, want %s", traces[0], want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(errors.New("the projector never applied the event"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
