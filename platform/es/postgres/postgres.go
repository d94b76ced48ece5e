// Package postgres is the PostgreSQL event store: an es.Store and es.SnapshotStore over a
// pgx connection pool, with each service's tables in its own schema.
//
// Apply Migrations(schema) with pgmigrate before use. An append is one round trip: a call of
// the append_events function, which checks the expected version, moves uniqueness claims and
// inserts the events, all in the statement's transaction; appends made concurrently share one
// call of append_batch and one commit (docs/decisions/014-append-batching.md). After commits,
// the store notifies NotifyChannel(schema).
// ReadAll's global order is gap-safe: see es.Position and
// docs/decisions/002-gap-safe-global-order.md.
//
// The store expects the default READ COMMITTED isolation of its pool's sessions.
package postgres

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the event store's migrations, to apply in schema (created if missing).
func Migrations(schema string) pgmigrate.Set {
	return pgmigrate.Embedded("es", schema, migrations, "migrations")
}

// NotifyChannel is the LISTEN channel on which every committed append in schema notifies
// (payload: the writing transaction's id). A notification says new events were committed;
// ReadAll may return them only once older transactions finish, so a listener must also poll
// on a timer. Quote it as an identifier: LISTEN "catalog_events".
func NotifyChannel(schema string) string { return schema + "_events" }

var validSchema = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// querier is what appending and reading need of a pool; a pgx.Tx has it too, which tests use
// to hold a transaction open.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Store is the event store of one schema. It is safe for concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	schema  string
	sql     statements
	wakeup  wakeup
	batcher batcher
}

var (
	_ es.Store         = (*Store)(nil)
	_ es.SnapshotStore = (*Store)(nil)
)

// DefaultAppendsInFlight is how many append transactions a store runs at once before it
// combines further concurrent appends (see WithAppendsInFlight).
const DefaultAppendsInFlight = 1

// Option configures a Store.
type Option func(*Store)

// WithAppendsInFlight sets how many append transactions the store runs at once; appends made
// while that many are running queue and go together, in one transaction, when one finishes
// (docs/decisions/014-append-batching.md). 0 turns combining off: every append is its own
// transaction.
func WithAppendsInFlight(n int) Option {
	return func(s *Store) { s.batcher.maxInFlight = n }
}

// New returns the store whose tables Migrations(schema) created. It does not connect; the
// pool belongs to the caller, who closes it.
func New(pool *pgxpool.Pool, schema string, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: nil pool", es.ErrInvalidArgument)
	}
	if !validSchema.MatchString(schema) {
		return nil, fmt.Errorf("%w: schema %q: want lower-case letters, digits and underscores", es.ErrInvalidArgument, schema)
	}
	s := &Store{pool: pool, schema: schema, sql: newStatements(schema),
		wakeup: wakeup{sql: "BEGIN; SET LOCAL synchronous_commit = off; NOTIFY " + pgx.Identifier{NotifyChannel(schema)}.Sanitize() + "; COMMIT"}}
	s.batcher = batcher{store: s, maxInFlight: DefaultAppendsInFlight}
	for _, opt := range opts {
		opt(s)
	}
	if s.batcher.maxInFlight < 0 {
		return nil, fmt.Errorf("%w: %d appends in flight", es.ErrInvalidArgument, s.batcher.maxInFlight)
	}
	return s, nil
}

// Schema returns the schema the store works in.
func (s *Store) Schema() string { return s.schema }

// StreamVersionSQL is a statement of one parameter, a stream id, that selects the stream's
// current version as a bigint (0 for a stream without events). It is for readers that keep
// an aggregate in memory and check it against the store in the same batch (one round trip)
// as statements of their own on the same database; it sees what ReadStream would.
func (s *Store) StreamVersionSQL() string { return s.sql.streamVersion }

// statements are the store's SQL, with the schema spelled out.
type statements struct {
	appendEvents, appendBatch, readForward, readBackward, readAll, head, saveSnapshot, loadSnapshot, claimOwner string
	streamVersion                                                                                               string
}

const eventColumns = `event_id, stream_id, stream_version, tx_id, global_position, event_type, schema_version,
	payload, correlation_id, causation_id, user_id, trace_parent, trace_state, recorded_at`

// safeBefore is the first transaction id that may still be running: every transaction below
// it has committed or aborted, so no event below it can appear any more.
const safeBefore = `pg_snapshot_xmin(pg_current_snapshot())::text::bigint`

func newStatements(schema string) statements {
	q := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	return statements{
		appendEvents: `SELECT out_version, out_tx_id, out_global_position
			FROM ` + q("append_events") + `($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		appendBatch: `SELECT out_stream, out_version, out_tx_id, out_global_position
			FROM ` + q("append_batch") + `($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		readForward: `SELECT ` + eventColumns + ` FROM ` + q("events") + `
			WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3`,
		readBackward: `SELECT ` + eventColumns + ` FROM ` + q("events") + `
			WHERE stream_id = $1 AND stream_version <= $2 ORDER BY stream_version DESC LIMIT $3`,
		readAll: `SELECT ` + eventColumns + ` FROM ` + q("events") + `
			WHERE (tx_id, global_position) > ($1, $2) AND tx_id < ` + safeBefore + `
			ORDER BY tx_id, global_position LIMIT $3`,
		head: `SELECT tx_id, global_position FROM ` + q("events") + `
			ORDER BY tx_id DESC, global_position DESC LIMIT 1`,
		saveSnapshot: `INSERT INTO ` + q("snapshots") + ` AS s (stream_id, snapshot_type, version, payload)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (stream_id) DO UPDATE
			SET snapshot_type = EXCLUDED.snapshot_type, version = EXCLUDED.version, payload = EXCLUDED.payload, saved_at = now()
			WHERE s.version <= EXCLUDED.version`,
		loadSnapshot:  `SELECT snapshot_type, version, payload FROM ` + q("snapshots") + ` WHERE stream_id = $1`,
		claimOwner:    `SELECT stream_id FROM ` + q("claims") + ` WHERE scope = $1 AND value = $2`,
		streamVersion: `SELECT coalesce(max(stream_version), 0) FROM ` + q("events") + ` WHERE stream_id = $1`,
	}
}

// Append implements es.Appender in one round trip to the server, or less: concurrent appends
// may share one (see WithAppendsInFlight).
func (s *Store) Append(ctx context.Context, stream string, expected es.ExpectedVersion, events []es.EventData, opts ...es.AppendOption) (es.AppendResult, error) {
	req, err := es.NewAppendRequest(stream, expected, events, opts...)
	if err != nil {
		return es.AppendResult{}, err
	}
	var res es.AppendResult
	if s.batcher.maxInFlight > 0 && len(req.Claims) == 0 && len(req.Releases) == 0 {
		res, err = s.batcher.append(ctx, req)
	} else {
		res, err = s.append(ctx, s.pool, req)
	}
	if err == nil {
		s.wake(ctx)
	}
	return res, err
}

// wakeup coalesces the notifications that wake listeners (the relay) after appends.
//
// They are sent after the append has committed, in a transaction of their own that commits
// asynchronously: a NOTIFY inside the append would hold a database-wide lock until the
// append's commit is on disk, making appends commit one at a time. They are sent by a
// goroutine of their own, so that no appender waits for them, and at most one per wakePause
// under load: the first after a quiet spell goes at once; appends committed while it is sent,
// or in the pause after it, share the next one. A lost notification only delays a listener
// until its next poll.
type wakeup struct {
	sql     string
	pending atomic.Bool // an append committed since the last notification was sent
	busy    atomic.Bool // a goroutine is sending notifications
	mu      sync.Mutex  // orders starting a sender with Close
	closed  bool
	stopped atomic.Bool // closed, for the sender's loop, which does not take mu
	senders sync.WaitGroup
}

// wakePause is the shortest interval between two notifications: under load, one per pause
// wakes the relay as well as one per append, at a fraction of the cost (measured in
// docs/decisions/014-append-batching.md), and adds at most this much to its latency.
const wakePause = 5 * time.Millisecond

// wakeTimeout bounds the sending of one notification.
const wakeTimeout = 5 * time.Second

// wake makes sure a notification is sent after the caller's commit, without waiting for it.
func (s *Store) wake(ctx context.Context) {
	w := &s.wakeup
	w.pending.Store(true)
	if w.busy.CompareAndSwap(false, true) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.closed {
			return // listeners poll
		}
		w.senders.Go(func() { s.sendWakeups(context.WithoutCancel(ctx)) })
	}
}

// Close stops sending wake-up notifications and waits for the one being sent, so that the
// pool can be closed after it. Appends keep working (listeners then find them by polling).
func (s *Store) Close() {
	w := &s.wakeup
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.stopped.Store(true)
	w.senders.Wait()
}

// sendWakeups sends notifications while appends keep committing, then ends.
func (s *Store) sendWakeups(ctx context.Context) {
	w := &s.wakeup
	for {
		for w.pending.Swap(false) {
			// Best effort: on failure listeners poll. Bounded, so that a hung connection
			// cannot keep this goroutine, and every later notification, waiting.
			sendCtx, cancel := context.WithTimeout(ctx, wakeTimeout)
			_, _ = s.pool.Exec(sendCtx, w.sql, pgx.QueryExecModeSimpleProtocol)
			cancel()
			if w.stopped.Load() {
				break // Close: the wake-up pending when it was called is sent, then no more
			}
			time.Sleep(wakePause)
		}
		w.busy.Store(false)
		// An append that set pending after the loop's last look, and saw busy still set,
		// relies on this goroutine: take the job back unless another goroutine has.
		if w.stopped.Load() || !w.pending.Load() || !w.busy.CompareAndSwap(false, true) {
			return
		}
	}
}

func (s *Store) append(ctx context.Context, q querier, req es.AppendRequest) (es.AppendResult, error) {
	n := len(req.Events)
	cols := newEventArrays(n)
	for _, e := range req.Events {
		cols.add(e)
	}
	claimScopes, claimValues := split(req.Claims)
	releaseScopes, releaseValues := split(req.Releases)

	rows, err := q.Query(ctx, s.sql.appendEvents, append(append([]any{req.Stream, int64(req.Expected)}, cols.args()...),
		claimScopes, claimValues, releaseScopes, releaseValues)...)
	if err != nil {
		return es.AppendResult{}, s.appendError(ctx, req, err)
	}
	type row struct {
		version int64
		pos     es.Position
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.version, &x.pos.TxID, &x.pos.Global)
		return x, err
	})
	if err != nil {
		return es.AppendResult{}, s.appendError(ctx, req, err)
	}
	if len(got) != n {
		return es.AppendResult{}, fmt.Errorf("es/postgres: append to %q: %d events written, want %d", req.Stream, len(got), n)
	}
	slices.SortFunc(got, func(a, b row) int { return cmp.Compare(a.version, b.version) })
	res := es.AppendResult{NextVersion: got[n-1].version, EventIDs: make([]uuid.UUID, n), Positions: make([]es.Position, n)}
	for i, r := range got {
		res.EventIDs[i], res.Positions[i] = req.Events[i].ID, r.pos
	}
	return res, nil
}

// eventArrays are the per-event columns of append_events and append_batch, one array each.
type eventArrays struct {
	ids                                   [][16]byte
	types, corrs, causes, users, tps, tss []string
	schemas                               []int32
	payloads                              [][]byte
}

func newEventArrays(n int) *eventArrays {
	return &eventArrays{ids: make([][16]byte, 0, n), types: make([]string, 0, n), corrs: make([]string, 0, n),
		causes: make([]string, 0, n), users: make([]string, 0, n), tps: make([]string, 0, n), tss: make([]string, 0, n),
		schemas: make([]int32, 0, n), payloads: make([][]byte, 0, n)}
}

func (a *eventArrays) add(e es.EventData) {
	a.ids, a.types, a.schemas, a.payloads = append(a.ids, e.ID), append(a.types, e.Type), append(a.schemas, int32(e.SchemaVersion)), append(a.payloads, e.Payload)
	a.corrs, a.causes, a.users = append(a.corrs, e.Metadata.CorrelationID), append(a.causes, e.Metadata.CausationID), append(a.users, e.Metadata.UserID)
	a.tps, a.tss = append(a.tps, e.Metadata.TraceParent), append(a.tss, e.Metadata.TraceState)
}

// args are the arrays in the functions' parameter order.
func (a *eventArrays) args() []any {
	return []any{a.ids, a.types, a.schemas, a.payloads, a.corrs, a.causes, a.users, a.tps, a.tss}
}

func split(claims []es.Claim) (scopes, values []string) {
	scopes, values = make([]string, len(claims)), make([]string, len(claims))
	for i, c := range claims {
		scopes[i], values[i] = c.Scope, c.Value
	}
	return scopes, values
}

// appendError maps what PostgreSQL said to the es errors.
func (s *Store) appendError(ctx context.Context, req es.AppendRequest, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == codeConflict:
			actual, perr := strconv.ParseInt(pgErr.Detail, 10, 64)
			if perr != nil {
				actual = -1
			}
			return &es.ConcurrencyError{Stream: req.Stream, Expected: req.Expected, Actual: actual}
		case pgErr.Code == codeClaimed:
			i, perr := strconv.Atoi(pgErr.Detail)
			if perr != nil || i < 1 || i > len(req.Claims) {
				return fmt.Errorf("es/postgres: append to %q: %w", req.Stream, &es.DuplicateError{})
			}
			c := req.Claims[i-1]
			return &es.DuplicateError{Scope: c.Scope, Value: c.Value}
		case pgErr.Code == codeUniqueViolation && pgErr.ConstraintName == "events_stream_version_key",
			pgErr.Code == codeSerializationFailure, pgErr.Code == codeDeadlock:
			return &es.ConcurrencyError{Stream: req.Stream, Expected: req.Expected, Actual: -1}
		case pgErr.Code == codeUniqueViolation && pgErr.ConstraintName == "events_event_id_key":
			return fmt.Errorf("es/postgres: append to %q: %w", req.Stream, es.ErrDuplicateEventID)
		}
	}
	return wrap(ctx, fmt.Sprintf("append to %q", req.Stream), err)
}

// SQLSTATEs the store maps. SF001 and SF002 are raised by append_events.
const (
	codeConflict             = "SF001"
	codeClaimed              = "SF002"
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlock             = "40P01"
)

// wrap adds context to err and, when ctx is done, makes sure errors.Is(err, ctx.Err()) holds.
func wrap(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("es/postgres: %s: %w: %w", what, ctxErr, err)
	}
	return fmt.Errorf("es/postgres: %s: %w", what, err)
}

// ReadStream implements es.StreamReader.
func (s *Store) ReadStream(ctx context.Context, stream string, from int64, max int) ([]es.RecordedEvent, error) {
	if err := es.CheckRead(stream, from, max); err != nil {
		return nil, err
	}
	return s.readEvents(ctx, s.pool, "read stream "+strconv.Quote(stream), max, s.sql.readForward, stream, from, max)
}

// ReadStreamBackward implements es.StreamReader.
func (s *Store) ReadStreamBackward(ctx context.Context, stream string, from int64, max int) ([]es.RecordedEvent, error) {
	if err := es.CheckRead(stream, from, max); err != nil {
		return nil, err
	}
	return s.readEvents(ctx, s.pool, "read stream "+strconv.Quote(stream)+" backward", max, s.sql.readBackward, stream, from, max)
}

// ReadAll implements es.LogReader. It returns only events of transactions older than the
// oldest transaction still running on the server, in (transaction id, sequence) order, so
// an event that commits late is never behind a position already returned.
func (s *Store) ReadAll(ctx context.Context, after es.Position, max int) ([]es.RecordedEvent, error) {
	if err := es.CheckReadAll(after, max); err != nil {
		return nil, err
	}
	return s.readAll(ctx, s.pool, after, max)
}

func (s *Store) readAll(ctx context.Context, q querier, after es.Position, max int) ([]es.RecordedEvent, error) {
	return s.readEvents(ctx, q, "read all after "+after.String(), max, s.sql.readAll, after.TxID, after.Global, max)
}

// Head implements es.LogReader.
func (s *Store) Head(ctx context.Context) (es.Position, error) {
	var p es.Position
	err := s.pool.QueryRow(ctx, s.sql.head).Scan(&p.TxID, &p.Global)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return es.Position{}, wrap(ctx, "head", err)
	}
	return p, nil
}

// readEvents runs a query of eventColumns that returns at most max rows.
func (s *Store) readEvents(ctx context.Context, q querier, what string, max int, sql string, args ...any) ([]es.RecordedEvent, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(ctx, what, err)
	}
	evs, err := collectEvents(rows, min(max, 4096))
	if err != nil {
		return nil, wrap(ctx, what, err)
	}
	return evs, nil
}

func scanEvent(row pgx.CollectableRow) (es.RecordedEvent, error) {
	var (
		e      es.RecordedEvent
		id     [16]byte
		schema int32
	)
	err := row.Scan(&id, &e.StreamID, &e.Version, &e.Position.TxID, &e.Position.Global, &e.Type, &schema,
		&e.Payload, &e.Metadata.CorrelationID, &e.Metadata.CausationID, &e.Metadata.UserID,
		&e.Metadata.TraceParent, &e.Metadata.TraceState, &e.RecordedAt)
	e.ID, e.SchemaVersion, e.RecordedAt = id, int(schema), e.RecordedAt.UTC()
	return e, err
}

// SaveSnapshot implements es.SnapshotStore.
func (s *Store) SaveSnapshot(ctx context.Context, snap es.Snapshot) error {
	if err := es.CheckSnapshot(snap); err != nil {
		return err
	}
	payload := snap.Payload
	if payload == nil {
		payload = []byte{}
	}
	if _, err := s.pool.Exec(ctx, s.sql.saveSnapshot, snap.StreamID, snap.Type, snap.Version, payload); err != nil {
		return wrap(ctx, "save snapshot of "+strconv.Quote(snap.StreamID), err)
	}
	return nil
}

// LoadSnapshot implements es.SnapshotStore.
func (s *Store) LoadSnapshot(ctx context.Context, stream string) (es.Snapshot, error) {
	snap := es.Snapshot{StreamID: stream}
	err := s.pool.QueryRow(ctx, s.sql.loadSnapshot, stream).Scan(&snap.Type, &snap.Version, &snap.Payload)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return es.Snapshot{}, fmt.Errorf("stream %q: %w", stream, es.ErrNoSnapshot)
	case err != nil:
		return es.Snapshot{}, wrap(ctx, "load snapshot of "+strconv.Quote(stream), err)
	}
	return snap, nil
}

// ClaimOwner implements es.ClaimReader.
func (s *Store) ClaimOwner(ctx context.Context, c es.Claim) (string, error) {
	var stream string
	err := s.pool.QueryRow(ctx, s.sql.claimOwner, c.Scope, c.Value).Scan(&stream)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// The value may be an e-mail address: it stays out of the error.
		return "", fmt.Errorf("claim in %s: %w", c.Scope, es.ErrNoClaim)
	case err != nil:
		return "", wrap(ctx, "look up claim in "+strconv.Quote(c.Scope), err)
	}
	return stream, nil
}
