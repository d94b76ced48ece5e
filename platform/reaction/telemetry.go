package reaction

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Metric names (the Prometheus exporter writes them as reaction_consumer_pending and
// reaction_events_parked_total): what the alerts of deploy/monitoring watch.
const (
	MetricPending = "reaction.consumer.pending"
	MetricParked  = "reaction.events.parked"
)

// instruments are a runner's metrics: per reaction, the messages its consumer has not yet
// settled (waiting plus delivered and unacknowledged: a saga that stops moving shows here),
// and the events it parked (recorded from zero, so rate() and "> 0" alerts work from the
// start).
type instruments struct {
	parked metric.Int64Counter

	mu        sync.Mutex
	consumers map[string]jetstream.Consumer
}

func newInstruments(mp metric.MeterProvider, reactions []Reaction) (*instruments, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	meter := mp.Meter("github.com/storefront/storefront/platform/reaction")
	in := &instruments{consumers: map[string]jetstream.Consumer{}}
	var err error
	if in.parked, err = meter.Int64Counter(MetricParked, metric.WithUnit("{event}"),
		metric.WithDescription("Events a reaction parked in the dead letters after its retries.")); err != nil {
		return nil, err
	}
	for _, re := range reactions {
		in.parked.Add(context.Background(), 0, metric.WithAttributes(attribute.String("reaction", re.Name)))
	}
	pending, err := meter.Int64ObservableGauge(MetricPending, metric.WithUnit("{message}"),
		metric.WithDescription("Messages a reaction's consumer has not settled: not yet delivered plus delivered and not acknowledged."))
	if err != nil {
		return nil, err
	}
	_, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		in.mu.Lock()
		consumers := make(map[string]jetstream.Consumer, len(in.consumers))
		for name, c := range in.consumers {
			consumers[name] = c
		}
		in.mu.Unlock()
		for name, c := range consumers {
			ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
			info, err := c.Info(ictx)
			cancel()
			if err != nil {
				continue // the consumer is being recreated: no figure rather than a wrong one
			}
			o.ObserveInt64(pending, int64(info.NumPending)+int64(info.NumAckPending), metric.WithAttributes(attribute.String("reaction", name)))
		}
		return nil
	}, pending)
	return in, err
}

func (in *instruments) consumer(name string, c jetstream.Consumer) {
	in.mu.Lock()
	in.consumers[name] = c
	in.mu.Unlock()
}

func (in *instruments) parkedOne(ctx context.Context, reaction string) {
	in.parked.Add(ctx, 1, metric.WithAttributes(attribute.String("reaction", reaction)))
}
