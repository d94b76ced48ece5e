package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/latency"
	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/relay"
)

// Bounds of the relay figure's waits.
const (
	relayStartTimeout = 30 * time.Second
	relayDrainTimeout = time.Minute
	pollEvery         = 5 * time.Millisecond
)

// relayKeepUpGoal is what "keeps up" means: the relay publishes the load's last event within
// 2% of the load's length after it was appended (300ms after a 15s load).
const relayKeepUpGoal = 0.98

// relayAndLive runs figure 5 (the relay under the 8-writer load) and, with the stream it
// filled, figure 6's live half (the live projection vs an ack-per-message consumer).
func (b *bench) relayAndLive(ctx context.Context) error {
	var live *liveBench
	if b.cfg.wants(figLive) {
		// Build the projection while the store is empty, so that every event of the load
		// reaches it live, through JetStream.
		var err error
		if live, err = b.newLiveBench(ctx); err != nil {
			return err
		}
	}
	published, err := b.relayUnderLoad(ctx)
	if err != nil {
		return err
	}
	if live == nil {
		return nil
	}
	return live.run(ctx, published)
}

// relayUnderLoad runs a relay on the live store while the writers append single events for
// RelayDuration, waits until it has published them all, and reports how it kept up and its
// p99 commit-to-ack latency. It returns the number of events in the JetStream stream.
func (b *bench) relayUnderLoad(ctx context.Context) (int64, error) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithView(sdkmetric.NewView(
		sdkmetric.Instrument{Name: relay.MetricCommitToAck},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: latency.Bounds()}},
	)))
	defer func() { _ = mp.Shutdown(context.WithoutCancel(ctx)) }()

	rl, err := relay.New(relay.Config{Context: b.env.context, Schema: schemaLive},
		relay.Deps{Store: b.env.stores[schemaLive], DB: b.env.pool, NATS: b.env.nats.Conn, Meter: mp})
	if err != nil {
		return 0, err
	}
	rctx, stopRelay := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- rl.Run(rctx) }()
	defer func() {
		stopRelay()
		<-stopped
	}()

	streamName := natsbus.StreamName(b.env.context)
	stream, err := waitForStream(ctx, b.env.nats.JS, streamName)
	if err != nil {
		return 0, err
	}

	if err := b.env.checkpoint(ctx); err != nil {
		return 0, err
	}
	l := load{store: b.env.stores[schemaLive], writers: b.cfg.Writers, streamsPerWriter: b.cfg.StreamsPerWriter,
		eventsPerAppend: 1}
	res, err := l.run(ctx, b.cfg.RelayDuration)
	if err != nil {
		return 0, err
	}
	loadEnd := time.Now()
	atEnd, err := streamMsgs(ctx, stream)
	if err != nil {
		return 0, err
	}
	published, err := waitForMsgs(ctx, stream, res.events, relayDrainTimeout)
	if err != nil {
		return 0, err
	}
	drain := time.Since(loadEnd)
	appendRate := res.eventsPerSecond()
	publishRate := float64(res.events) / (res.elapsed + drain).Seconds()
	b.note("relay: %d writers appended %d single events in %s = %.0f events/s; published when the load ended: %d (%.1f%%); all published %s after it",
		b.cfg.Writers, res.events, res.elapsed.Round(time.Millisecond), appendRate, atEnd,
		100*float64(atEnd)/float64(res.events), drain.Round(time.Millisecond))

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		return 0, fmt.Errorf("collect the relay's metrics: %w", err)
	}
	h, err := latency.Find(rm, relay.MetricCommitToAck)
	if err != nil {
		return 0, err
	}
	p50, _ := latency.Quantile(h, 0.5)
	p99, err := latency.Quantile(h, 0.99)
	if err != nil {
		return 0, err
	}
	maxLatency, _ := h.Max.Value()
	b.note("relay: commit-to-ack latency of %d events (the relay's %s histogram): p50 %.1fms, p99 %.1fms, max %.1fms",
		h.Count, relay.MetricCommitToAck, p50*1000, p99*1000, maxLatency*1000)

	if b.cfg.wants(figRelay) {
		b.report(benchline.Result{Name: fmt.Sprintf("relay.keepup.%dwriters", b.cfg.Writers), Ours: publishRate,
			Limit: appendRate, Unit: "events/s", Goal: relayKeepUpGoal})
		b.report(benchline.Result{Name: "relay.commit_to_ack.p99", Ours: p99 * 1000, Limit: 250, Unit: "ms",
			Goal: 1, LowerIsBetter: true})
	}
	return published, nil
}

// waitForStream waits until the relay has created its JetStream stream.
func waitForStream(ctx context.Context, js jetstream.JetStream, name string) (jetstream.Stream, error) {
	deadline := time.Now().Add(relayStartTimeout)
	for {
		s, err := js.Stream(ctx, name)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, jetstream.ErrStreamNotFound) || time.Now().After(deadline) {
			return nil, fmt.Errorf("wait for the relay's stream %s: %w", name, err)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// streamMsgs returns the number of messages in the stream.
func streamMsgs(ctx context.Context, s jetstream.Stream) (int64, error) {
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return int64(info.State.Msgs), nil
}

// waitForMsgs waits until the stream holds want messages.
func waitForMsgs(ctx context.Context, s jetstream.Stream, want int64, timeout time.Duration) (int64, error) {
	deadline := time.Now().Add(timeout)
	for {
		n, err := streamMsgs(ctx, s)
		if err != nil {
			return 0, err
		}
		if n >= want {
			return n, nil
		}
		if time.Now().After(deadline) {
			return n, fmt.Errorf("the relay published %d of %d events within %s of the load's end", n, want, timeout)
		}
		if err := sleep(ctx, pollEvery); err != nil {
			return 0, err
		}
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
