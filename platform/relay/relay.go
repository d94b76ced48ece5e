// Package relay publishes an event store's events to NATS JetStream with no dual write: the
// event log is the outbox.
//
// A Relay tails one store's gap-safe global order (es.LogReader.ReadAll from its checkpoint),
// publishes each event on natsbus.Subject with the natsbus envelope (Nats-Msg-Id = event id),
// waits for JetStream's acks and then checkpoints its position in the relay_checkpoints table
// of the store's schema (see Migrations). Delivery is at least once: a crash at any point
// loses nothing, and an event published again after a restart is dropped by JetStream's
// duplicate window, or by the idempotent consumers beyond it. Each stream's events are
// published in version order, even across failed publishes.
//
// One relay publishes per store: replicas compete for a PostgreSQL session advisory lock held
// on a dedicated connection; the others stand by and take over within LeaseRetryInterval of
// the leader's session ending. Checkpoints are written through the lock's connection, so a
// relay that lost its lease cannot move them. Appends wake the leader through the store's
// LISTEN/NOTIFY channel; it also polls, in case a notification is missed.
//
// See docs/decisions/003-relay.md.
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
)

// Deps are a Relay's collaborators. Store, DB and NATS are required; the others default to
// a silent logger and no-op telemetry.
type Deps struct {
	// Log receives the relay's lifecycle events and failure streaks.
	Log *slog.Logger
	// Store is the event log to publish, in its global order.
	Store es.LogReader
	// DB is a pool on the database holding the store's schema. The relay reads its checkpoint
	// through it, and opens its dedicated connections (lease, LISTEN) with its configuration.
	DB *pgxpool.Pool
	// NATS is the connection to publish on. The relay makes its own JetStream client on it.
	NATS *nats.Conn
	// Meter, Tracer and Propagator report the relay's metrics and batch spans; Propagator
	// reads the W3C trace context of the events' metadata.
	Meter      metric.MeterProvider
	Tracer     trace.TracerProvider
	Propagator propagation.TextMapPropagator
}

// Relay publishes one event store's events to its context's JetStream stream. Create it with
// New and call Run once.
type Relay struct {
	cfg     Config
	log     *slog.Logger
	store   es.LogReader
	db      *pgxpool.Pool
	js      jetStream
	tel     *instruments
	stream  string
	channel string
	sql     statements
	state   progress
	running atomic.Bool
}

// New checks cfg and deps and returns a relay ready to Run. It does no I/O.
func New(cfg Config, deps Deps) (*Relay, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if deps.NATS == nil {
		return nil, errors.New("relay: Deps.NATS is required")
	}
	js, err := jetstream.New(deps.NATS,
		jetstream.WithPublishAsyncMaxPending(cfg.MaxInFlight),
		jetstream.WithPublishAsyncTimeout(cfg.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("relay: jetstream client: %w", err)
	}
	return newRelay(cfg, deps, js)
}

func newRelay(cfg Config, deps Deps, js jetStream) (*Relay, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	switch {
	case deps.Store == nil:
		return nil, errors.New("relay: Deps.Store is required")
	case deps.DB == nil:
		return nil, errors.New("relay: Deps.DB is required")
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Meter == nil {
		deps.Meter = metricnoop.NewMeterProvider()
	}
	if deps.Tracer == nil {
		deps.Tracer = tracenoop.NewTracerProvider()
	}
	if deps.Propagator == nil {
		deps.Propagator = propagation.TraceContext{}
	}
	tel, err := newInstruments(deps.Meter, deps.Tracer, deps.Propagator, cfg)
	if err != nil {
		return nil, err
	}
	return &Relay{
		cfg:     cfg,
		log:     deps.Log.With("relay", cfg.Context, "schema", cfg.Schema),
		store:   deps.Store,
		db:      deps.DB,
		js:      js,
		tel:     tel,
		stream:  natsbus.StreamName(cfg.Context),
		channel: postgres.NotifyChannel(cfg.Schema),
		sql:     newStatements(cfg.Schema),
	}, nil
}

// Run competes for the lease and, while it holds it, publishes. It retries every failure
// (Postgres, NATS, a lost lease) with backoff and returns only when ctx ends: nil then, or an
// error if Run was already running. Cancelling ctx stops publishing and releases the lease.
func (r *Relay) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("relay: Run called twice")
	}
	defer r.running.Store(false)
	reg, err := r.tel.observeLag(&r.state)
	if err != nil {
		return fmt.Errorf("relay: register lag gauges: %w", err)
	}
	defer func() { _ = reg.Unregister() }()

	for ctx.Err() == nil {
		l, err := r.acquire(ctx)
		if err != nil {
			break
		}
		err = r.lead(ctx, l)
		l.close()
		if errors.Is(err, errLeaseLost) {
			r.log.ErrorContext(ctx, "relay: lease lost, stopped publishing", "err", err)
			// Our session may be gone with its lock: let a healthy standby go first.
			sleep(ctx, r.cfg.LeaseRetryInterval)
		}
	}
	r.log.Info("relay: stopped")
	return nil
}

// lead publishes while l is held. It returns errLeaseLost (wrapped) when the lease broke, or
// nil when ctx ended.
func (r *Relay) lead(ctx context.Context, l *lease) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wake := make(chan struct{}, 1)
	listening := make(chan struct{})
	wg.Go(func() { r.watchLease(ctx, cancel, l) })
	wg.Go(func() { r.listen(ctx, wake, listening) })

	r.state.setLeader(true)
	r.log.InfoContext(ctx, "relay: lease taken, publishing")
	err := r.publishLoop(ctx, l, wake, listening)
	r.state.setLeader(false)
	if err != nil {
		cancel(err)
	}
	cancel(nil)
	wg.Wait()
	if cause := context.Cause(ctx); errors.Is(cause, errLeaseLost) {
		return cause
	}
	return nil
}

// maxSoon bounds the quick re-reads that follow a notification.
const maxSoon = 500 * time.Millisecond

// publishLoop is the leader's work: ensure the stream, then read, publish, checkpoint, until
// ctx ends (nil) or the lease breaks (errLeaseLost).
func (r *Relay) publishLoop(ctx context.Context, l *lease, wake <-chan struct{}, listening <-chan struct{}) error {
	// LISTEN before the first read: an append either precedes the read or notifies.
	select {
	case <-listening:
	case <-ctx.Done():
		return nil
	}
	for retry := r.retrier("ensure the JetStream stream"); ; {
		err := r.ensureStream(ctx)
		if err == nil {
			retry.ok()
			break
		}
		if !retry.fail(ctx, err) {
			return nil
		}
	}
	var cp es.Position
	for retry := r.retrier("load the checkpoint"); ; {
		var err error
		if cp, _, err = r.loadCheckpoint(ctx); err == nil {
			retry.ok()
			break
		}
		if !retry.fail(ctx, err) {
			return nil
		}
	}
	r.log.InfoContext(ctx, "relay: resuming", "checkpoint", cp)

	var (
		readRetry    = r.retrier("read the event log")
		publishRetry = r.retrier("publish to JetStream")
		// After a notification whose events ReadAll holds back (an older transaction is still
		// running), re-read soon rather than at the next poll: after 10ms, doubling up to
		// maxSoon.
		soon time.Duration
	)
	for {
		evs, err := r.store.ReadAll(ctx, cp, r.cfg.BatchSize)
		if err != nil {
			if !readRetry.fail(ctx, fmt.Errorf("relay: read the log after %v: %w", cp, err)) {
				return nil
			}
			continue
		}
		readRetry.ok()
		if len(evs) == 0 {
			r.state.caughtUp(cp)
			wait := r.cfg.PollInterval
			if soon > 0 {
				wait, soon = soon, soon*2
				if soon > min(maxSoon, r.cfg.PollInterval) {
					soon = 0
				}
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-wake:
				soon = 10 * time.Millisecond
			case <-t.C:
			}
			t.Stop()
			continue
		}

		head, err := r.store.Head(ctx)
		if err != nil {
			head = evs[len(evs)-1].Position // the lag gauge only
		}
		r.state.read(cp, head, evs[0])

		n, perr := r.publishBatch(ctx, evs)
		r.log.DebugContext(ctx, "relay: batch published", "read", len(evs), "acked", n, "from", evs[0].Position, "err", perr)
		if n > 0 {
			next := evs[n-1].Position
			if ctx.Err() != nil {
				// Stopping: record what JetStream acknowledged, once, so the next leader
				// republishes less. Failing is harmless.
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				_ = l.save(sctx, r.cfg.Context, next)
				cancel()
				return nil
			}
			if err := r.checkpoint(ctx, l, next); err != nil {
				return err
			}
			cp = next
			var pending *es.RecordedEvent
			if n < len(evs) {
				pending = &evs[n]
			}
			r.state.checkpointed(cp, pending)
		}
		if perr != nil {
			if !publishRetry.fail(ctx, perr) {
				return nil
			}
			continue
		}
		publishRetry.ok()
	}
}

// checkpoint saves p through the lease connection, retrying a statement error. It returns
// errLeaseLost (wrapped) if the connection broke, nil once saved, or nil when ctx ended.
func (r *Relay) checkpoint(ctx context.Context, l *lease, p es.Position) error {
	retry := r.retrier("save the checkpoint")
	for {
		err := l.save(ctx, r.cfg.Context, p)
		switch {
		case err == nil:
			retry.ok()
			return nil
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errLeaseLost):
			return err
		}
		if !retry.fail(ctx, err) {
			return nil
		}
	}
}

// listen holds a LISTEN on the store's notify channel while ctx lives and signals wake for
// each notification. It closes listening after its first attempt, successful or not (the
// poll covers a failed one), and reconnects with backoff when its connection breaks.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}, listening chan<- struct{}) {
	signal := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	ready := sync.OnceFunc(func() { close(listening) })
	defer ready()
	retry := r.retrier("listen for appends")
	for reconnect := false; ctx.Err() == nil; reconnect = true {
		conn, err := r.connect(ctx, "listen")
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{r.channel}.Sanitize()); err != nil {
				closeConn(conn)
				err = fmt.Errorf("relay: listen on %s: %w", r.channel, err)
			}
		}
		ready()
		if err != nil {
			if !retry.fail(ctx, err) {
				return
			}
			continue
		}
		retry.ok()
		if reconnect {
			signal() // a notification may have come while we were not listening
		}
		for {
			if _, err = conn.WaitForNotification(ctx); err != nil {
				break
			}
			signal()
		}
		closeConn(conn)
		if !retry.fail(ctx, fmt.Errorf("relay: wait for notifications: %w", err)) {
			return
		}
	}
}

// Status is a relay's progress as its database records it.
type Status struct {
	// Leader reports whether this Relay holds the lease and publishes.
	Leader bool
	// Checkpoint is the position of the last event published and checkpointed; the zero
	// Position before the first.
	Checkpoint es.Position
	// CheckpointedAt is when the checkpoint last moved (zero before the first).
	CheckpointedAt time.Time
	// Head is the position of the last event the store can deliver now.
	Head es.Position
	// LagEvents is Head.Global − Checkpoint.Global (at least 0): roughly how many events
	// await publishing.
	LagEvents int64
	// Lag is how long the oldest event not yet published has waited since its commit; 0
	// when the relay is caught up.
	Lag time.Duration
}

// Status reads the checkpoint and the store's head now. Any replica can answer it, the
// standby included: it reads the database, not the leader's memory.
func (r *Relay) Status(ctx context.Context) (Status, error) {
	cp, at, err := r.loadCheckpoint(ctx)
	if err != nil {
		return Status{}, err
	}
	head, err := r.store.Head(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("relay: status: head: %w", err)
	}
	next, err := r.store.ReadAll(ctx, cp, 1)
	if err != nil {
		return Status{}, fmt.Errorf("relay: status: read after the checkpoint: %w", err)
	}
	s := Status{
		Leader:         r.state.isLeader(),
		Checkpoint:     cp,
		CheckpointedAt: at,
		Head:           head,
		LagEvents:      max(head.Global-cp.Global, 0),
	}
	if len(next) > 0 {
		s.Lag = max(time.Since(next[0].RecordedAt), 0)
	}
	return s, nil
}
