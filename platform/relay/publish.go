package relay

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
)

// jetStream is what the relay needs of a JetStream client.
type jetStream interface {
	// PublishMsgAsync sends msg and returns without waiting: the future then yields the
	// stream's ack, or an error (a rejection, no stream, a timeout after AckTimeout). Messages
	// published on one client reach the server in the order of the calls, but a failed one can
	// be overtaken by later ones, so ordering across a failure is the caller's business.
	PublishMsgAsync(msg *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error)
	// CreateOrUpdateStream makes the stream match cfg, creating it if missing. ctx bounds the
	// request.
	CreateOrUpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error)
}

// ensureStream creates the context's stream, or brings its configuration up to date.
func (r *Relay) ensureStream(ctx context.Context) error {
	cfg := natsbus.StreamConfig(r.cfg.Context, r.cfg.StreamReplicas, r.cfg.StreamMaxAge)
	if _, err := r.js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("relay: create or update stream %s: %w", cfg.Name, err)
	}
	return nil
}

// inflight is a publish awaiting its ack.
type inflight struct {
	i    int // index in the batch
	fut  jetstream.PubAckFuture
	sent time.Time
}

// publishBatch publishes evs (a ReadAll batch, in global order) and waits for their acks.
//
// Up to MaxInFlight publishes await their ack at once, but never two events of one stream:
// an event is published only after its stream's previous event is acknowledged. A publish
// that fails can therefore never be overtaken by a later event of its stream, and the retry
// (from the checkpoint, which stops before it) keeps each stream in order on JetStream.
// After a failure nothing more is published; the publishes in flight are awaited.
//
// It returns how many events from the start of evs are acknowledged, the prefix that may be
// checkpointed, and the first failure (ctx's error if ctx ended first).
func (r *Relay) publishBatch(ctx context.Context, evs []es.RecordedEvent) (int, error) {
	ctx, span := r.tel.startBatch(ctx, r.stream, evs)
	var (
		acked    = make([]bool, len(evs))
		queue    []inflight          // in publish order
		busy     = map[string]bool{} // streams with an event in flight
		firstErr error
	)
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	// settle waits for the oldest publish in flight; false if ctx ended first.
	settle := func() bool {
		f := queue[0]
		queue = queue[1:]
		ev := evs[f.i]
		delete(busy, ev.StreamID)
		select {
		case ack := <-f.fut.Ok():
			acked[f.i] = true
			r.tel.acked(ctx, ev, f.sent, time.Now(), ack.Duplicate)
		case err := <-f.fut.Err():
			fail(fmt.Errorf("relay: publish event %s (stream %q version %d): %w", ev.ID, ev.StreamID, ev.Version, err))
		case <-ctx.Done():
			fail(ctx.Err())
			return false
		}
		return true
	}
publish:
	for i, ev := range evs {
		for len(queue) > 0 && (len(queue) >= r.cfg.MaxInFlight || busy[ev.StreamID]) {
			if !settle() {
				break publish
			}
		}
		if firstErr != nil {
			break
		}
		if err := ctx.Err(); err != nil {
			fail(err)
			break
		}
		if slices.Contains(r.cfg.PrivateTypes, ev.Type) {
			acked[i] = true // nothing to publish: it stays inside the context
			continue
		}
		msg := natsbus.Encode(natsbus.Subject(r.cfg.Context, ev), ev)
		sent := time.Now()
		fut, err := r.js.PublishMsgAsync(msg, jetstream.WithExpectStream(r.stream))
		if err != nil {
			fail(fmt.Errorf("relay: publish event %s (stream %q version %d): %w", ev.ID, ev.StreamID, ev.Version, err))
			break
		}
		queue = append(queue, inflight{i: i, fut: fut, sent: sent})
		busy[ev.StreamID] = true
	}
	for len(queue) > 0 && settle() {
	}
	n := 0
	for n < len(evs) && acked[n] {
		n++
	}
	endBatch(span, n, firstErr)
	return n, firstErr
}
