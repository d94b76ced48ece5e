package e2e

import (
	"context"
	"encoding/hex"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	collectormetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracev1 "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

// spanSink is an OTLP/gRPC receiver that keeps every span the fleet exports, in memory.
type spanSink struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []exported
}

// exported is one span with the service that exported it.
type exported struct {
	service string
	span    *tracev1.Span
}

func (s *spanSink) Export(_ context.Context, r *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rs := range r.GetResourceSpans() {
		service := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				s.spans = append(s.spans, exported{service: service, span: sp})
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// metricsSink accepts (and drops) the fleet's metrics, exported to the same endpoint.
type metricsSink struct {
	collectormetrics.UnimplementedMetricsServiceServer
}

func (metricsSink) Export(context.Context, *collectormetrics.ExportMetricsServiceRequest) (*collectormetrics.ExportMetricsServiceResponse, error) {
	return &collectormetrics.ExportMetricsServiceResponse{}, nil
}

// linking returns the spans of other traces that link to the trace (the relay publishes a
// batch of events, from many traces, in one span linked to each).
func (s *spanSink) linking(traceID string) []exported {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []exported
	for _, e := range s.spans {
		for _, l := range e.span.GetLinks() {
			if hex.EncodeToString(l.GetTraceId()) == traceID {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// trace returns the spans of one trace.
func (s *spanSink) trace(traceID string) []exported {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []exported
	for _, e := range s.spans {
		if hex.EncodeToString(e.span.GetTraceId()) == traceID {
			out = append(out, e)
		}
	}
	return out
}

func startSpanSink(t *testing.T) (*spanSink, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink := &spanSink{}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, sink)
	collectormetrics.RegisterMetricsServiceServer(srv, metricsSink{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return sink, "http://" + lis.Addr().String()
}

// TestOneTracePerUserAction places an order by card against the fleet exporting its traces
// over OTLP to a receiver in the test, and follows the order's trace id (from its OrderPlaced
// event, read through the operators' API): one trace spans the gateway, the services it
// calls, the event appends, the NATS hop (the message's trace context: the relay's publish
// spans link to the trace, the consumers continue it) and the saga's reactions in ordering,
// catalog and payments, and the projector applying the events.
func TestOneTracePerUserAction(t *testing.T) {
	sink, endpoint := startSpanSink(t)
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=10000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=10000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword,
		"OTEL_EXPORTER_OTLP_ENDPOINT="+endpoint, "OTEL_EXPORTER_OTLP_INSECURE=true", "OTEL_BSP_SCHEDULE_DELAY=100")
	c := newCheckout(t, f, "traced")
	product := c.cart.product(t, c.category, "25.00", 5)
	c.add(t, c.buyer, product, 1)

	r := c.place(t, c.buyer, nil)
	if r.status != 201 {
		t.Fatalf("place order: %d %s", r.status, r.body)
	}
	order := r.json(t)["id"].(string)
	c.settled(t, c.buyer, order, "paid")

	ops := &opsClient{f: f, admin: c.admin}
	evs := ops.get(t, "/api/v1/admin/streams/order-"+order)["items"].([]any)
	placed := evs[0].(map[string]any)
	if placed["type"] != "storefront.ordering.v1.OrderPlaced" {
		t.Fatalf("first event of the order: %v", placed)
	}
	traceID := placed["metadata"].(map[string]any)["trace_id"].(string)
	if !traceIDPattern.MatchString(traceID) {
		t.Fatalf("OrderPlaced has no trace id: %v", placed)
	}
	// Every event of the order (the saga's steps included) belongs to the same trace.
	for _, it := range evs {
		e := it.(map[string]any)
		if got := e["metadata"].(map[string]any)["trace_id"]; got != traceID {
			t.Errorf("%s of the order is in trace %v, not %s", e["type"], got, traceID)
		}
	}

	// What the trace must hold: who exported a span, and spans by name.
	wantServices := []string{"gateway", "ordering", "catalog", "cart", "payments", "projector"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		spans := sink.trace(traceID)
		services := map[string]bool{}
		var appends, projected int
		for _, e := range spans {
			services[e.service] = true
			switch name := e.span.GetName(); {
			case name == "es.append":
				appends++
			case strings.HasPrefix(name, "projector.apply ") && e.span.GetKind() == tracev1.Span_SPAN_KIND_CONSUMER:
				projected++
			}
		}
		publishes := 0
		for _, e := range sink.linking(traceID) {
			if strings.HasPrefix(e.span.GetName(), "publish ") {
				publishes++
			}
		}
		var missing []string
		for _, s := range wantServices {
			if !services[s] {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 && appends >= 3 && publishes >= 2 && projected >= 1 {
			t.Logf("trace %s: %d spans from %v; %d appends, %d publishes, %d projector spans", traceID, len(spans),
				slices.Sorted(func(yield func(string) bool) {
					for s := range services {
						if !yield(s) {
							return
						}
					}
				}), appends, publishes, projected)
			break
		}
		if time.Now().After(deadline) {
			names := map[string]int{}
			for _, e := range spans {
				names[e.service+": "+e.span.GetName()]++
			}
			t.Fatalf("trace %s after 30s: missing services %v, %d appends, %d publishes, %d projector spans; spans: %v",
				traceID, missing, appends, publishes, projected, names)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// One trace: the spans of the trace hang together (every parent is in it, but the root's).
	// A parent still open, or not yet exported by its process, shows up a moment later.
	roots := func() int {
		spans := sink.trace(traceID)
		ids := map[string]bool{}
		for _, e := range spans {
			ids[hex.EncodeToString(e.span.GetSpanId())] = true
		}
		n := 0
		for _, e := range spans {
			if p := hex.EncodeToString(e.span.GetParentSpanId()); p == "" || !ids[p] {
				n++
			}
		}
		return n
	}
	for end := time.Now().Add(10 * time.Second); roots() != 1 && time.Now().Before(end); {
		time.Sleep(200 * time.Millisecond)
	}
	if n := roots(); n != 1 {
		var orphans []string
		spans := sink.trace(traceID)
		ids := map[string]bool{}
		for _, e := range spans {
			ids[hex.EncodeToString(e.span.GetSpanId())] = true
		}
		for _, e := range spans {
			if p := hex.EncodeToString(e.span.GetParentSpanId()); p == "" || !ids[p] {
				orphans = append(orphans, e.service+": "+e.span.GetName())
			}
		}
		t.Errorf("the trace has %d roots, want 1 (the gateway's request): %v", n, orphans)
	}
}
