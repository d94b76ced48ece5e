package relay

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
)

const instrumentationName = "github.com/storefront/storefront/platform/relay"

// Metric names, for dashboards and alerts.
const (
	MetricPublished    = "relay.events.published"       // counter of acknowledged events; attribute relay.duplicate
	MetricLagEvents    = "relay.lag.events"             // gauge: Head.Global − checkpoint.Global
	MetricLagSeconds   = "relay.lag.seconds"            // gauge: age of the oldest unpublished event
	MetricPublishToAck = "relay.publish.duration"       // histogram: publish → ack, seconds
	MetricCommitToAck  = "relay.commit_to_ack.duration" // histogram: event commit → ack, seconds
)

// maxLinks caps the links of a batch span (the SDK's default span limit).
const maxLinks = 128

// instruments are the relay's metrics and tracer.
type instruments struct {
	meter          metric.Meter
	tracer         trace.Tracer
	propagator     propagation.TextMapPropagator
	attrs          metric.MeasurementOption
	spanAttrs      []attribute.KeyValue
	published      metric.Int64Counter
	lagEvents      metric.Int64ObservableGauge
	lagSeconds     metric.Float64ObservableGauge
	publishLatency metric.Float64Histogram
	commitLatency  metric.Float64Histogram
}

func newInstruments(mp metric.MeterProvider, tp trace.TracerProvider, prop propagation.TextMapPropagator, cfg Config) (*instruments, error) {
	in := &instruments{
		meter:      mp.Meter(instrumentationName),
		tracer:     tp.Tracer(instrumentationName),
		propagator: prop,
		spanAttrs: []attribute.KeyValue{
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", natsbus.StreamName(cfg.Context)),
			attribute.String("relay.schema", cfg.Schema),
		},
	}
	in.attrs = metric.WithAttributes(
		attribute.String("messaging.destination.name", natsbus.StreamName(cfg.Context)),
		attribute.String("relay.schema", cfg.Schema),
	)
	latencyBuckets := metric.WithExplicitBucketBoundaries(
		0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
	var err error
	if in.published, err = in.meter.Int64Counter(MetricPublished, metric.WithUnit("{event}"),
		metric.WithDescription("Events published to JetStream and acknowledged")); err != nil {
		return nil, fmt.Errorf("relay: metric %s: %w", MetricPublished, err)
	}
	if in.lagEvents, err = in.meter.Int64ObservableGauge(MetricLagEvents, metric.WithUnit("{event}"),
		metric.WithDescription("Events the store holds beyond the relay's checkpoint (Head.Global - checkpoint.Global)")); err != nil {
		return nil, fmt.Errorf("relay: metric %s: %w", MetricLagEvents, err)
	}
	if in.lagSeconds, err = in.meter.Float64ObservableGauge(MetricLagSeconds, metric.WithUnit("s"),
		metric.WithDescription("Age of the oldest event not yet published, 0 when caught up")); err != nil {
		return nil, fmt.Errorf("relay: metric %s: %w", MetricLagSeconds, err)
	}
	if in.publishLatency, err = in.meter.Float64Histogram(MetricPublishToAck, metric.WithUnit("s"), latencyBuckets,
		metric.WithDescription("Time from publishing an event to its JetStream ack")); err != nil {
		return nil, fmt.Errorf("relay: metric %s: %w", MetricPublishToAck, err)
	}
	if in.commitLatency, err = in.meter.Float64Histogram(MetricCommitToAck, metric.WithUnit("s"), latencyBuckets,
		metric.WithDescription("Time from an event's commit in the store to its first JetStream ack")); err != nil {
		return nil, fmt.Errorf("relay: metric %s: %w", MetricCommitToAck, err)
	}
	return in, nil
}

// observeLag registers the lag gauges' callback, which reports p while this relay leads.
func (in *instruments) observeLag(p *progress) (metric.Registration, error) {
	return in.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		lead, events, age := p.lag(time.Now())
		if lead {
			o.ObserveInt64(in.lagEvents, events, in.attrs)
			o.ObserveFloat64(in.lagSeconds, age.Seconds(), in.attrs)
		}
		return nil
	}, in.lagEvents, in.lagSeconds)
}

// acked records an event's ack.
func (in *instruments) acked(ctx context.Context, ev es.RecordedEvent, sent, at time.Time, duplicate bool) {
	in.published.Add(ctx, 1, in.attrs, metric.WithAttributes(attribute.Bool("relay.duplicate", duplicate)))
	in.publishLatency.Record(ctx, at.Sub(sent).Seconds(), in.attrs)
	if !duplicate {
		in.commitLatency.Record(ctx, at.Sub(ev.RecordedAt).Seconds(), in.attrs)
	}
}

// startBatch starts the span of a published batch, linked to the trace of each event's
// request (from its metadata), so a user action's trace leads to the publish of its events.
func (in *instruments) startBatch(ctx context.Context, stream string, evs []es.RecordedEvent) (context.Context, trace.Span) {
	var links []trace.Link
	type spanKey struct {
		trace trace.TraceID
		span  trace.SpanID
	}
	seen := map[spanKey]bool{}
	for _, ev := range evs {
		if len(links) == maxLinks {
			break
		}
		if ev.Metadata.TraceParent == "" {
			continue
		}
		carrier := propagation.MapCarrier{natsbus.HeaderTraceParent: ev.Metadata.TraceParent}
		if ev.Metadata.TraceState != "" {
			carrier[natsbus.HeaderTraceState] = ev.Metadata.TraceState
		}
		sc := trace.SpanContextFromContext(in.propagator.Extract(context.Background(), carrier))
		key := spanKey{sc.TraceID(), sc.SpanID()}
		if !sc.IsValid() || seen[key] {
			continue
		}
		seen[key] = true
		links = append(links, trace.Link{SpanContext: sc})
	}
	return in.tracer.Start(ctx, "publish "+stream,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithLinks(links...),
		trace.WithAttributes(in.spanAttrs...),
		trace.WithAttributes(
			attribute.Int("messaging.batch.message_count", len(evs)),
			attribute.String("relay.from", evs[0].Position.String()),
			attribute.String("relay.to", evs[len(evs)-1].Position.String()),
		))
}

// endBatch ends a batch span with the number of events acknowledged and the failure, if any.
func endBatch(span trace.Span, acked int, err error) {
	span.SetAttributes(attribute.Int("relay.acked", acked))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "publish failed")
	}
	span.End()
}

// progress is what this relay knows of its position, for the lag gauges. Safe for
// concurrent use.
type progress struct {
	mu         sync.Mutex
	leader     bool
	checkpoint es.Position
	head       es.Position
	oldest     time.Time // RecordedAt of the oldest unpublished event; zero when caught up
}

func (p *progress) setLeader(v bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.leader = v
}

func (p *progress) isLeader() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leader
}

// read records a batch read after checkpoint cp while the store's head is head.
func (p *progress) read(cp, head es.Position, first es.RecordedEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint, p.head, p.oldest = cp, head, first.RecordedAt
}

// checkpointed records a new checkpoint; next is the oldest event still unpublished, if known.
func (p *progress) checkpointed(cp es.Position, next *es.RecordedEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint = cp
	if next != nil {
		p.oldest = next.RecordedAt
	}
}

// caughtUp records that nothing after cp can be read.
func (p *progress) caughtUp(cp es.Position) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint, p.head, p.oldest = cp, cp, time.Time{}
}

// lag returns whether this relay leads, and its lag in events and in time.
func (p *progress) lag(now time.Time) (leader bool, events int64, age time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.oldest.IsZero() {
		age = max(now.Sub(p.oldest), 0)
	}
	return p.leader, max(p.head.Global-p.checkpoint.Global, 0), age
}
