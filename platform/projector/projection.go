package projector

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/es"
)

// Projection is a read model: user code that the runtime feeds with events.
//
// The runtime calls Apply for one projection from one goroutine at a time per process, but
// several processes may run the same projection: Apply must only write through tx. It may be
// called again for the same event after a rollback (a failed batch is retried), never twice
// with the effect of both committed.
type Projection interface {
	// Name identifies the projection and names its read schema (and its generation schemas
	// <name>_g<N>): a lower-case letter followed by up to 40 lower-case letters, digits and
	// underscores. It must not change while the projection exists.
	Name() string

	// Contexts names the bounded contexts whose events the projection reads (the runtime
	// consumes <context>.> from each context's JetStream stream, and rebuilds from each
	// context's event store). The projection relies on per-stream order only: events of
	// different streams, and of different contexts, arrive in no particular order.
	Contexts() []string

	// DDL returns the statements that create the projection's tables in schema, a new and
	// empty generation schema. They run in one transaction whose search_path is schema, so
	// names may be left unqualified. Every table (and view) created there is exposed to
	// readers through a view of the same name in the read schema. The name projector_streams
	// is reserved.
	DDL(schema string) string

	// Apply writes the effect of ev into the tables of schema, inside tx, which the runtime
	// commits together with the projection's idempotency record. ev is the next event of its
	// stream: every earlier version has been applied (or its stream is blocked and Apply is
	// not called).
	//
	// Return nil for an event that the projection deliberately ignores. Return an error
	// wrapping ErrUnknownEvent for an event whose type or schema version the projection
	// does not understand but should: it is parked at once, without retries. Any other error
	// makes the runtime roll back the event's effect and retry it alone a few times, then
	// park it. ctx carries the event's trace.
	Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error
}

// BatchProjection is a Projection that can also apply many events at once, with fewer round
// trips than one Apply per event (one multi-row statement, COPY, or a pipelined pgx.Batch).
// The runtime uses it, when implemented, for the events of a batch that it has decided to
// apply; Apply stays the reference: when ApplyBatch fails, the runtime rolls the batch back
// and applies its events one by one with Apply, so a failing event is isolated, retried and
// parked as usual.
type BatchProjection interface {
	Projection

	// ApplyBatch must have the effect of calling Apply for each of evs, in order. evs holds
	// each stream's events in version order, every one the next version of its stream;
	// events of different streams may be interleaved. It must only write through tx.
	ApplyBatch(ctx context.Context, tx pgx.Tx, schema string, evs []es.RecordedEvent) error
}

// IndexedProjection is a Projection with secondary indexes that are cheaper to build once,
// over a full table, than to maintain row by row while a rebuild fills it (a GIN index over
// a tsvector, say). A rebuild creates them after it has caught up with the stores and
// before the switch; live batches then maintain them as usual.
type IndexedProjection interface {
	Projection

	// Indexes returns the statements that create the indexes in schema, run like DDL (one
	// transaction, search_path schema). They must be idempotent (CREATE INDEX IF NOT EXISTS):
	// a rebuild interrupted after creating them runs them again when it resumes. Indexes
	// that enforce a constraint (UNIQUE) belong in DDL, so that they hold from the start.
	Indexes(schema string) string
}

var (
	// ErrUnknownEvent is what Apply wraps for an event type or schema version it does not
	// know. Such an event is parked without retries (reason ReasonUnknownEvent).
	ErrUnknownEvent = errors.New("projector: unknown event")

	// ErrUnknownProjection means no projection of that name was given to New.
	ErrUnknownProjection = errors.New("projector: unknown projection")

	// ErrRebuildRunning means another rebuild of the projection holds its lock, in this
	// process or another one.
	ErrRebuildRunning = errors.New("projector: a rebuild of this projection is already running")

	// ErrNotBuilt means the projection has no active generation yet: Run (or Rebuild)
	// builds it first.
	ErrNotBuilt = errors.New("projector: projection not built yet")
)
