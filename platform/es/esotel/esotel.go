// Package esotel instruments an event store with OpenTelemetry: a span per append and read,
// and the append latency histogram and appended-events counter that dashboards watch.
package esotel

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/storefront/storefront/platform/es"
)

// Metric names.
const (
	MetricAppendDuration = "storefront.es.append.duration"
	MetricEventsAppended = "storefront.es.events.appended"
)

// Full is a store with every optional capability, as es/postgres and es/memstore are.
type Full interface {
	es.Store
	es.SnapshotStore
	es.ClaimReader
}

// Store is an instrumented Full store.
type Store struct {
	inner    Full
	tracer   trace.Tracer
	duration metric.Float64Histogram
	appended metric.Int64Counter
	attrs    metric.MeasurementOption
}

// Instrument wraps inner; name labels the metrics (the owning context, e.g. "identity").
func Instrument(inner Full, name string, mp metric.MeterProvider, tp trace.TracerProvider) (*Store, error) {
	m := mp.Meter("github.com/storefront/storefront/platform/es")
	duration, err := m.Float64Histogram(MetricAppendDuration, metric.WithUnit("s"),
		metric.WithDescription("Time to append events, from call to commit."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1))
	if err != nil {
		return nil, err
	}
	appended, err := m.Int64Counter(MetricEventsAppended, metric.WithDescription("Events appended."))
	if err != nil {
		return nil, err
	}
	return &Store{inner: inner, tracer: tp.Tracer("github.com/storefront/storefront/platform/es"),
		duration: duration, appended: appended, attrs: metric.WithAttributes(attribute.String("store", name))}, nil
}

// Append implements es.Appender.
func (s *Store) Append(ctx context.Context, stream string, expected es.ExpectedVersion, events []es.EventData, opts ...es.AppendOption) (es.AppendResult, error) {
	ctx, span := s.tracer.Start(ctx, "es.append", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("es.stream", stream), attribute.Int("es.events", len(events))))
	defer span.End()
	start := time.Now()
	res, err := s.inner.Append(ctx, stream, expected, events, opts...)
	outcome := "ok"
	switch {
	case err == nil:
		// By type: the event types are a fixed, small set, and their rates are the business
		// dashboards (the checkout funnel: OrderPlaced, OrderPaid, OrderCancelled, ...).
		for _, e := range events {
			s.appended.Add(ctx, 1, s.attrs, metric.WithAttributes(attribute.String("type", shortType(e.Type))))
		}
	case errors.Is(err, es.ErrConcurrency):
		outcome = "conflict"
	case errors.Is(err, es.ErrDuplicate):
		outcome = "duplicate"
	default:
		outcome = "error"
		span.RecordError(err)
		span.SetStatus(codes.Error, "append failed")
	}
	s.duration.Record(ctx, time.Since(start).Seconds(), s.attrs, metric.WithAttributes(attribute.String("outcome", outcome)))
	return res, err
}

// ReadStream implements es.StreamReader.
func (s *Store) ReadStream(ctx context.Context, stream string, from int64, max int) ([]es.RecordedEvent, error) {
	ctx, span := s.tracer.Start(ctx, "es.read_stream", trace.WithAttributes(attribute.String("es.stream", stream)))
	defer span.End()
	return s.inner.ReadStream(ctx, stream, from, max)
}

// ReadStreamBackward implements es.StreamReader.
func (s *Store) ReadStreamBackward(ctx context.Context, stream string, from int64, max int) ([]es.RecordedEvent, error) {
	ctx, span := s.tracer.Start(ctx, "es.read_stream_backward", trace.WithAttributes(attribute.String("es.stream", stream)))
	defer span.End()
	return s.inner.ReadStreamBackward(ctx, stream, from, max)
}

// ReadAll implements es.LogReader (not traced: relays and rebuilds call it in tight loops).
func (s *Store) ReadAll(ctx context.Context, after es.Position, max int) ([]es.RecordedEvent, error) {
	return s.inner.ReadAll(ctx, after, max)
}

// Head implements es.LogReader.
func (s *Store) Head(ctx context.Context) (es.Position, error) { return s.inner.Head(ctx) }

// SaveSnapshot implements es.SnapshotStore.
func (s *Store) SaveSnapshot(ctx context.Context, snap es.Snapshot) error {
	return s.inner.SaveSnapshot(ctx, snap)
}

// LoadSnapshot implements es.SnapshotStore.
func (s *Store) LoadSnapshot(ctx context.Context, stream string) (es.Snapshot, error) {
	return s.inner.LoadSnapshot(ctx, stream)
}

// ClaimOwner implements es.ClaimReader.
func (s *Store) ClaimOwner(ctx context.Context, c es.Claim) (string, error) {
	ctx, span := s.tracer.Start(ctx, "es.claim_owner", trace.WithAttributes(attribute.String("es.scope", c.Scope)))
	defer span.End()
	return s.inner.ClaimOwner(ctx, c)
}

// shortType is an event type without its package ("storefront.ordering.v1.OrderPlaced" →
// "OrderPlaced"); the store label says which context it is.
func shortType(t string) string {
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		return t[i+1:]
	}
	return t
}
