package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/latency"
	"github.com/storefront/storefront/bench/internal/pgwait"
	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/projector"
)

// Bounds of the live projection figure's waits.
const (
	consumeTimeout = 2 * time.Minute
	applyTimeout   = 3 * time.Minute
)

// eventIndex is the simple projection of the benchmarks: one row per event (id, stream,
// version, type, time), the shape of a list read model. Apply writes it with one INSERT,
// ApplyBatch a batch with one multi-row INSERT.
// Its no-op twin writes nothing, which leaves the runtime's own cost.
type eventIndex struct {
	name     string
	contexts []string
	noop     bool
}

var _ projector.Projection = eventIndex{}

// Name implements projector.Projection.
func (p eventIndex) Name() string { return p.name }

// Contexts implements projector.Projection.
func (p eventIndex) Contexts() []string { return p.contexts }

// DDL implements projector.Projection.
func (p eventIndex) DDL(string) string {
	return `CREATE TABLE thing_events (
		event_id    uuid PRIMARY KEY,
		stream_id   text NOT NULL,
		version     bigint NOT NULL,
		event_type  text NOT NULL,
		recorded_at timestamptz NOT NULL
	)`
}

// Apply implements projector.Projection.
func (p eventIndex) Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error {
	if p.noop {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+pgx.Identifier{schema, "thing_events"}.Sanitize()+`
		(event_id, stream_id, version, event_type, recorded_at) VALUES ($1, $2, $3, $4, $5)`,
		ev.ID, ev.StreamID, ev.Version, ev.Type, ev.RecordedAt)
	if err != nil {
		return fmt.Errorf("index event %s: %w", ev.ID, err)
	}
	return nil
}

var _ projector.BatchProjection = eventIndex{}

// ApplyBatch implements projector.BatchProjection: one multi-row INSERT per batch.
func (p eventIndex) ApplyBatch(ctx context.Context, tx pgx.Tx, schema string, evs []es.RecordedEvent) error {
	if p.noop {
		return nil
	}
	var (
		ids      = make([][16]byte, len(evs)) // not uuid.UUID: pgx would encode it through its Valuer, as text
		streams  = make([]string, len(evs))
		versions = make([]int64, len(evs))
		types    = make([]string, len(evs))
		times    = make([]time.Time, len(evs))
	)
	for i, ev := range evs {
		ids[i], streams[i], versions[i], types[i], times[i] = ev.ID, ev.StreamID, ev.Version, ev.Type, ev.RecordedAt
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+pgx.Identifier{schema, "thing_events"}.Sanitize()+`
		(event_id, stream_id, version, event_type, recorded_at)
		SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[])`,
		ids, streams, versions, types, times)
	if err != nil {
		return fmt.Errorf("index %d events: %w", len(evs), err)
	}
	return nil
}

// The runtime's batches (projector.Config.BatchSize and RebuildBatchSize, set explicitly to
// their defaults).
const (
	liveBatch    = 1000
	rebuildBatch = 2000
)

// liveProjection is a projection with its own runtime, built on the empty live store so that
// every event of the relay's load reaches it live, through JetStream.
type liveProjection struct {
	proj eventIndex
	rt   *projector.Runtime
	// reader collects the runtime's metrics: its batch histogram tells how much of the time
	// its transactions take.
	reader *sdkmetric.ManualReader
}

func (b *bench) newLiveProjection(ctx context.Context, name string, noop bool) (*liveProjection, error) {
	lp := &liveProjection{proj: eventIndex{name: name, contexts: []string{b.env.context}, noop: noop},
		reader: sdkmetric.NewManualReader()}
	var err error
	lp.rt, err = projector.New(projector.Config{
		Pool:          b.env.pool,
		JetStream:     b.env.nats.JS,
		Stores:        map[string]es.LogReader{b.env.context: b.env.stores[schemaLive]},
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(lp.reader)),
		BatchSize:     liveBatch,
		MaxAckPending: 2 * liveBatch,
	}, lp.proj)
	if err != nil {
		return nil, err
	}
	if err := lp.rt.Rebuild(ctx, name); err != nil {
		return nil, fmt.Errorf("build projection %s: %w", name, err)
	}
	return lp, nil
}

// liveRounds is how many times the ceiling and the projection each drain the stream,
// alternately; the best of each counts. One drain lasts about a second, short enough for a
// hiccup of the machine to move a single figure by a third.
const liveRounds = 2

// liveBench is figure 6's live half: the projections were built on the empty live store;
// the relay then filled the JetStream stream, which they and bare consumers drain.
type liveBench struct {
	b     *bench
	projs []*liveProjection // one per round
	noop  *liveProjection
}

func (b *bench) newLiveBench(ctx context.Context) (*liveBench, error) {
	l := &liveBench{b: b}
	for i := range liveRounds {
		lp, err := b.newLiveProjection(ctx, fmt.Sprintf("bench_live%d", i+1), false)
		if err != nil {
			return nil, err
		}
		l.projs = append(l.projs, lp)
	}
	var err error
	if l.noop, err = b.newLiveProjection(ctx, "bench_live_noop", true); err != nil {
		return nil, err
	}
	return l, nil
}

// run measures the ceiling and the projection alternately, each draining the stream's
// first n messages, liveRounds times. A last drain locates the projection's cost: the
// runtime with a projection that writes nothing.
func (l *liveBench) run(ctx context.Context, n int64) error {
	b := l.b
	if n == 0 {
		return errors.New("the relay load published no events")
	}
	stream := natsbus.StreamName(b.env.context)
	var ceiling, ours float64
	for i, lp := range l.projs {
		c, took, err := consumeAll(ctx, b.env.nats.JS, stream, fmt.Sprintf("bench_ceiling%d", i+1), n)
		if err != nil {
			return err
		}
		b.note("projector.live.apply: round %d: bare durable consumer (Consume), explicit ack of each message: %d messages in %s = %.0f msg/s",
			i+1, n, took.Round(time.Millisecond), c)
		o, err := lp.drain(ctx, b, n)
		if err != nil {
			return err
		}
		ceiling, ours = max(ceiling, c), max(ours, o)
	}
	if _, err := l.noop.drain(ctx, b, n); err != nil {
		return err
	}
	b.report(benchline.Result{Name: "projector.live.apply", Ours: ours, Limit: ceiling, Unit: "events/s", Goal: 0.5})
	return nil
}

// drain runs the projection live until it has applied n events, notes the rate and the
// share of its batch transactions, and returns the rate.
func (lp *liveProjection) drain(ctx context.Context, b *bench, n int64) (float64, error) {
	waits := pgwait.Start(ctx, b.env.pool, "thing_events", waitSampleEvery)
	rate, took, err := lp.applyAll(ctx, b, n)
	seen := waits.Stop()
	if err != nil {
		return 0, err
	}
	what := "one multi-row INSERT per batch"
	if lp.proj.noop {
		what = "diagnosis: Apply writes nothing"
	}
	var rm metricdata.ResourceMetrics
	if err := lp.reader.Collect(ctx, &rm); err != nil {
		return 0, fmt.Errorf("collect the projector's metrics: %w", err)
	}
	share := ""
	if h, err := latency.Find(rm, "projector.batch.duration"); err == nil {
		share = fmt.Sprintf("; its %d batch transactions took %.0f%% of that, %.2fms each", h.Count,
			100*h.Sum/took.Seconds(), 1000*h.Sum/float64(h.Count))
	}
	b.note("projector.live.apply: projection %s (%s, batches of up to %d in one transaction): %d events in %s = %.0f events/s%s%s",
		lp.proj.name, what, liveBatch, n, took.Round(time.Millisecond), rate, share, retried(rm))
	if !lp.proj.noop {
		b.note("projector.live.apply: diagnosis: the applying session's states: %s", seen)
	}
	return rate, nil
}

// consumeAll drains a stream of n messages with a durable pull consumer that acknowledges
// each message: the ceiling of any JetStream consumer with explicit acks. It returns the rate.
func consumeAll(ctx context.Context, js jetstream.JetStream, stream, name string, n int64) (float64, time.Duration, error) {
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable:       name,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 2 * liveBatch, // as the projector's consumers
	})
	if err != nil {
		return 0, 0, fmt.Errorf("create the ceiling consumer: %w", err)
	}
	defer func() { _ = js.DeleteConsumer(context.WithoutCancel(ctx), stream, name) }()
	var (
		got     atomic.Int64
		ackErrs atomic.Int64
		done    = make(chan struct{})
		start   = time.Now()
	)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if err := m.Ack(); err != nil {
			ackErrs.Add(1)
		}
		if got.Add(1) == n {
			close(done)
		}
	})
	if err != nil {
		return 0, 0, fmt.Errorf("consume: %w", err)
	}
	defer cc.Stop()
	t := time.NewTimer(consumeTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		return 0, 0, fmt.Errorf("the ceiling consumer got %d of %d messages in %s", got.Load(), n, consumeTimeout)
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	took := time.Since(start)
	if e := ackErrs.Load(); e > 0 {
		return 0, 0, fmt.Errorf("the ceiling consumer failed to ack %d messages", e)
	}
	return float64(n) / took.Seconds(), took, nil
}

// applyAll runs the projection live until it has applied n events, and returns the rate.
func (lp *liveProjection) applyAll(ctx context.Context, b *bench, n int64) (float64, time.Duration, error) {
	prog, err := lp.rt.Progress(ctx, lp.proj.name)
	if err != nil {
		return 0, 0, err
	}
	// Every stream's versions are applied in order from 1, so their sum counts the events.
	applied := `SELECT coalesce(sum(version), 0)::bigint FROM ` +
		pgx.Identifier{fmt.Sprintf("%s_g%d", lp.proj.name, prog.ActiveGeneration), "projector_streams"}.Sanitize()

	rctx, stop := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	start := time.Now()
	go func() { stopped <- lp.rt.Run(rctx) }()
	defer func() {
		stop()
		<-stopped
	}()
	deadline := start.Add(applyTimeout)
	for {
		var got int64
		if err := b.env.pool.QueryRow(ctx, applied).Scan(&got); err != nil {
			return 0, 0, fmt.Errorf("count applied events: %w", err)
		}
		if got >= n {
			took := time.Since(start)
			return float64(n) / took.Seconds(), took, nil
		}
		select {
		case err := <-stopped:
			stopped <- err
			return 0, 0, fmt.Errorf("the projector stopped after %d of %d events: %w", got, n, err)
		default:
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("projection %s applied %d of %d events in %s", lp.proj.name, got, n, applyTimeout)
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return 0, 0, err
		}
	}
}

// rebuild is figure 6's rebuild half: rebuilding the simple projection from the imported log
// vs the raw keyset scan of that log. A rebuild of the no-op twin locates the cost.
func (b *bench) rebuild(ctx context.Context) error {
	if !b.imported || b.rawScanRate == 0 {
		return errors.New("needs the import and the raw scan: run them first (-only import,read,rebuild)")
	}
	ours, err := b.rebuildOnce(ctx, eventIndex{name: "bench_rebuild", contexts: []string{schemaSeed}})
	if err != nil {
		return err
	}
	if _, err := b.rebuildOnce(ctx, eventIndex{name: "bench_rebuild_noop", contexts: []string{schemaSeed}, noop: true}); err != nil {
		return err
	}
	b.report(benchline.Result{Name: "projector.rebuild", Ours: ours, Limit: b.rawScanRate, Unit: "events/s", Goal: 0.3})
	return nil
}

// rebuildOnce rebuilds proj from the seed store, within RebuildTimeout, and returns its rate.
func (b *bench) rebuildOnce(ctx context.Context, proj eventIndex) (float64, error) {
	rt, err := projector.New(projector.Config{
		Pool:             b.env.pool,
		Stores:           map[string]es.LogReader{schemaSeed: b.env.stores[schemaSeed]},
		RebuildBatchSize: rebuildBatch,
	}, proj)
	if err != nil {
		return 0, err
	}
	if err := b.env.checkpoint(ctx); err != nil {
		return 0, err
	}
	rctx, cancel := context.WithTimeout(ctx, b.cfg.RebuildTimeout)
	defer cancel()
	waits := pgwait.Start(ctx, b.env.pool, "thing_events", waitSampleEvery)
	start := time.Now()
	rerr := rt.Rebuild(rctx, proj.name)
	took := time.Since(start)
	seen := waits.Stop()
	prog, err := rt.Progress(ctx, proj.name)
	if err != nil {
		return 0, errors.Join(rerr, err)
	}
	partial := ""
	switch {
	case rerr != nil && rctx.Err() != nil && ctx.Err() == nil:
		partial = fmt.Sprintf(" (cut short by -rebuild-timeout %s: the rate so far)", b.cfg.RebuildTimeout)
	case rerr != nil:
		return 0, rerr
	}
	what := "one multi-row INSERT per batch"
	if proj.noop {
		what = "diagnosis: Apply writes nothing"
	}
	rate := float64(prog.Applied) / took.Seconds()
	b.note("projector.rebuild: %s (%s, batches of %d) from %d events: %d applied in %s = %.0f events/s%s",
		proj.name, what, rebuildBatch, b.cfg.BulkEvents, prog.Applied, took.Round(time.Millisecond), rate, partial)
	if !proj.noop {
		b.note("projector.rebuild: diagnosis: the rebuilding session's states: %s", seen)
	}
	return rate, nil
}

// retried tells how many batches the runtime rolled back and redid (projector.batches.retried),
// by reason.
func retried(rm metricdata.ResourceMetrics) string {
	var out string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if m.Name != "projector.batches.retried" || !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				reason, _ := dp.Attributes.Value("reason")
				out += fmt.Sprintf("; %d batches redone (%s)", dp.Value, reason.AsString())
			}
		}
	}
	if out == "" {
		return "; no batch redone"
	}
	return out
}
