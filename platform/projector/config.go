package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
)

// Config wires a Runtime. Zero fields take the defaults documented on them.
type Config struct {
	// Pool is the database of the read models: it holds the projector schema (Migrations),
	// the generation schemas and the read schemas. Required.
	Pool *pgxpool.Pool
	// JetStream is where live events come from. Required by Run; Rebuild does not use it.
	JetStream jetstream.JetStream
	// Stores gives, for each bounded context, read access to its event log: rebuilds read
	// it from position zero. Every context of every projection needs one.
	Stores map[string]es.LogReader

	// Logger receives the runtime's log lines. Default: discard.
	Logger *slog.Logger
	// MeterProvider, TracerProvider and Propagator report metrics and traces and read the
	// W3C trace context from message headers. Defaults: no-op providers, and the W3C
	// TraceContext propagator.
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
	Propagator     propagation.TextMapPropagator

	// StreamName maps a context to its JetStream stream. Default natsbus.StreamName.
	StreamName func(context string) string
	// ConsumerPrefix is prepended to a projection's name to name its durable consumers.
	// Default "projector_".
	ConsumerPrefix string

	// BatchSize is the most messages applied in one transaction. The consumer pulls
	// continuously (up to twice this many ahead, within MaxAckPending) and applies whatever
	// has arrived, so a batch is full only under load. Default 1000.
	BatchSize int
	// FetchWait is how long the consumer waits for a message before its periodic chores
	// (sampling the lag). Default 1s.
	FetchWait time.Duration
	// AckWait is how long JetStream waits for an ack before redelivering a message (a
	// consumer that crashed mid-batch). Batches are kept alive while they run. Default 30s.
	AckWait time.Duration
	// MaxDeliver bounds the deliveries of a message. On its last delivery an event that
	// still cannot be applied in order is parked instead of NAK'd. Default 10, minimum 2.
	MaxDeliver int
	// Backoff are the NAK delays of the messages of a batch that failed as a whole (the
	// database was unavailable, say), by delivery count; the last one repeats. Default 1s,
	// 5s, 30s, 1m.
	Backoff []time.Duration
	// MaxAckPending bounds the unacknowledged messages of a consumer. Default 2×BatchSize
	// (one batch applying, the next arriving), and at least BatchSize.
	MaxAckPending int
	// RetryDelays are the pauses between the attempts at an event whose handler failed,
	// retried alone; after len(RetryDelays)+1 consecutive failures it is parked. Default
	// 100ms, 500ms, 2s.
	RetryDelays []time.Duration
	// GapDelay is the first NAK delay of an event that arrived ahead of a missing earlier
	// version of its stream; it doubles with each delivery, up to a minute, so that the
	// wait outlasts a redelivery after AckWait. With MaxDeliver, it bounds how long a stream
	// waits for a missing version before the event is parked. Default 1s.
	GapDelay time.Duration
	// AsyncCommit makes live batches commit with synchronous_commit = off: faster, but a
	// PostgreSQL crash (not a projector crash) can then lose the last batches after they
	// were acknowledged. Their streams would stall on the gap and be parked
	// (ReasonOutOfOrder) until a rebuild. Default false. Rebuild batches always commit
	// asynchronously: their read position commits with them, so a lost tail is re-read.
	AsyncCommit bool
	// RebuildBatchSize is how many events a rebuild reads and commits at a time. Default 2000.
	RebuildBatchSize int
	// LagInterval is how often a consumer's pending count, position and oldest pending
	// message are sampled and recorded. Default 5s.
	LagInterval time.Duration
	// RequestInterval is how often Run looks for operators' requests: rebuilds asked for its
	// projections, and redrives or discards asked for their dead letters. Default 1s.
	RequestInterval time.Duration

	// Committed, if set, is told that a projection's read model changed for readers: after
	// each live batch of it that committed, and after a rebuild switched a new generation
	// in. It is never called before the change is visible, so a cache of the read model can
	// be invalidated from it (the catalog's page cache, decision 013). It runs on the
	// consumer's goroutine before the batch's messages are acknowledged: it must return
	// quickly, and it cannot fail or retry the batch. Default: nothing.
	Committed func(ctx context.Context, projection string)
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MeterProvider == nil {
		c.MeterProvider = metricnoop.NewMeterProvider()
	}
	if c.TracerProvider == nil {
		c.TracerProvider = tracenoop.NewTracerProvider()
	}
	if c.Propagator == nil {
		c.Propagator = propagation.TraceContext{}
	}
	if c.StreamName == nil {
		c.StreamName = natsbus.StreamName
	}
	if c.ConsumerPrefix == "" {
		c.ConsumerPrefix = "projector_"
	}
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.FetchWait == 0 {
		c.FetchWait = time.Second
	}
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = 10
	}
	if c.Backoff == nil {
		c.Backoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, time.Minute}
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 2 * c.BatchSize
	}
	if c.RetryDelays == nil {
		c.RetryDelays = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}
	}
	if c.GapDelay == 0 {
		c.GapDelay = time.Second
	}
	if c.RebuildBatchSize == 0 {
		c.RebuildBatchSize = 2000
	}
	if c.RequestInterval <= 0 {
		c.RequestInterval = time.Second
	}
	if c.LagInterval == 0 {
		c.LagInterval = 5 * time.Second
	}
}

// Validate reports every problem of the configuration once defaults are applied.
func (c Config) Validate() error {
	c.setDefaults()
	var errs []error
	if c.Pool == nil {
		errs = append(errs, errors.New("a Pool is required"))
	}
	if c.BatchSize < 1 || c.RebuildBatchSize < 1 {
		errs = append(errs, fmt.Errorf("BatchSize (%d) and RebuildBatchSize (%d) must be ≥ 1", c.BatchSize, c.RebuildBatchSize))
	}
	if c.MaxDeliver < 2 {
		errs = append(errs, fmt.Errorf("MaxDeliver %d, want ≥ 2", c.MaxDeliver))
	}
	if c.MaxAckPending < max(1, c.BatchSize) {
		errs = append(errs, fmt.Errorf("MaxAckPending %d, want ≥ BatchSize (%d)", c.MaxAckPending, c.BatchSize))
	}
	if c.FetchWait < 0 || c.AckWait < time.Second || c.GapDelay < 0 || c.LagInterval < 0 {
		errs = append(errs, errors.New("durations must not be negative, and AckWait must be ≥ 1s"))
	}
	for _, d := range append(c.RetryDelays, c.Backoff...) {
		if d < 0 {
			errs = append(errs, errors.New("RetryDelays and Backoff must not be negative"))
			break
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("projector: config: %w", errors.Join(errs...))
	}
	return nil
}

// backoffDelay is the NAK delay of a message whose batch failed, after n deliveries.
func (c *Config) backoffDelay(n uint64) time.Duration {
	if len(c.Backoff) == 0 {
		return 0
	}
	return c.Backoff[min(max(n, 1), uint64(len(c.Backoff)))-1]
}

// gapDelay is the NAK delay of an out-of-order event after n deliveries: GapDelay doubled
// n-1 times, at most a minute (or GapDelay, if larger).
func (c *Config) gapDelay(n uint64) time.Duration {
	d, limit := c.GapDelay, max(c.GapDelay, time.Minute)
	for i := uint64(1); i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// CommittedCounterKey is the Redis key (after the deployment's prefix) of a projection's
// commit counter: the projector process increments it from Config.Committed after every
// committed live batch and every generation switch, so its value changes only after a change
// of the read model became visible to readers. Caches of a read model key their entries with
// it (services/catalog's page cache, decision 013). Writer and readers use this one spelling.
func CommittedCounterKey(projection string) string { return "projector:" + projection + ":committed" }
