// Package esdb is the EventStoreDB event store: an es.Store and es.SnapshotStore over the
// EventStore-Client-Go v4 gRPC client (package github.com/EventStore/EventStore-Client-Go/v4/esdb,
// imported here as eventstore). It passes the contract suite in package estest, less the two
// features EventStoreDB cannot give (see Limitations). Only this one EventStoreDB client may be
// linked into a binary: the v4 client and the KurrentDB client register conflicting protobuf
// files.
//
// # Mapping
//
//   - Streams. A Store works inside a Namespace: the EventStoreDB stream of stream id "order-1"
//     in namespace "ordering" is "ordering/order-1". ReadAll and Head see only the namespace's
//     streams, as the PostgreSQL store sees only its schema. With no namespace, stream names are
//     used as they are and stream ids beginning with "$" (EventStoreDB's system streams) are
//     rejected with es.ErrInvalidArgument.
//   - Versions. es versions count from 1; EventStoreDB revisions from 0: version = revision + 1.
//     Expected versions map to eventstore.Any{}, eventstore.StreamExists{}, eventstore.NoStream{}
//     (es.NoStream, i.e. Exact(0)) and eventstore.Revision(n-1) (Exact(n), n ≥ 1). The server's
//     WrongExpectedVersion becomes an *es.ConcurrencyError whose Actual is the stream version the
//     server reported.
//   - Positions. es.Position{TxID: commit, Global: prepare} of the event's $all position. The
//     es order (TxID, then Global) is EventStoreDB's $all order. EventStoreDB has one writer per
//     cluster that appends to a single transaction log and $all is read from that log, so a
//     $all reader never sees an event appear behind a position it has passed: the gap problem
//     of docs/decisions/002 does not arise, and nothing is held back. Positions are byte
//     offsets in the log (for events appended through gRPC, commit equals prepare), so the
//     difference of two Global fields measures bytes, not events.
//   - Events. The event id is the EventStoreDB event id, the type is the event type (types
//     beginning with '$' are EventStoreDB's and rejected), the payload is the event data
//     (content type binary). es.Metadata, the schema version and the event's
//     offset within its append are the event metadata, a JSON object whose correlation and
//     causation ids use EventStoreDB's own keys ("$correlationId", "$causationId") so that its
//     projections understand them; see eventMetadata.
//   - RecordedAt. EventStoreDB stamps each event of an append separately; the store reports
//     for every event the server's stamp of the first event of its append (found through the
//     offset recorded in the metadata), in UTC, truncated to microseconds.
//   - Snapshots live in the system stream "$snapshot-<stream>" (namespace included), capped
//     with $maxCount 1; SaveSnapshot appends under an expected revision so that concurrent
//     savers never replace a newer snapshot with an older one. $-streams never appear in
//     ReadAll.
//
// # Limitations
//
// EventStoreDB writes atomically to one stream only. Hence:
//
//   - No uniqueness claims. A claim must commit with the events that make it, and a
//     reservation stream per (scope, value) would be a second write that can succeed while the
//     events fail, or the reverse. Append refuses es.WithClaims with an error matching
//     errors.ErrUnsupported and writes nothing; es.WithReleases is accepted and does nothing,
//     since no value is ever held. The store is not an es.ClaimReader. A service that needs
//     unique e-mails, SKUs or slugs keeps them in the PostgreSQL store (docs/decisions/008).
//   - Event ids are unique per stream, not store-wide: the server does not check an id against
//     other streams. An id twice in one append is still refused with es.ErrDuplicateEventID.
//     Within a stream, EventStoreDB treats a repeated append of the same ids at the same place
//     as idempotent: it succeeds without writing them again.
//   - ReadAll and Head filter $all on the client (the v4 client exposes no filtered read of
//     $all), so their cost grows with the events of other namespaces and system streams they
//     skip. Give each bounded context its own EventStoreDB in production, or expect a quiet
//     namespace on a busy server to scan.
//
// A store made by Dial replaces its client when the client closes itself after failing to
// find a node (the v4 client then stays closed for good), so it recovers when the server comes
// back; a store made by New leaves the caller's client alone.
//
// The store needs EventStoreDB 22.6 or later, which reports $all positions on stream reads
// (older servers fail reads and appends with a clear error), and a user allowed to read $all
// and to write $-streams (the admin user, or insecure mode). Append costs two round trips: the
// append, then a read of the appended events, which is the only way to learn each event's
// position. docs/decisions/008-eventstoredb.md records these choices.
package esdb
