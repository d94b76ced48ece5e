package es

import (
	"context"

	"github.com/google/uuid"
)

// Appender writes events to streams.
type Appender interface {
	// Append adds events to the end of stream, numbered from the stream's current version
	// plus one, if expected matches the stream's current version.
	//
	// It is atomic: the events, the claims and the releases of opts are all written in one
	// transaction, or nothing is. It fails with
	//   - ErrConcurrency (a *ConcurrencyError) when expected does not match;
	//   - ErrDuplicate (a *DuplicateError) when a claim is held by another stream;
	//   - ErrDuplicateEventID when an event id is already taken;
	//   - ErrInvalidArgument for an empty stream id, no events, an event without a type or
	//     an invalid expected version.
	//
	// Appends to one stream are serialised; appends to different streams run concurrently.
	// If ctx is cancelled before the append commits, Append returns an error wrapping
	// ctx.Err() and nothing is written; if the cancellation races the commit, the events may
	// have been written although an error is returned — an Exact retry then fails with
	// ErrConcurrency, which reveals it.
	Append(ctx context.Context, stream string, expected ExpectedVersion, events []EventData, opts ...AppendOption) (AppendResult, error)
}

// StreamReader reads one stream. It sees every append committed before the call.
type StreamReader interface {
	// ReadStream returns at most max events of stream with version ≥ from, in version order.
	// A stream with no events (or no events from there on) gives an empty slice and no error.
	// from must be ≥ 1 and max ≥ 1 (ErrInvalidArgument otherwise).
	ReadStream(ctx context.Context, stream string, from int64, max int) ([]RecordedEvent, error)

	// ReadStreamBackward returns at most max events of stream with version ≤ from, newest
	// first. Pass StreamEnd as from to start at the last event. from and max must be ≥ 1.
	ReadStreamBackward(ctx context.Context, stream string, from int64, max int) ([]RecordedEvent, error)
}

// LogReader reads the whole store in its global order. The relay tails it.
type LogReader interface {
	// ReadAll returns at most max events whose Position is after `after`, in Position order.
	// An empty slice means the reader is caught up for now.
	//
	// The guarantee that makes it safe to tail: an event is never returned after an event
	// that follows it in the global order, so a reader that resumes from the last Position
	// it received never skips an event — including one written by a transaction that
	// commits later than transactions with higher sequence numbers. To give that guarantee
	// an adapter may hold back committed events until every transaction that could still
	// precede them has finished. Within a stream the order is the version order.
	// max must be ≥ 1.
	ReadAll(ctx context.Context, after Position, max int) ([]RecordedEvent, error)

	// Head returns the Position of the last committed event in the global order (the zero
	// Position for an empty store). ReadAll may still hold it back for a moment; a reader
	// whose last Position equals Head has read every event committed before the call, and one
	// whose last Position is before it lags (the difference of the Global fields
	// approximates by how many events).
	Head(ctx context.Context) (Position, error)
}

// Store is a complete event store: append, read a stream, read everything.
// Implementations are safe for concurrent use.
type Store interface {
	Appender
	StreamReader
	LogReader
}

// Snapshot is a cached state of an aggregate as of a stream version, so that loading it
// reads only the events after that version. Snapshots are an optimisation: losing one only
// costs a longer load.
type Snapshot struct {
	StreamID string
	// Type names the payload's schema (e.g. "storefront.catalog.v1.ProductSnapshot").
	Type string
	// Version is the stream version the snapshot reflects (≥ 1).
	Version int64
	// Payload is the encoded state; the store does not interpret it.
	Payload []byte
}

// SnapshotStore keeps the latest snapshot of each stream. It is optional: an adapter offers
// it alongside Store.
type SnapshotStore interface {
	// SaveSnapshot stores s unless the stream already has a snapshot of a higher version
	// (then it is a no-op), replacing any older one. It is safe to call concurrently.
	SaveSnapshot(ctx context.Context, s Snapshot) error
	// LoadSnapshot returns the stream's latest snapshot, or an error matching ErrNoSnapshot.
	LoadSnapshot(ctx context.Context, stream string) (Snapshot, error)
}

// AppendResult tells where an append's events landed.
type AppendResult struct {
	// NextVersion is the stream's version after the append, i.e. the version of its last
	// event: pass Exact(NextVersion) as the expected version of the next append.
	NextVersion int64
	// EventIDs are the ids of the appended events, in order (generated ones included).
	EventIDs []uuid.UUID
	// Positions are the global positions of the appended events, in order.
	Positions []Position
}

// Claim reserves a value within a scope for one stream, e.g. {"user.email", "a@b.c"} for the
// stream of the user who registered with it. Scope and Value are compared byte for byte;
// normalise values (lower-case e-mail addresses, ...) before claiming.
type Claim struct {
	Scope string
	Value string
}

// AppendOption adds to an append the uniqueness reservations that must change with it.
type AppendOption func(*AppendOptions)

// AppendOptions is the result of applying AppendOptions; adapters read it.
type AppendOptions struct {
	// Claims are reserved for the appending stream. Claiming a value the stream already
	// holds is a no-op; one held by another stream fails the append with ErrDuplicate.
	Claims []Claim
	// Releases are freed if the appending stream holds them; values held by other streams
	// and values not held at all are left alone. Releases apply before claims, so releasing
	// and claiming the same value in one append leaves it claimed.
	Releases []Claim
}

// WithClaims reserves values for the appending stream, in the append's transaction.
func WithClaims(claims ...Claim) AppendOption {
	return func(o *AppendOptions) { o.Claims = append(o.Claims, claims...) }
}

// WithReleases frees values the appending stream holds, in the append's transaction.
func WithReleases(releases ...Claim) AppendOption {
	return func(o *AppendOptions) { o.Releases = append(o.Releases, releases...) }
}

// ClaimReader looks up who holds a unique value: the strongly consistent index behind
// commands such as "log in with this e-mail" or "reset with this token". Like StreamReader,
// it sees every append committed before the call.
type ClaimReader interface {
	// ClaimOwner returns the stream holding c, or an error matching ErrNoClaim.
	ClaimOwner(ctx context.Context, c Claim) (string, error)
}

// NewStream is a stream to create with Importer.Import: its first events and the values they
// claim.
type NewStream struct {
	Stream string
	Events []EventData
	Claims []Claim
}

// Importer creates many new streams at once, all or nothing: bulk seeding and migrations,
// where an append per stream would cost a transaction and a commit each. It is optional: an
// adapter offers it alongside Store. Imported events take their place in the global order
// like appended ones (a relay publishes them, projections see them).
type Importer interface {
	// Import writes streams, none of which may exist yet, in one transaction. It fails with
	// ErrInvalidArgument (no streams, a stream given twice, or what Append refuses), a
	// *ConcurrencyError (a stream exists already) or a *DuplicateError (a claim is held by
	// another stream, or by two of the imported ones); then nothing is written.
	Import(ctx context.Context, streams []NewStream) error
}
