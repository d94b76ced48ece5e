package projector

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
)

// ParkReason says why an event was parked.
type ParkReason string

// The reasons of parked events.
const (
	// ReasonUndecodable: the message's envelope (natsbus headers) is invalid.
	ReasonUndecodable ParkReason = "undecodable"
	// ReasonUnknownEvent: Apply returned ErrUnknownEvent (type or schema version unknown).
	ReasonUnknownEvent ParkReason = "unknown_event"
	// ReasonHandlerFailed: Apply failed on every attempt.
	ReasonHandlerFailed ParkReason = "handler_failed"
	// ReasonOutOfOrder: the event's earlier versions never arrived, up to its last delivery.
	ReasonOutOfOrder ParkReason = "out_of_order"
	// ReasonStreamBlocked: an earlier event of the stream is parked in this generation.
	ReasonStreamBlocked ParkReason = "stream_blocked"
)

// strategy is how a batch is applied: where its events come from, how it knows its streams'
// records, and whether a failing handler is isolated. It is the one switch of the apply path.
type strategy int

const (
	// livePredicted: JetStream messages; the stream records are assumed (just before each
	// stream's first event, nothing blocked) and verified by the checked save; handlers run
	// fast (a BatchProjection's ApplyBatch), and a failure gives the batch up.
	livePredicted strategy = iota
	// liveRead: as livePredicted, with the records read (without locks) instead of assumed.
	liveRead
	// liveCareful: the records locked in stream order; every event under a savepoint, a
	// failing one retried alone and parked. Settles every event.
	liveCareful
	// rebuildFast: the event store, in order, by the generation's only writer: the records
	// are trusted from the batch and upserted; handlers run fast.
	rebuildFast
	// rebuildCareful: as rebuildFast, every event isolated as in liveCareful.
	rebuildCareful
)

// live reports whether the events come from JetStream (possibly redelivered, out of order).
func (s strategy) live() bool { return s <= liveCareful }

// careful reports whether each event runs under a savepoint and a failing one is isolated.
func (s strategy) careful() bool { return s == liveCareful || s == rebuildCareful }

// optimistic reports whether the records are read or assumed without locks and the save
// checks them (errConflict when another transaction changed one).
func (s strategy) optimistic() bool { return s == livePredicted || s == liveRead }

// outcome is what became of an item in its batch.
type outcome int

const (
	outcomePending   outcome = iota
	outcomeApplied           // its effect is in the transaction
	outcomeDuplicate         // already applied in an earlier transaction (or earlier in this batch)
	outcomeParked            // parked in the transaction
	outcomeDeferred          // not applied: NAK it with item.delay
)

// item is one event to apply, or a message that could not be decoded.
type item struct {
	ev        es.RecordedEvent
	decodeErr error
	subject   string
	headers   nats.Header // the message's headers; nil for an event read from the store
	delivered uint64      // deliveries of the message so far, this one included
	final     bool        // its last delivery: park rather than defer
	ctx       context.Context

	outcome outcome
	delay   time.Duration
	parked  *parkedRecord
}

// streamID is the stream the item belongs to, as far as known.
func (it *item) streamID() string {
	if it.decodeErr != nil {
		return it.headers.Get(natsbus.HeaderStream)
	}
	return it.ev.StreamID
}

// parkedRecord is what the runtime logs and counts once a parking commits.
type parkedRecord struct {
	id     int64
	reason ParkReason
	cause  error
	again  bool // parked already, by an earlier delivery
}

// streamState is a generation's record of one stream, locked for the transaction (or, for
// an optimistic batch, as read at its start).
type streamState struct {
	version   int64
	blockedBy int64 // id of the parked event blocking the stream; 0 if none
	dirty     bool
	// read is the record as read (or predicted) by an optimistic batch; exists is false if
	// there was none.
	read   streamRecord
	exists bool
	// predicted: read was not read but assumed (livePredicted); the save verifies it.
	predicted bool
}

// streamRecord is the stored part of a streamState.
type streamRecord struct{ version, blockedBy int64 }

// errCareful asks the caller to roll back and redo the batch carefully: a handler failed
// in fast mode, where there are no savepoints to isolate it.
var errCareful = errors.New("projector: handler failed, batch to be redone event by event")

// transient reports whether err is a failure of the transaction rather than of a handler:
// a deadlock (SQLSTATE 40P01) or a serialization failure (40001). An optimistic batch
// takes its locks in the handlers' order, not in stream order, so it can deadlock with
// another consumer's batch; neither event is at fault.
func transient(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// errConflict asks the caller to roll back and redo the batch carefully: another
// transaction changed a stream record that an optimistic batch read.
var errConflict = errors.New("projector: a stream record changed under an optimistic batch")

// applier applies a batch of items to one generation of one projection, inside one
// transaction. In fast mode a handler error aborts the batch with errCareful; in careful
// mode every event runs under a savepoint and is retried alone, then parked.
type applier struct {
	r      *Runtime
	p      Projection
	gen    int
	schema string
	how    strategy
	// keepAlive is called before sleeping between attempts (live: extends AckWait).
	keepAlive func()
	streams   map[string]*streamState
	// blocked are the streams known to be blocked in a generation being rebuilt (stream →
	// parked event id). A rebuild is the only writer of its generation and reads each event
	// once, in order, so it need not read the stream records back: it trusts this map and
	// the store's order, and upserts the records it changes.
	blocked map[string]int64
	// fast holds, in fast mode, the events decided for application, applied together at the
	// end of the batch by a BatchProjection.
	fast []*item
}

// sortItems orders a batch by stream and version, which is all the order that matters;
// undecodable messages go first.
func sortItems(items []*item) {
	slices.SortStableFunc(items, func(a, b *item) int {
		if c := cmp.Compare(boolInt(a.decodeErr == nil), boolInt(b.decodeErr == nil)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ev.StreamID, b.ev.StreamID); c != 0 {
			return c
		}
		return cmp.Compare(a.ev.Version, b.ev.Version)
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// run applies items in tx: it locks the records of their streams, decides each item, and
// saves the records. The statements queued in tail (nil for none) are sent with the last
// one, in the same round trip.
func (a *applier) run(ctx context.Context, tx pgx.Tx, items []*item, tail *pgx.Batch) error {
	if err := a.lockStreams(ctx, tx, items); err != nil {
		return err
	}
	a.fast = a.fast[:0]
	for _, it := range items {
		if err := a.one(ctx, tx, it); err != nil {
			return err
		}
	}
	if err := a.applyFast(ctx, tx); err != nil {
		return err
	}
	if a.how.optimistic() {
		return a.saveStreamsChecked(ctx, tx)
	}
	if tail == nil {
		tail = &pgx.Batch{}
	}
	a.saveStreams(tail)
	if tail.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, tail).Close(); err != nil {
		return fmt.Errorf("save stream versions: %w", err)
	}
	return nil
}

// applyFast hands the events decided in fast mode to the projection's ApplyBatch.
func (a *applier) applyFast(ctx context.Context, tx pgx.Tx) (err error) {
	if len(a.fast) == 0 {
		return nil
	}
	bp := a.p.(BatchProjection) // fast is only filled for a BatchProjection
	evs := make([]es.RecordedEvent, len(a.fast))
	for i, it := range a.fast {
		evs[i] = it.ev
	}
	defer func() {
		if v := recover(); v != nil {
			err = errCareful
		}
	}()
	if err := bp.ApplyBatch(ctx, tx, a.schema, evs); err != nil {
		return fastFailure(err)
	}
	return nil
}

// fastFailure is what a handler's error in fast mode means for the batch: a deadlock or a
// serialization failure (another transaction's concurrent write, or a write after a
// predicted batch's snapshot) is a conflict, not the handler's fault; anything else sends the
// batch to careful mode.
func fastFailure(err error) error {
	if transient(err) {
		return errConflict
	}
	return errCareful
}

func (a *applier) lockStreams(ctx context.Context, tx pgx.Tx, items []*item) error {
	if a.how.optimistic() {
		if a.how == livePredicted {
			a.predictStreams(items)
		} else if err := a.readStreams(ctx, tx, items); err != nil {
			return err
		}
		if a.r.afterRead != nil {
			a.r.afterRead()
		}
		return nil
	}
	if !a.how.live() {
		// Items are sorted: a stream's first item follows its last applied version.
		for _, it := range items {
			if id := it.streamID(); id != "" && a.streams[id] == nil {
				a.streams[id] = &streamState{version: it.ev.Version - 1, blockedBy: a.blocked[id]}
			}
		}
		return nil
	}
	var ids []string
	for _, it := range items {
		if id := it.streamID(); id != "" && a.streams[id] == nil {
			ids = append(ids, id)
			a.streams[id] = &streamState{}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// One statement, in stream order: creates missing records and locks existing ones, so
	// that concurrent batches over the same streams cannot deadlock.
	rows, err := tx.Query(ctx, `INSERT INTO `+ident(a.schema, streamsTable)+` AS s (stream_id)
		SELECT u FROM unnest($1::text[]) AS u ORDER BY u
		ON CONFLICT (stream_id) DO UPDATE SET version = s.version
		RETURNING stream_id, version, coalesce(blocked_by, 0)`, ids)
	if err != nil {
		return fmt.Errorf("lock streams: %w", err)
	}
	var (
		id         string
		version, b int64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &version, &b}, func() error {
		a.streams[id].version, a.streams[id].blockedBy = version, b
		return nil
	})
	if err != nil {
		return fmt.Errorf("lock streams: %w", err)
	}
	return nil
}

// predictStreams assumes, without reading them, that the records of the items' streams
// stand just before each stream's first item and block nothing: true whenever events
// arrive once and in order, the normal case. It saves the batch the round trip that reads
// them. saveStreamsChecked verifies every prediction in the statement that saves the
// records (a record that was not as predicted makes it fail with errConflict), and the
// batch is then redone with the records read. Items must be sorted and all decoded.
func (a *applier) predictStreams(items []*item) {
	for _, it := range items {
		id := it.ev.StreamID
		if a.streams[id] != nil {
			continue
		}
		prev := it.ev.Version - 1
		a.streams[id] = &streamState{version: prev, read: streamRecord{version: prev}, exists: prev > 0, predicted: true}
	}
}

// predictable reports whether predictStreams can be used for items: all are decoded.
func predictable(items []*item) bool {
	for _, it := range items {
		if it.decodeErr != nil {
			return false
		}
	}
	return true
}

// readStreams reads the records of the items' streams, for an optimistic batch.
func (a *applier) readStreams(ctx context.Context, tx pgx.Tx, items []*item) error {
	var ids []string
	for _, it := range items {
		if id := it.streamID(); id != "" && a.streams[id] == nil {
			ids = append(ids, id)
			a.streams[id] = &streamState{}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// A join, not stream_id = ANY($1): the planner may scan the table and compare each row
	// with the whole array.
	rows, err := tx.Query(ctx, `SELECT s.stream_id, s.version, coalesce(s.blocked_by, 0)
		FROM unnest($1::text[]) AS u (stream_id) JOIN `+ident(a.schema, streamsTable)+` AS s USING (stream_id)`, ids)
	if err != nil {
		return fmt.Errorf("read streams: %w", err)
	}
	var (
		id         string
		version, b int64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &version, &b}, func() error {
		st := a.streams[id]
		st.version, st.blockedBy, st.read, st.exists = version, b, streamRecord{version, b}, true
		return nil
	})
	if err != nil {
		return fmt.Errorf("read streams: %w", err)
	}
	return nil
}

// saveStreamsChecked saves the changed records of an optimistic batch if each is still as
// the batch read it (a record that did not exist must still not exist); otherwise it
// returns errCareful. Under READ COMMITTED an UPDATE re-checks its condition on the newest
// committed row, and an INSERT waits for a concurrent insert of the same key, so a
// concurrent batch over the same stream cannot slip through.
func (a *applier) saveStreamsChecked(ctx context.Context, tx pgx.Tx) error {
	var (
		ids                                  []string
		versions, blocks, oldVersions, oldBs []int64
		news                                 []bool
	)
	for id, st := range a.streams {
		// A predicted record is checked even if unchanged: the batch's decisions rest on it.
		if st.dirty || st.predicted {
			ids, versions, blocks = append(ids, id), append(versions, st.version), append(blocks, st.blockedBy)
			oldVersions, oldBs, news = append(oldVersions, st.read.version), append(oldBs, st.read.blockedBy), append(news, !st.exists)
			st.dirty = false
		}
	}
	if len(ids) == 0 {
		return nil
	}
	table := ident(a.schema, streamsTable)
	var saved int
	err := tx.QueryRow(ctx, `WITH u AS (
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bool[])
				AS u (stream_id, version, blocked_by, old_version, old_blocked_by, is_new)),
		updated AS (
			UPDATE `+table+` AS s SET version = u.version, blocked_by = nullif(u.blocked_by, 0)
			FROM u
			WHERE NOT u.is_new AND s.stream_id = u.stream_id
				AND s.version = u.old_version AND coalesce(s.blocked_by, 0) = u.old_blocked_by
			RETURNING 1),
		inserted AS (
			INSERT INTO `+table+` (stream_id, version, blocked_by)
			SELECT stream_id, version, nullif(blocked_by, 0) FROM u WHERE u.is_new ORDER BY stream_id
			ON CONFLICT (stream_id) DO NOTHING
			RETURNING 1)
		SELECT (SELECT count(*) FROM updated) + (SELECT count(*) FROM inserted)`,
		ids, versions, blocks, oldVersions, oldBs, news).Scan(&saved)
	if transient(err) {
		return errConflict
	}
	if err != nil {
		return fmt.Errorf("save stream versions: %w", err)
	}
	if saved != len(ids) {
		return errConflict
	}
	return nil
}

// saveStreams queues the update of the stream records changed since the last save.
func (a *applier) saveStreams(b *pgx.Batch) {
	var (
		ids              []string
		versions, blocks []int64
	)
	for id, st := range a.streams {
		if st.dirty {
			ids, versions, blocks = append(ids, id), append(versions, st.version), append(blocks, st.blockedBy)
			st.dirty = false
		}
	}
	switch {
	case len(ids) == 0:
	case !a.how.live():
		b.Queue(`INSERT INTO `+ident(a.schema, streamsTable)+` AS s (stream_id, version, blocked_by)
			SELECT u.stream_id, u.version, nullif(u.blocked_by, 0)
			FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u (stream_id, version, blocked_by)
			ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, blocked_by = EXCLUDED.blocked_by`,
			ids, versions, blocks)
	default:
		b.Queue(`UPDATE `+ident(a.schema, streamsTable)+` AS s
			SET version = u.version, blocked_by = nullif(u.blocked_by, 0)
			FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u (stream_id, version, blocked_by)
			WHERE s.stream_id = u.stream_id`, ids, versions, blocks)
	}
}

// rememberBlocked records, after a rebuild batch committed, the streams it blocked.
func (a *applier) rememberBlocked() {
	for id, st := range a.streams {
		if st.blockedBy != 0 {
			a.blocked[id] = st.blockedBy
		}
	}
}

// one decides and applies one item.
func (a *applier) one(ctx context.Context, tx pgx.Tx, it *item) error {
	if it.decodeErr != nil {
		// Block the stream, if the message names one, unless it is a duplicate of an
		// applied version.
		block := false
		if st := a.streams[it.streamID()]; st != nil {
			v, err := strconv.ParseInt(it.headers.Get(natsbus.HeaderVersion), 10, 64)
			block = err != nil || v > st.version
		}
		return a.park(ctx, tx, it, ReasonUndecodable, it.decodeErr, block)
	}
	ev := it.ev
	st := a.streams[ev.StreamID]
	switch {
	case ev.Version <= st.version:
		it.outcome = outcomeDuplicate
		return nil
	case st.blockedBy != 0:
		return a.park(ctx, tx, it, ReasonStreamBlocked,
			fmt.Errorf("stream %q is blocked by parked event #%d", ev.StreamID, st.blockedBy), false)
	case ev.Version > st.version+1:
		if a.how.live() && !it.final {
			it.outcome, it.delay = outcomeDeferred, a.r.cfg.gapDelay(it.delivered)
			return nil
		}
		return a.park(ctx, tx, it, ReasonOutOfOrder,
			fmt.Errorf("version %d of stream %q came but the stream is at version %d: the versions between never came", ev.Version, ev.StreamID, st.version), true)
	}
	if !a.how.careful() {
		if _, ok := a.p.(BatchProjection); ok {
			a.fast = append(a.fast, it)
		} else if err := a.call(it.ctx, tx, ev); err != nil {
			return fastFailure(err)
		}
	} else {
		handlerErr, err := a.attempts(ctx, tx, it)
		if err != nil {
			return err
		}
		if handlerErr != nil {
			reason := ReasonHandlerFailed
			if errors.Is(handlerErr, ErrUnknownEvent) {
				reason = ReasonUnknownEvent
			}
			return a.park(ctx, tx, it, reason, handlerErr, true)
		}
	}
	st.version, st.dirty = ev.Version, true
	it.outcome = outcomeApplied
	return nil
}

// attempts applies an event alone under a savepoint, retrying a failing handler after
// each of RetryDelays. It returns the handler's last error, or an error of the transaction
// itself (which fails the batch).
func (a *applier) attempts(ctx context.Context, tx pgx.Tx, it *item) (handlerErr, err error) {
	for attempt := 0; ; attempt++ {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return nil, fmt.Errorf("savepoint: %w", err)
		}
		handlerErr = a.call(it.ctx, sp, it.ev)
		if handlerErr == nil {
			if err := sp.Commit(ctx); err != nil {
				return nil, fmt.Errorf("release savepoint: %w", err)
			}
			return nil, nil
		}
		if err := sp.Rollback(ctx); err != nil {
			return nil, fmt.Errorf("rollback to savepoint after %w: %w", handlerErr, err)
		}
		if err := ctx.Err(); err != nil {
			// A cancelled context is no verdict on the event.
			return nil, err
		}
		if transient(handlerErr) {
			// Nor is a deadlock with another consumer's batch: the whole batch is retried.
			return nil, fmt.Errorf("event %s: %w", it.ev.ID, handlerErr)
		}
		if errors.Is(handlerErr, ErrUnknownEvent) || attempt >= len(a.r.cfg.RetryDelays) {
			return handlerErr, nil
		}
		a.r.log.WarnContext(it.ctx, "projection handler failed; retrying the event alone",
			"projection", a.p.Name(), "event_id", it.ev.ID, "stream", it.ev.StreamID,
			"version", it.ev.Version, "attempt", attempt+1, "err", handlerErr)
		if a.keepAlive != nil {
			a.keepAlive()
		}
		if err := sleep(ctx, a.r.cfg.RetryDelays[attempt]); err != nil {
			return nil, err
		}
	}
}

// call runs the projection's handler, turning a panic into an error.
func (a *applier) call(ctx context.Context, tx pgx.Tx, ev es.RecordedEvent) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("projector: projection %s panicked: %v", a.p.Name(), v)
		}
	}()
	return a.p.Apply(ctx, tx, a.schema, ev)
}

// park records the item in projector.parked (once per event and generation) and, if block,
// blocks its stream.
func (a *applier) park(ctx context.Context, tx pgx.Tx, it *item, reason ParkReason, cause error, block bool) error {
	headers := it.headers
	if headers == nil {
		headers = natsbus.Encode(it.subject, it.ev).Header
	}
	metaJSON, err := headersJSON(headers)
	if err != nil {
		return fmt.Errorf("park: %w", err)
	}
	var eventID any // NULL for a message without a valid id
	if it.decodeErr == nil {
		eventID = it.ev.ID
	}
	ev := it.ev
	stream, version := ev.StreamID, ev.Version
	if it.decodeErr != nil {
		stream = it.streamID()
		version, _ = strconv.ParseInt(headers.Get(natsbus.HeaderVersion), 10, 64)
		ev.Type = headers.Get(natsbus.HeaderType)
		ev.SchemaVersion, _ = strconv.Atoi(headers.Get(natsbus.HeaderSchemaVersion))
	}
	payload := ev.Payload
	if payload == nil {
		payload = []byte{}
	}
	var (
		id       int64
		inserted bool
	)
	err = tx.QueryRow(ctx, `WITH ins AS (
			INSERT INTO projector.parked (projection, generation, reason, error, event_id, stream_id, version,
				event_type, schema_version, subject, payload, metadata)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (projection, generation, event_id) DO NOTHING
			RETURNING id)
		SELECT id, true FROM ins
		UNION ALL
		SELECT id, false FROM projector.parked WHERE projection = $1 AND generation = $2 AND event_id = $5
		LIMIT 1`,
		a.p.Name(), a.gen, string(reason), cause.Error(), eventID, stream, version,
		ev.Type, ev.SchemaVersion, it.subject, payload, metaJSON).Scan(&id, &inserted)
	if errors.Is(err, pgx.ErrNoRows) {
		// Another consumer parked the event concurrently: the INSERT waited for its commit,
		// which the statement's snapshot does not show; a new statement sees it.
		err = tx.QueryRow(ctx, `SELECT id FROM projector.parked WHERE projection = $1 AND generation = $2 AND event_id = $3`,
			a.p.Name(), a.gen, eventID).Scan(&id)
	}
	if err != nil {
		return fmt.Errorf("park event: %w", err)
	}
	if st := a.streams[stream]; block && st != nil && st.blockedBy == 0 {
		st.blockedBy, st.dirty = id, true
	}
	it.outcome = outcomeParked
	it.parked = &parkedRecord{id: id, reason: reason, cause: cause, again: !inserted}
	return nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
