package projector

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
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

// mode tells where events come from.
type mode int

const (
	modeLive    mode = iota // JetStream messages, possibly redelivered or out of order
	modeRebuild             // the event store, in order
)

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

// streamState is a generation's record of one stream, locked for the transaction.
type streamState struct {
	version   int64
	blockedBy int64 // id of the parked event blocking the stream; 0 if none
	dirty     bool
}

// errCareful asks the caller to roll back and redo the batch carefully: a handler failed
// in fast mode, where there are no savepoints to isolate it.
var errCareful = errors.New("projector: handler failed, batch to be redone event by event")

// applier applies a batch of items to one generation of one projection, inside one
// transaction. In fast mode a handler error aborts the batch with errCareful; in careful
// mode every event runs under a savepoint and is retried alone, then parked.
type applier struct {
	r       *Runtime
	p       Projection
	gen     int
	schema  string
	mode    mode
	careful bool
	// keepAlive is called before sleeping between attempts (live: extends AckWait).
	keepAlive func()
	streams   map[string]*streamState
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
// saves the records.
func (a *applier) run(ctx context.Context, tx pgx.Tx, items []*item) error {
	if err := a.lockStreams(ctx, tx, items); err != nil {
		return err
	}
	for _, it := range items {
		if err := a.one(ctx, tx, it); err != nil {
			return err
		}
	}
	return a.saveStreams(ctx, tx)
}

func (a *applier) lockStreams(ctx context.Context, tx pgx.Tx, items []*item) error {
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

func (a *applier) saveStreams(ctx context.Context, tx pgx.Tx) error {
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
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE `+ident(a.schema, streamsTable)+` AS s
		SET version = u.version, blocked_by = nullif(u.blocked_by, 0)
		FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u (stream_id, version, blocked_by)
		WHERE s.stream_id = u.stream_id`, ids, versions, blocks)
	if err != nil {
		return fmt.Errorf("save stream versions: %w", err)
	}
	return nil
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
		if a.mode == modeLive && !it.final {
			it.outcome, it.delay = outcomeDeferred, a.r.cfg.gapDelay(it.delivered)
			return nil
		}
		return a.park(ctx, tx, it, ReasonOutOfOrder,
			fmt.Errorf("version %d of stream %q came but the stream is at version %d: the versions between never came", ev.Version, ev.StreamID, st.version), true)
	}
	if !a.careful {
		if err := a.call(it.ctx, tx, ev); err != nil {
			return errCareful
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
	meta := make(map[string]string, len(headers))
	for k, v := range headers {
		if len(v) > 0 {
			meta[k] = v[0]
		}
	}
	metaJSON, err := json.Marshal(meta)
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
