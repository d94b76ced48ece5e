package reaction

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"golang.org/x/sync/errgroup"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reqctx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the timers' table, to apply in the reacting context's schema.
func Migrations(schema string) pgmigrate.Set {
	return pgmigrate.Embedded("reaction", schema, migrations, "migrations")
}

// ErrPermanent is what a handler wraps for an event or timer it can never handle (a payload
// it cannot make sense of): it is parked at once, without retries.
var ErrPermanent = errors.New("reaction: permanent failure")

// Handler reacts to one event. ctx carries the event's trace, its correlation id and the
// event as the causation (reqctx), and aggregate.CausedBy(an id derived from the event and
// the reaction).
type Handler func(ctx context.Context, ev es.RecordedEvent) error

// Reaction consumes one context's events.
type Reaction struct {
	// Name names the durable consumer ("reaction_<name>") and the dead letters
	// ("reaction:<name>"): a lower-case letter, then lower-case letters, digits and
	// underscores. It must not change while the reaction exists.
	Name string
	// Context is the bounded context whose JetStream stream the reaction consumes.
	Context string
	// Types are the event types (protobuf full names) the handler gets; the others are
	// acknowledged unseen. Empty: every event of the context.
	Types  []string
	Handle Handler
	// Concurrency is how many events of different streams one process handles at once
	// (default 1); one stream's events are always handled one after the other, in order.
	Concurrency int
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// Config configures a Runner.
type Config struct {
	JetStream jetstream.JetStream
	// DB holds the dead letters (projector.Migrations applied) and, when timers are used,
	// the context's schema with Migrations(Schema) applied.
	DB *pgxpool.Pool
	// Schema is the reacting context's schema (its timers); needed only with timers.
	Schema     string
	Logger     *slog.Logger
	Propagator propagation.TextMapPropagator
	// Meter records the runner's metrics (reaction.consumer.pending, reaction.events.parked);
	// nil records none.
	Meter metric.MeterProvider
	// RetryDelays are the waits before each retry of a failed delivery; after the last one
	// fails the event is parked. Default: 1s, 5s, 30s, 2m, 10m.
	RetryDelays []time.Duration
	// AckWait is how long a delivery may take before JetStream delivers it again (default 1m).
	AckWait time.Duration
	// FetchWait bounds one fetch of a consumer (default 1s).
	FetchWait time.Duration
	// PollInterval is how often due timers are looked for (default 250ms).
	PollInterval time.Duration
	// TimerTimeout bounds one timer handler (default 30s); past it the handler's context
	// ends and the timer is retried.
	TimerTimeout time.Duration
	// RequestInterval is how often operators' requests for the runner's dead letters
	// (redrive, discard) are looked for (default 1s).
	RequestInterval time.Duration
}

// Runner runs reactions and timers.
type Runner struct {
	cfg       Config
	log       *slog.Logger
	metrics   *instruments
	reactions []Reaction
	timers    map[string]TimerHandler
}

// New checks the reactions and returns their runner.
func New(cfg Config, reactions ...Reaction) (*Runner, error) {
	if cfg.JetStream == nil && len(reactions) > 0 {
		return nil, errors.New("reaction: JetStream is required")
	}
	if cfg.DB == nil {
		return nil, errors.New("reaction: DB is required (dead letters)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Propagator == nil {
		cfg.Propagator = propagation.TraceContext{}
	}
	if len(cfg.RetryDelays) == 0 {
		cfg.RetryDelays = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = time.Minute
	}
	if cfg.FetchWait <= 0 {
		cfg.FetchWait = time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	if cfg.RequestInterval <= 0 {
		cfg.RequestInterval = time.Second
	}
	if cfg.TimerTimeout <= 0 {
		cfg.TimerTimeout = 30 * time.Second
	}
	seen := map[string]bool{}
	for _, r := range reactions {
		switch {
		case !validName.MatchString(r.Name):
			return nil, fmt.Errorf("reaction: name %q: want a lower-case letter, then lower-case letters, digits and underscores", r.Name)
		case seen[r.Name]:
			return nil, fmt.Errorf("reaction: %s given twice", r.Name)
		case r.Context == "" || r.Handle == nil:
			return nil, fmt.Errorf("reaction %s: Context and Handle are required", r.Name)
		}
		seen[r.Name] = true
	}
	metrics, err := newInstruments(cfg.Meter, reactions)
	if err != nil {
		return nil, fmt.Errorf("reaction: metrics: %w", err)
	}
	return &Runner{cfg: cfg, log: cfg.Logger, metrics: metrics, reactions: reactions, timers: map[string]TimerHandler{}}, nil
}

// Run consumes every reaction's events, fires due timers and carries out operators' requests
// for their dead letters until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, re := range r.reactions {
		g.Go(func() error { return r.consume(ctx, re) })
	}
	if len(r.timers) > 0 {
		g.Go(func() error { return r.fireTimers(ctx) })
	}
	if len(r.reactions)+len(r.timers) > 0 {
		g.Go(func() error { return r.serveRequests(ctx) })
	}
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// consume runs one reaction's consumer until ctx ends, recreating it after failures.
func (r *Runner) consume(ctx context.Context, re Reaction) error {
	stream := natsbus.StreamName(re.Context)
	cc := jetstream.ConsumerConfig{
		Durable:       "reaction_" + re.Name,
		Description:   "reaction " + re.Name,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.cfg.AckWait,
		// Deliveries are counted here (retries, then parking); JetStream must not give up first.
		MaxDeliver:    -1,
		MaxAckPending: 256,
		FilterSubject: re.Context + ".>",
	}
	log := r.log.With("reaction", re.Name, "context", re.Context, "consumer", cc.Durable)
	wait := time.Second
	for ctx.Err() == nil {
		cons, err := r.cfg.JetStream.CreateOrUpdateConsumer(ctx, stream, cc)
		if err == nil {
			wait = time.Second
			r.metrics.consumer(re.Name, cons)
			err = r.fetchLoop(ctx, re, cons, log)
		}
		if ctx.Err() != nil {
			return nil
		}
		log.ErrorContext(ctx, "reaction consumer failed; starting it again", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
	return nil
}

// fetchBatch bounds a fetch per worker: handlers run one after the other on a worker, and
// the messages waiting behind a slow one must not see their AckWait run out (each one's
// starts again when its handling starts).
const fetchBatch = 8

// fetchLoop fetches and handles batches until ctx ends or the consumer fails. With
// Concurrency n > 1 the messages go to n workers by their stream, so that one stream's events
// are handled one after the other, in the order they came, and different streams' at once.
func (r *Runner) fetchLoop(ctx context.Context, re Reaction, cons jetstream.Consumer, log *slog.Logger) error {
	n := max(re.Concurrency, 1)
	handle := func(msg jetstream.Msg) { r.deliver(ctx, re, msg, log) }
	if n > 1 {
		workers := make([]chan jetstream.Msg, n)
		var wg sync.WaitGroup
		for i := range workers {
			workers[i] = make(chan jetstream.Msg, fetchBatch)
			wg.Go(func() {
				for msg := range workers[i] {
					r.deliver(ctx, re, msg, log)
				}
			})
		}
		defer func() {
			for _, w := range workers {
				close(w)
			}
			wg.Wait()
		}()
		handle = func(msg jetstream.Msg) {
			h := fnv.New32a()
			_, _ = h.Write([]byte(msg.Headers().Get(natsbus.HeaderStream)))
			select {
			case workers[h.Sum32()%uint32(n)] <- msg:
			case <-ctx.Done():
			}
		}
	}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(fetchBatch*n, jetstream.FetchMaxWait(r.cfg.FetchWait))
		if err != nil {
			return err
		}
		for msg := range batch.Messages() {
			handle(msg)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// deliver handles one message and settles it: ack, NAK with the next delay, or park and ack.
func (r *Runner) deliver(ctx context.Context, re Reaction, msg jetstream.Msg, log *slog.Logger) {
	ev, err := natsbus.Decode(msg.Headers(), msg.Data())
	if err != nil {
		r.park(ctx, re, msg, ev, projector.ReasonUndecodable, err, log)
		return
	}
	if len(re.Types) > 0 && !slices.Contains(re.Types, ev.Type) {
		_ = msg.Ack()
		return
	}
	hctx := r.handlerContext(ctx, re, msg.Headers(), ev)
	_ = msg.InProgress() // its AckWait starts now, not when the batch was fetched
	err = call(hctx, re.Handle, ev)
	switch {
	case err == nil:
		if aerr := msg.Ack(); aerr != nil {
			log.WarnContext(ctx, "ack failed; the event will be delivered again (its effect is kept once)", "event_id", ev.ID, "err", aerr)
		}
		return
	case errors.Is(err, ErrPermanent):
		r.park(ctx, re, msg, ev, projector.ReasonUnknownEvent, err, log)
		return
	}
	delivered := uint64(1)
	if md, merr := msg.Metadata(); merr == nil {
		delivered = md.NumDelivered
	}
	if delivered > uint64(len(r.cfg.RetryDelays)) {
		r.park(ctx, re, msg, ev, projector.ReasonHandlerFailed, err, log)
		return
	}
	delay := r.cfg.RetryDelays[delivered-1]
	log.WarnContext(ctx, "reaction failed; retrying later", "event_id", ev.ID, "type", ev.Type, "attempt", delivered, "in", delay, "err", err)
	_ = msg.NakWithDelay(delay)
}

// handlerContext is the context a reaction's handler runs in for ev: the event's trace, its
// correlation id and the event as the causation, and the cause its saves derive ids from.
func (r *Runner) handlerContext(ctx context.Context, re Reaction, headers nats.Header, ev es.RecordedEvent) context.Context {
	hctx := r.cfg.Propagator.Extract(ctx, natsbus.HeaderCarrier(headers))
	hctx = reqctx.With(hctx, reqctx.Info{CorrelationID: ev.Metadata.CorrelationID, CausationID: ev.ID.String()})
	// The cause is the event as this reaction sees it: two reactions to one event that save
	// the same stream must not take each other's effects for their own.
	return aggregate.CausedBy(hctx, uuid.NewSHA1(ev.ID, []byte("reaction/"+re.Name)))
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, h Handler, ev es.RecordedEvent) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("reaction handler panicked: %v", v)
		}
	}()
	return h(ctx, ev)
}

// park records the message as a dead letter and acknowledges it; when the dead letter cannot
// be recorded the message is NAK'd, so that nothing is lost.
func (r *Runner) park(ctx context.Context, re Reaction, msg jetstream.Msg, ev es.RecordedEvent, reason projector.ParkReason, cause error, log *slog.Logger) {
	if ev.StreamID == "" {
		ev.StreamID, ev.Type = msg.Headers().Get(natsbus.HeaderStream), msg.Headers().Get(natsbus.HeaderType)
	}
	id, err := projector.ParkDeadLetter(ctx, r.cfg.DB, projector.DeadLetter{Consumer: "reaction:" + re.Name, Reason: reason, Err: cause,
		Subject: msg.Subject(), Event: ev, Headers: msg.Headers()})
	if err != nil {
		log.ErrorContext(ctx, "cannot park the event; delivering it again", "event_id", ev.ID, "err", err)
		_ = msg.NakWithDelay(r.cfg.RetryDelays[0])
		return
	}
	r.metrics.parkedOne(ctx, re.Name)
	log.ErrorContext(ctx, "event parked", "parked_id", id, "reason", reason, "event_id", ev.ID, "type", ev.Type, "stream", ev.StreamID, "err", cause)
	_ = msg.Ack()
}

// serveRequests carries out operators' requests for this runner's dead letters until ctx
// ends (decision 023): a reaction's event is handled again as on its delivery (same derived
// ids, so an effect it had already made is kept once), a timer is scheduled again to fire
// now; a discarded one is resolved. A redrive that fails again stays parked with its new error.
func (r *Runner) serveRequests(ctx context.Context) error {
	consumers := make([]string, 0, len(r.reactions)+len(r.timers))
	for _, re := range r.reactions {
		consumers = append(consumers, "reaction:"+re.Name)
	}
	for kind := range r.timers {
		consumers = append(consumers, "timer:"+kind)
	}
	tick := time.NewTicker(r.cfg.RequestInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		asked, err := projector.Requested(ctx, r.cfg.DB, consumers, 100)
		if err != nil {
			if ctx.Err() == nil {
				r.log.WarnContext(ctx, "reading the dead-letter requests failed", "err", err)
			}
			continue
		}
		for _, e := range asked {
			if err := r.carryOut(ctx, e); err != nil && ctx.Err() == nil {
				r.log.WarnContext(ctx, "carrying out a dead-letter request failed", "parked_id", e.ID, "err", err)
			}
		}
	}
}

// carryOut redrives or discards one dead letter.
func (r *Runner) carryOut(ctx context.Context, e projector.ParkedEvent) error {
	if e.Requested == projector.ActionDiscard {
		return projector.Resolve(ctx, r.cfg.DB, e)
	}
	if kind, ok := strings.CutPrefix(e.Projection, "timer:"); ok {
		return r.redriveTimer(ctx, kind, e)
	}
	name := strings.TrimPrefix(e.Projection, "reaction:")
	i := slices.IndexFunc(r.reactions, func(re Reaction) bool { return re.Name == name })
	if i < 0 {
		return nil // not this runner's
	}
	re := r.reactions[i]
	headers := e.Headers()
	ev, err := natsbus.Decode(headers, e.Payload)
	if err != nil {
		return projector.FailedAgain(ctx, r.cfg.DB, e, fmt.Errorf("cannot be decoded, so not redriven (discard it): %w", err))
	}
	if err := call(r.handlerContext(ctx, re, headers, ev), re.Handle, ev); err != nil {
		r.log.WarnContext(ctx, "redriven event failed again; it stays parked", "reaction", re.Name, "parked_id", e.ID,
			"event_id", ev.ID, "err", err)
		return projector.FailedAgain(ctx, r.cfg.DB, e, err)
	}
	r.log.InfoContext(ctx, "dead letter redriven", "reaction", re.Name, "parked_id", e.ID, "event_id", ev.ID)
	return projector.Resolve(ctx, r.cfg.DB, e)
}

// redriveTimer schedules a parked timer again, due now, and resolves its dead letter, in one
// transaction.
func (r *Runner) redriveTimer(ctx context.Context, kind string, e projector.ParkedEvent) error {
	tx, err := r.cfg.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	t := Timer{ID: e.EventID, Kind: kind, Key: strings.TrimPrefix(e.StreamID, "timer-"), DueAt: time.Now(), Payload: e.Payload}
	if err := Schedule(ctx, tx, r.cfg.Schema, t); err != nil {
		return err
	}
	if err := projector.Resolve(ctx, tx, e); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	r.log.InfoContext(ctx, "parked timer scheduled again", "kind", kind, "parked_id", e.ID, "timer", e.EventID)
	return nil
}
