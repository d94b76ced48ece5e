package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/storefront/storefront/platform/bus/natsbus"
)

// consume runs the live consumer of one projection over one context until ctx is done.
func (r *Runtime) consume(ctx context.Context, p Projection, bc string) error {
	stream := r.cfg.StreamName(bc)
	cc := jetstream.ConsumerConfig{
		Durable:       r.consumerName(p),
		Description:   "projection " + p.Name(),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.cfg.AckWait,
		MaxDeliver:    r.cfg.MaxDeliver,
		MaxAckPending: r.cfg.MaxAckPending,
		FilterSubject: bc + ".>",
	}
	log := r.log.With("projection", p.Name(), "context", bc, "stream", stream, "consumer", cc.Durable)
	var (
		cons  jetstream.Consumer
		pause = newBackoff()
	)
	for {
		var err error
		if cons, err = r.cfg.JetStream.CreateOrUpdateConsumer(ctx, stream, cc); err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		log.ErrorContext(ctx, "cannot create the projection's consumer; retrying", "err", err)
		if sleep(ctx, pause.next()) != nil {
			return nil
		}
	}
	log.InfoContext(ctx, "projection consuming")
	for ctx.Err() == nil {
		err := r.consumeSession(ctx, p, bc, cons, log)
		if errors.Is(err, errStop) {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		log.WarnContext(ctx, "consuming stopped; starting again", "err", err)
		if sleep(ctx, pause.next()) != nil {
			return nil
		}
		if c, err := r.cfg.JetStream.CreateOrUpdateConsumer(ctx, stream, cc); err == nil {
			cons = c
		} else if ctx.Err() == nil {
			log.ErrorContext(ctx, "cannot create the projection's consumer; retrying", "err", err)
		}
	}
	return nil
}

// consumeSession pulls messages continuously (the client fetches the next ones while a batch
// is applied) and applies them in batches of whatever has arrived, up to BatchSize, so a
// trickle of events is applied at once and a burst in full batches. It returns when ctx is
// done or the subscription fails for good (the consumer was deleted, say).
func (r *Runtime) consumeSession(ctx context.Context, p Projection, bc string, cons jetstream.Consumer, log *slog.Logger) error {
	// The server holds at most MaxAckPending unacknowledged messages out, so the queue
	// never blocks the client's delivery goroutine for long.
	queue := make(chan received, r.cfg.MaxAckPending+r.cfg.BatchSize)
	failed := make(chan error, 1)
	spanName := "projector.apply " + p.Name()
	cc, err := cons.Consume(func(m jetstream.Msg) {
		rc := r.receive(ctx, p, spanName, m)
		select {
		case queue <- rc:
		case <-ctx.Done():
			rc.span.End()
		}
	}, jetstream.PullMaxMessages(min(2*r.cfg.BatchSize, r.cfg.MaxAckPending)),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
				select {
				case failed <- err:
				default:
				}
				return
			}
			log.DebugContext(ctx, "pull consumer reported an error", "err", err)
		}))
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	// Acknowledgements and the messages' spans are settled on a goroutine of their own, off
	// the path from one batch's commit to the next batch's start; the buffer lets it lag a
	// batch or two behind.
	settle := make(chan func(), 2)
	settled := make(chan struct{})
	go func() {
		defer close(settled)
		for f := range settle {
			f()
		}
	}()
	defer func() {
		close(settle)
		<-settled
		cc.Stop()
		// Messages received but not applied come again after AckWait; end their spans.
		for {
			select {
			case rc := <-queue:
				rc.span.End()
			default:
				return
			}
		}
	}()
	var (
		lagAt time.Time
		pause = newBackoff()
		pred  predictor
	)
	for ctx.Err() == nil {
		if time.Since(lagAt) >= r.cfg.LagInterval {
			r.sampleLag(ctx, p, bc, cons)
			lagAt = time.Now()
		}
		msgs, err := r.nextBatch(ctx, queue, failed)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			continue
		}
		if err := r.handleBatch(ctx, p, bc, msgs, settle, &pred); err != nil {
			if errors.Is(err, errStop) {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			log.ErrorContext(ctx, "batch failed; its messages are NAK'd for redelivery", "messages", len(msgs), "err", err)
			if sleep(ctx, pause.next()) != nil {
				return nil
			}
			continue
		}
		pause.reset()
	}
	return nil
}

// nextBatch waits up to FetchWait for a first message, then takes whatever else has
// arrived, up to BatchSize, without waiting.
func (r *Runtime) nextBatch(ctx context.Context, queue <-chan received, failed <-chan error) ([]received, error) {
	t := time.NewTimer(r.cfg.FetchWait)
	defer t.Stop()
	var first received
	select {
	case first = <-queue:
	case <-t.C:
		return nil, nil
	case <-ctx.Done():
		return nil, nil
	case err := <-failed:
		return nil, err
	}
	msgs := append(make([]received, 0, min(r.cfg.BatchSize, len(queue)+1)), first)
	for len(msgs) < r.cfg.BatchSize {
		select {
		case m := <-queue:
			msgs = append(msgs, m)
		default:
			return msgs, nil
		}
	}
	return msgs, nil
}

// predictPause is how many batches a consumer reads its stream records after a prediction
// failed, before it predicts again.
const predictPause = 16

// predictor decides whether a consumer's next batch predicts its stream records
// (applier.predictStreams): always, until a prediction fails; then not for the next
// predictPause batches. Where predictions keep failing (replicas sharing a consumer apply
// the same streams' events concurrently), that costs one wasted attempt every
// predictPause+1 batches instead of one per batch.
type predictor struct{ pause int }

func (p *predictor) use() bool {
	if p.pause > 0 {
		p.pause--
		return false
	}
	return true
}

func (p *predictor) failed() { p.pause = predictPause }

// errStop is returned by the afterCommit hook of tests to stop a consumer.
var errStop = errors.New("projector: consumer stopped")

// received is a message prepared for its batch as it arrives (decoded, its span started),
// while the previous batch is being applied.
type received struct {
	msg  jetstream.Msg
	it   *item
	span trace.Span
}

// receive decodes m and starts its span, in the consumer's delivery goroutine.
func (r *Runtime) receive(ctx context.Context, p Projection, spanName string, m jetstream.Msg) received {
	delivered := uint64(1)
	if md, err := m.Metadata(); err == nil {
		delivered = md.NumDelivered
	}
	if delivered > 1 {
		r.metrics.redelivered.Add(ctx, 1, metric.WithAttributes(attribute.String("projection", p.Name())))
	}
	ev, decodeErr := natsbus.Decode(m.Headers(), m.Data())
	if decodeErr != nil {
		ev.Payload = m.Data() // kept with the parked message
	}
	parent := r.prop.Extract(ctx, natsbus.HeaderCarrier(m.Headers()))
	ictx, span := r.tracer.Start(parent, spanName, trace.WithSpanKind(trace.SpanKindConsumer))
	// Attributes only for a span that records: an unsampled event (most, in production; every
	// one without a tracer) should not pay for them.
	if span.IsRecording() {
		span.SetAttributes(attribute.String("projection", p.Name()), attribute.String("messaging.destination.name", m.Subject()),
			attribute.String("messaging.message.id", m.Headers().Get(natsbus.HeaderMsgID)),
			attribute.Int64("messaging.message.delivery_count", int64(delivered)),
			attribute.String("event.type", ev.Type), attribute.String("event.stream", ev.StreamID),
			attribute.Int64("event.version", ev.Version))
	}
	it := &item{ev: ev, decodeErr: decodeErr, subject: m.Subject(), headers: m.Headers(),
		delivered: delivered, final: delivered >= uint64(r.cfg.MaxDeliver), ctx: ictx}
	return received{msg: m, it: it, span: span}
}

// handleBatch applies one batch of received messages in one transaction; once it committed,
// it hands the acknowledgements to settle.
func (r *Runtime) handleBatch(ctx context.Context, p Projection, bc string, batch []received, settle chan<- func(), pred *predictor) error {
	start := time.Now()
	projAttr := attribute.String("projection", p.Name())
	ctx, batchSpan := r.tracer.Start(ctx, "projector.batch "+p.Name(), trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(projAttr, attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", r.cfg.StreamName(bc)),
			attribute.Int("messaging.batch.message_count", len(batch))))

	items := make([]*item, len(batch))
	if batchSpan.IsRecording() {
		batchLink := trace.LinkFromContext(ctx)
		for _, rc := range batch {
			rc.span.AddLink(batchLink)
			batchSpan.AddLink(trace.LinkFromContext(rc.it.ctx))
		}
	}
	for i, rc := range batch {
		items[i] = rc.it
	}
	endSpans := func(err error) {
		for _, rc := range batch {
			span, it := rc.span, rc.it
			if span.IsRecording() {
				switch {
				case err != nil:
					span.SetStatus(codes.Error, err.Error())
				case it.outcome == outcomeParked:
					span.SetStatus(codes.Error, "parked: "+it.parked.cause.Error())
				case it.outcome == outcomeDeferred:
					span.AddEvent("deferred: an earlier version of the stream is missing")
				}
			}
			span.End()
		}
	}

	// Keep the batch's messages from being redelivered while it is retried slowly.
	keepAlive := func() {
		for _, rc := range batch {
			_ = rc.msg.InProgress()
		}
	}
	stopKeepAlive := r.keepAlive(keepAlive)
	err := r.applyLive(ctx, p, items, keepAlive, pred)
	stopKeepAlive()
	if err == nil && r.cfg.Committed != nil {
		r.cfg.Committed(ctx, p.Name())
	}
	if err == nil && r.afterCommit != nil {
		if herr := r.afterCommit(p.Name()); herr != nil {
			endSpans(herr)
			batchSpan.End()
			return fmt.Errorf("%w: %w", errStop, herr)
		}
	}
	if err != nil {
		for _, rc := range batch {
			if ctx.Err() != nil {
				_ = rc.msg.Nak()
			} else {
				_ = rc.msg.NakWithDelay(r.cfg.backoffDelay(rc.it.delivered))
			}
		}
		batchSpan.SetStatus(codes.Error, err.Error())
		endSpans(err)
		batchSpan.End()
		return err
	}
	r.metrics.batch.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(projAttr, attribute.String("mode", "live")))
	settle <- func() { r.settle(ctx, p, batch, endSpans, batchSpan) }
	return nil
}

// settle acknowledges the messages of a committed batch (NAKs the deferred ones with their
// delay), reports its parked events and ends its spans.
func (r *Runtime) settle(ctx context.Context, p Projection, batch []received, endSpans func(error), batchSpan trace.Span) {
	var applied int64
	for _, rc := range batch {
		it, m := rc.it, rc.msg
		switch it.outcome {
		case outcomeDeferred:
			_ = m.NakWithDelay(it.delay)
		default:
			if aerr := m.Ack(); aerr != nil {
				r.log.WarnContext(ctx, "ack failed; the message will be redelivered and skipped", "projection", p.Name(), "err", aerr)
			}
		}
		switch it.outcome {
		case outcomeApplied:
			applied++
		case outcomeParked:
			r.reportParked(it.ctx, p, it)
		}
	}
	r.metrics.applied.Add(ctx, applied, metric.WithAttributes(attribute.String("projection", p.Name()), attribute.String("mode", "live")))
	endSpans(nil)
	batchSpan.End()
}

// keepAlive calls f every third of AckWait until the returned stop is called.
func (r *Runtime) keepAlive(f func()) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(r.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f()
			}
		}
	}()
	return func() { close(done); <-exited }
}

// applyLive applies a live batch to the projection's active generation in one transaction:
// first fast, then, if a handler failed, again event by event under savepoints.
func (r *Runtime) applyLive(ctx context.Context, p Projection, items []*item, keepAlive func(), pred *predictor) error {
	sortItems(items)
	// The ladder, cheapest first: optimistic attempts (stream records predicted, then read),
	// each of which may give up (a wrong prediction, another consumer's commit, a failing
	// handler it cannot isolate); then the careful attempt, which locks the records and
	// isolates failing events, so it settles every event or fails as a transaction.
	optimistic := []strategy{livePredicted, liveRead}
	if !r.predict || !predictable(items) || !pred.use() {
		optimistic = optimistic[1:]
	}
	for _, how := range optimistic {
		err := r.attemptLive(ctx, p, items, keepAlive, how)
		if how == livePredicted && transient(err) {
			// The snapshot met a later write (the registry row of a generation switch it
			// waited for, say): not an error of the batch.
			err = errConflict
		}
		var reason string
		switch {
		case err == nil:
			return nil
		case how == livePredicted && (errors.Is(err, errConflict) || errors.Is(err, errCareful)):
			// A wrong prediction, or a handler that failed on the state it assumed (or on
			// the snapshot): try again with the records read.
			reason = "handler_failed"
			if errors.Is(err, errConflict) {
				reason = "mispredicted"
			}
			pred.failed()
		case errors.Is(err, errConflict):
			reason = "conflict"
		case errors.Is(err, errCareful):
			reason = "handler_failed"
		default:
			return fmt.Errorf("projector: %s: apply batch: %w", p.Name(), err)
		}
		r.metrics.retried.Add(ctx, 1, metric.WithAttributes(attribute.String("projection", p.Name()),
			attribute.String("reason", reason)))
	}
	if err := r.attemptLive(ctx, p, items, keepAlive, liveCareful); err != nil {
		return fmt.Errorf("projector: %s: apply batch: %w", p.Name(), err)
	}
	return nil
}

// attemptLive applies the batch in one transaction with the strategy; its items' outcomes
// are reset first, so each attempt decides them afresh.
func (r *Runtime) attemptLive(ctx context.Context, p Projection, items []*item, keepAlive func(), how strategy) error {
	for _, it := range items {
		it.outcome, it.delay, it.parked = outcomePending, 0, nil
	}
	// A predicted attempt runs in one snapshot (REPEATABLE READ, taken by the registry
	// query before any handler runs): its handlers then see the state the predicted
	// records describe, and a record that another transaction commits after the
	// snapshot fails the save (a serialization failure, or a row the snapshot lacks)
	// instead of matching the prediction by then. Under READ COMMITTED a record below the
	// prediction while the handlers ran could rise to it before the save, and an event
	// would be applied without its predecessor's effect.
	txOpts := pgx.TxOptions{}
	if how == livePredicted {
		txOpts.IsoLevel = pgx.RepeatableRead
	}
	return pgx.BeginTxFunc(ctx, r.pool, txOpts, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		if r.cfg.AsyncCommit {
			b.Queue(`SET LOCAL synchronous_commit = off`)
		}
		// KEY SHARE: a generation switch (FOR UPDATE) waits for this batch, and this batch
		// for it; rebuild progress updates do not conflict.
		b.Queue(`SELECT active_generation FROM projector.projections WHERE name = $1 FOR KEY SHARE`, p.Name())
		br := tx.SendBatch(ctx, b)
		var (
			gen *int
			err error
		)
		if r.cfg.AsyncCommit {
			_, err = br.Exec()
		}
		if err == nil {
			err = br.QueryRow().Scan(&gen)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		switch {
		case errors.Is(err, pgx.ErrNoRows) || (err == nil && gen == nil):
			return fmt.Errorf("%w: %s", ErrNotBuilt, p.Name())
		case err != nil:
			return fmt.Errorf("read registry: %w", err)
		}
		a := &applier{r: r, p: p, gen: *gen, schema: generationSchema(p.Name(), *gen), how: how,
			keepAlive: keepAlive, streams: map[string]*streamState{}}
		return a.run(ctx, tx, items, nil)
	})
}

// reportParked logs and counts a parking that committed.
func (r *Runtime) reportParked(ctx context.Context, p Projection, it *item) {
	if it.parked.again {
		return
	}
	r.metrics.parked.Add(ctx, 1, metric.WithAttributes(attribute.String("projection", p.Name()),
		attribute.String("reason", string(it.parked.reason))))
	attrs := []any{"projection", p.Name(), "parked_id", it.parked.id, "reason", it.parked.reason,
		"subject", it.subject, "err", it.parked.cause}
	if it.decodeErr == nil {
		attrs = append(attrs, "event_id", it.ev.ID, "stream", it.ev.StreamID, "version", it.ev.Version, "type", it.ev.Type)
	}
	r.log.ErrorContext(ctx, "event parked", attrs...)
}

// sampleLag records how many messages of the context the consumer has yet to receive, and
// since when the oldest it has not acknowledged waits.
func (r *Runtime) sampleLag(ctx context.Context, p Projection, bc string, cons jetstream.Consumer) {
	info, err := cons.Info(ctx)
	if err != nil {
		r.log.DebugContext(ctx, "consumer info failed", "projection", p.Name(), "context", bc, "err", err)
		return
	}
	r.metrics.setLag(p.Name(), bc, int64(info.NumPending))
	var oldest *time.Time // when the oldest message not yet acknowledged was published
	if info.NumPending+uint64(info.NumAckPending) > 0 {
		if s, err := r.cfg.JetStream.Stream(ctx, r.cfg.StreamName(bc)); err == nil {
			if m, err := s.GetMsg(ctx, info.AckFloor.Stream+1, jetstream.WithGetMsgSubject(bc+".>")); err == nil {
				oldest = &m.Time
			}
		}
	}
	_, err = r.pool.Exec(ctx, `INSERT INTO projector.consumers AS c (projection, context, consumer, num_pending, ack_pending,
			redelivered, oldest_pending_at, ack_floor)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (projection, context) DO UPDATE SET consumer = EXCLUDED.consumer, num_pending = EXCLUDED.num_pending,
			ack_pending = EXCLUDED.ack_pending, redelivered = EXCLUDED.redelivered, oldest_pending_at = EXCLUDED.oldest_pending_at,
			ack_floor = EXCLUDED.ack_floor, sampled_at = now()`,
		p.Name(), bc, info.Name, int64(info.NumPending), int64(info.NumAckPending), int64(info.NumRedelivered), oldest,
		int64(info.AckFloor.Stream))
	if err != nil {
		r.log.DebugContext(ctx, "recording consumer lag failed", "projection", p.Name(), "context", bc, "err", err)
	}
}

// backoff paces retries after failures: 100ms doubling up to 10s.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{} }

func (b *backoff) next() time.Duration {
	b.d = min(max(2*b.d, 100*time.Millisecond), 10*time.Second)
	return b.d
}

func (b *backoff) reset() { b.d = 0 }
