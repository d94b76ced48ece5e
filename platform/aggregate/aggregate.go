// Package aggregate loads event-sourced aggregates from the event store and saves the events
// their methods record, with optimistic concurrency on the stream version.
//
// A command handler has three beats: Load the aggregate, call its method (which decides and
// records events, without I/O), Save it. Update does the three with retries when another
// writer got there first, for commands that are safe to repeat.
package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/reqctx"
)

// ErrNotFound means the aggregate's stream has no events.
var ErrNotFound = errors.New("aggregate: not found")

// Changes is embedded in every aggregate: it tracks the version the aggregate was loaded at
// and the events recorded since.
type Changes struct {
	version  int64
	pending  []proto.Message
	claims   []es.Claim
	releases []es.Claim
}

// Version is the stream version of the last event applied from the store (0 for new).
func (c *Changes) Version() int64 { return c.version }

// Record queues an event to be appended on Save. The aggregate applies it to its own state
// first: Record does not call Apply.
func (c *Changes) Record(event proto.Message) { c.pending = append(c.pending, event) }

// Claim reserves a unique value (an e-mail address, a SKU, a slug) for this aggregate, in the
// transaction that appends its pending events: the save fails with es.ErrDuplicate, writing
// nothing, if another stream holds it. Call it next to the Record of the event that claims it.
func (c *Changes) Claim(scope, value string) {
	c.claims = append(c.claims, es.Claim{Scope: scope, Value: value})
}

// Release frees a value this aggregate holds, in the transaction of its pending events.
func (c *Changes) Release(scope, value string) {
	c.releases = append(c.releases, es.Claim{Scope: scope, Value: value})
}

// Pending returns the events recorded since the aggregate was loaded or saved.
func (c *Changes) Pending() []proto.Message { return c.pending }

// changes gives the Store access to the embedded Changes through the Root interface.
//
//lint:ignore U1000 called through Root by types that embed Changes, in other packages
func (c *Changes) changes() *Changes { return c }

// Root is an event-sourced aggregate. Implementations embed Changes.
type Root interface {
	// StreamID names the aggregate's stream, "<aggregate>-<id>" (e.g. "user-0190…").
	StreamID() string
	// Apply changes the state by one stored event. It is called when loading; it must accept
	// every event the aggregate ever recorded.
	Apply(event proto.Message) error
	changes() *Changes
}

// Snapshotter is implemented by aggregates whose streams grow long: their state is saved as
// a snapshot every so many events, so loading reads only the events after it.
type Snapshotter interface {
	Snapshot() (proto.Message, error)
	Restore(snapshot proto.Message) error
}

// Store loads and saves aggregates of one type.
type Store[R Root] struct {
	events     es.Store
	registry   *events.Registry
	newRoot    func(streamID string) R
	propagator propagation.TextMapPropagator
	log        *slog.Logger
	snapshots  es.SnapshotStore
	every      int64
	retries    int
}

// Option configures a Store.
type Option func(*options)

type options struct {
	propagator propagation.TextMapPropagator
	log        *slog.Logger
	snapshots  es.SnapshotStore
	every      int64
	retries    int
}

// WithPropagator records the W3C trace context of the saving request in every event.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(o *options) { o.propagator = p }
}

// WithLogger sets the logger for best-effort work (snapshots).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithSnapshots saves a snapshot (the aggregate must be a Snapshotter, and its snapshot
// message registered) whenever a save crosses a multiple of every events.
func WithSnapshots(s es.SnapshotStore, every int) Option {
	return func(o *options) { o.snapshots, o.every = s, int64(every) }
}

// WithRetries sets how often Update retries after a concurrency conflict (default 5).
func WithRetries(n int) Option { return func(o *options) { o.retries = n } }

// NewStore returns a Store. newRoot makes an empty aggregate for a stream id; registry must
// know every event (and snapshot) message of the aggregate.
func NewStore[R Root](store es.Store, registry *events.Registry, newRoot func(streamID string) R, opts ...Option) *Store[R] {
	o := options{retries: 5, log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	return &Store[R]{
		events: store, registry: registry, newRoot: newRoot, propagator: o.propagator,
		log: o.log, snapshots: o.snapshots, every: o.every, retries: o.retries,
	}
}

// readBatch is how many events Load reads per round trip.
const readBatch = 512

// Load rebuilds the aggregate from its snapshot (if any) and events. It fails with
// ErrNotFound for a stream without events.
func (s *Store[R]) Load(ctx context.Context, streamID string) (R, error) {
	root := s.newRoot(streamID)
	from := int64(1)
	if snap, ok := any(root).(Snapshotter); ok && s.snapshots != nil {
		if v, err := s.restore(ctx, snap, streamID); err != nil {
			s.log.WarnContext(ctx, "snapshot unusable; loading from the first event", "stream", streamID, "err", err)
			root = s.newRoot(streamID)
		} else if v > 0 {
			root.changes().version = v
			from = v + 1
		}
	}
	for {
		evs, err := s.events.ReadStream(ctx, streamID, from, readBatch)
		if err != nil {
			return root, fmt.Errorf("load %s: %w", streamID, err)
		}
		for _, ev := range evs {
			m, err := s.registry.Decode(ev)
			if err != nil {
				return root, fmt.Errorf("load %s: %w", streamID, err)
			}
			if err := root.Apply(m); err != nil {
				return root, fmt.Errorf("load %s: apply %s v%d: %w", streamID, ev.Type, ev.Version, err)
			}
			root.changes().version = ev.Version
		}
		if len(evs) < readBatch {
			break
		}
		from = evs[len(evs)-1].Version + 1
	}
	if root.changes().version == 0 {
		return root, fmt.Errorf("%w: %s", ErrNotFound, streamID)
	}
	return root, nil
}

func (s *Store[R]) restore(ctx context.Context, snap Snapshotter, streamID string) (int64, error) {
	sn, err := s.snapshots.LoadSnapshot(ctx, streamID)
	if errors.Is(err, es.ErrNoSnapshot) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	m, err := s.registry.Decode(es.RecordedEvent{Type: sn.Type, SchemaVersion: 1, Payload: sn.Payload, StreamID: streamID})
	if err != nil {
		return 0, err
	}
	if err := snap.Restore(m); err != nil {
		return 0, err
	}
	return sn.Version, nil
}

// Save appends the aggregate's pending events, expecting the stream at the version it was
// loaded at (or no stream, for a new aggregate), with its claims and releases. A
// conflict is es.ErrConcurrency; nothing is written then. After Save the pending events are
// cleared and Version is the new stream version.
func (s *Store[R]) Save(ctx context.Context, root R, opts ...es.AppendOption) error {
	c := root.changes()
	if len(c.pending) == 0 {
		// Under a cause an empty save still counts as one, so that the saves after it keep
		// their ids whatever a repeated handling decides here.
		_, done := eventIDs(ctx, root.StreamID(), 0)
		done()
		return nil
	}
	md := s.metadata(ctx)
	data := make([]es.EventData, 0, len(c.pending))
	ids, done := eventIDs(ctx, root.StreamID(), len(c.pending))
	for i, m := range c.pending {
		d, err := s.registry.Encode(m, md)
		if err != nil {
			return err
		}
		if ids != nil {
			d.ID = ids[i]
		}
		data = append(data, d)
	}
	opts = append(opts, es.WithReleases(c.releases...), es.WithClaims(c.claims...))
	res, err := s.events.Append(ctx, root.StreamID(), es.Exact(c.version), data, opts...)
	if ids != nil && errors.Is(err, es.ErrDuplicateEventID) {
		done()
		c.pending, c.claims, c.releases = nil, nil, nil
		return fmt.Errorf("save %s: %w", root.StreamID(), ErrAlreadySaved)
	}
	if err != nil {
		return fmt.Errorf("save %s: %w", root.StreamID(), err)
	}
	done()
	before := c.version
	c.version, c.pending, c.claims, c.releases = res.NextVersion, nil, nil, nil
	s.maybeSnapshot(ctx, root, before)
	return nil
}

func (s *Store[R]) maybeSnapshot(ctx context.Context, root R, before int64) {
	snap, ok := any(root).(Snapshotter)
	if !ok || s.snapshots == nil || s.every <= 0 || before/s.every == root.changes().version/s.every {
		return
	}
	m, err := snap.Snapshot()
	if err == nil {
		var payload []byte
		if payload, err = proto.Marshal(m); err == nil {
			err = s.snapshots.SaveSnapshot(ctx, es.Snapshot{
				StreamID: root.StreamID(), Type: string(m.ProtoReflect().Descriptor().FullName()),
				Version: root.changes().version, Payload: payload,
			})
		}
	}
	if err != nil {
		s.log.WarnContext(ctx, "snapshot not saved", "stream", root.StreamID(), "err", err)
	}
}

// Update loads the aggregate, lets decide change it, and saves it; when another writer
// appended in between it starts over (up to the configured retries, with jitter), so decide
// must be free of side effects. A decide error is returned as it is, with nothing saved.
func (s *Store[R]) Update(ctx context.Context, streamID string, decide func(R) error, opts ...es.AppendOption) (R, error) {
	return s.update(ctx, streamID, false, decide, opts)
}

// UpdateOrNew is Update for aggregates that exist as soon as their owner does (a user's cart
// or wishlist): a stream without events gives decide the new, empty aggregate, and saving it
// starts the stream (two first writers conflict, and the loser starts over on the winner's).
func (s *Store[R]) UpdateOrNew(ctx context.Context, streamID string, decide func(R) error, opts ...es.AppendOption) (R, error) {
	return s.update(ctx, streamID, true, decide, opts)
}

func (s *Store[R]) update(ctx context.Context, streamID string, orNew bool, decide func(R) error, opts []es.AppendOption) (R, error) {
	var root R
	var err error
	for attempt := 0; ; attempt++ {
		if root, err = s.Load(ctx, streamID); err != nil && !(orNew && errors.Is(err, ErrNotFound)) {
			return root, err
		}
		if err = decide(root); err != nil {
			return root, err
		}
		err = s.Save(ctx, root, opts...)
		if errors.Is(err, ErrAlreadySaved) {
			// An earlier handling of the same cause made this change: it is done, and the
			// handler goes on with the aggregate as stored.
			return s.Load(ctx, streamID)
		}
		if !errors.Is(err, es.ErrConcurrency) || attempt >= s.retries {
			return root, err
		}
		select {
		case <-ctx.Done():
			return root, ctx.Err()
		case <-time.After(time.Duration(1+rand.IntN(10*(attempt+1))) * time.Millisecond):
		}
	}
}

// metadata builds the events' metadata from the request context.
func (s *Store[R]) metadata(ctx context.Context) es.Metadata {
	info := reqctx.From(ctx)
	md := es.Metadata{CorrelationID: info.CorrelationID, CausationID: info.CausationID, UserID: info.Actor.UserID}
	if s.propagator != nil {
		carrier := propagation.MapCarrier{}
		s.propagator.Inject(ctx, carrier)
		md.TraceParent, md.TraceState = carrier["traceparent"], carrier["tracestate"]
	}
	return md
}
