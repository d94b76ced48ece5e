package projector

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instrumentation is the scope name of the runtime's meter and tracer.
const instrumentation = "github.com/storefront/storefront/platform/projector"

// metrics are the runtime's instruments. The gauges read gauges, which the consumers and
// rebuilds of this process keep up to date.
type metrics struct {
	applied     metric.Int64Counter
	redelivered metric.Int64Counter
	parked      metric.Int64Counter
	retried     metric.Int64Counter
	batch       metric.Float64Histogram

	mu       sync.Mutex
	lag      map[[2]string]int64 // (projection, context) → pending messages
	rebuilds map[string]Progress // projection → progress of a rebuild running here
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	m := &metrics{lag: map[[2]string]int64{}, rebuilds: map[string]Progress{}}
	meter := mp.Meter(instrumentation)
	var err error
	if m.applied, err = meter.Int64Counter("projector.events.applied", metric.WithUnit("{event}"),
		metric.WithDescription("Events applied to a projection (mode: live or rebuild).")); err != nil {
		return nil, err
	}
	if m.redelivered, err = meter.Int64Counter("projector.events.redelivered", metric.WithUnit("{message}"),
		metric.WithDescription("Messages JetStream delivered more than once to a projection's consumer.")); err != nil {
		return nil, err
	}
	if m.parked, err = meter.Int64Counter("projector.events.parked", metric.WithUnit("{event}"),
		metric.WithDescription("Events parked by a projection, by reason.")); err != nil {
		return nil, err
	}
	if m.retried, err = meter.Int64Counter("projector.batches.retried", metric.WithUnit("{batch}"),
		metric.WithDescription("Attempts at live batches rolled back and redone, by reason: mispredicted (a stream record was not as the batch predicted it: a redelivery, a gap, another replica; redone with the records read), conflict (another consumer changed a record the batch read; redone carefully), handler_failed (redone with the records read after a prediction, else event by event).")); err != nil {
		return nil, err
	}
	if m.batch, err = meter.Float64Histogram("projector.batch.duration", metric.WithUnit("s"),
		metric.WithDescription("Time to apply and commit one batch.")); err != nil {
		return nil, err
	}
	lag, err := meter.Int64ObservableGauge("projector.consumer.lag", metric.WithUnit("{message}"),
		metric.WithDescription("Messages of a context not yet delivered to the projection's consumer (consumer info num_pending)."))
	if err != nil {
		return nil, err
	}
	position, err := meter.Int64ObservableGauge("projector.rebuild.position", metric.WithUnit("{event}"),
		metric.WithDescription("How far a running rebuild has read the event stores."))
	if err != nil {
		return nil, err
	}
	total, err := meter.Int64ObservableGauge("projector.rebuild.total", metric.WithUnit("{event}"),
		metric.WithDescription("The event stores' head, as a running rebuild last saw it."))
	if err != nil {
		return nil, err
	}
	rate, err := meter.Float64ObservableGauge("projector.rebuild.rate", metric.WithUnit("{event}/s"),
		metric.WithDescription("Events per second applied by a running rebuild."))
	if err != nil {
		return nil, err
	}
	eta, err := meter.Float64ObservableGauge("projector.rebuild.eta", metric.WithUnit("s"),
		metric.WithDescription("Estimated time until a running rebuild catches up."))
	if err != nil {
		return nil, err
	}
	_, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		for k, v := range m.lag {
			o.ObserveInt64(lag, v, metric.WithAttributes(attribute.String("projection", k[0]), attribute.String("context", k[1])))
		}
		for name, p := range m.rebuilds {
			attrs := metric.WithAttributes(attribute.String("projection", name))
			o.ObserveInt64(position, p.Position, attrs)
			o.ObserveInt64(total, p.Total, attrs)
			o.ObserveFloat64(rate, p.EventsPerSecond, attrs)
			o.ObserveFloat64(eta, p.ETASeconds, attrs)
		}
		return nil
	}, lag, position, total, rate, eta)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) setLag(projection, context string, pending int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lag[[2]string{projection, context}] = pending
}

func (m *metrics) setRebuild(p Progress, running bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if running {
		m.rebuilds[p.Projection] = p
	} else {
		delete(m.rebuilds, p.Projection)
	}
}
