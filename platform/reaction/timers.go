package reaction

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reqctx"
)

// Timer is a durable deadline.
type Timer struct {
	// ID identifies the timer: derive it from the event that set the deadline (TimerID), so
	// that scheduling it again changes nothing.
	ID uuid.UUID
	// Kind selects the handler (Runner.HandleTimers).
	Kind string
	// Key is what the timer is about, e.g. an order id.
	Key     string
	DueAt   time.Time
	Payload []byte
	// Attempts is how many times it fired and failed.
	Attempts int
}

// TimerID derives a timer's id from the id of the event that set its deadline and the kind.
func TimerID(eventID uuid.UUID, kind string) uuid.UUID {
	return uuid.NewSHA1(eventID, []byte("timer/"+kind))
}

// TimerHandler handles a due timer. ctx carries aggregate.CausedBy(timer id).
type TimerHandler func(ctx context.Context, t Timer) error

// Execer is a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Schedule records t in schema's timers, once: a timer of the same id is left as it is.
func Schedule(ctx context.Context, db Execer, schema string, t Timer) error {
	if t.ID == uuid.Nil || t.Kind == "" {
		return errors.New("reaction: a timer needs an ID and a Kind")
	}
	payload := t.Payload
	if payload == nil {
		payload = []byte{}
	}
	_, err := db.Exec(ctx, `INSERT INTO `+pgx.Identifier{schema, "reaction_timers"}.Sanitize()+` (id, kind, key, due_at, payload)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`, t.ID, t.Kind, t.Key, t.DueAt, payload)
	if err != nil {
		return fmt.Errorf("schedule timer %s: %w", t.ID, err)
	}
	return nil
}

// Cancel removes a timer that has not fired (a payment captured before its deadline).
// Cancelling an unknown or fired timer is not an error.
func Cancel(ctx context.Context, db Execer, schema string, id uuid.UUID) error {
	if _, err := db.Exec(ctx, `DELETE FROM `+pgx.Identifier{schema, "reaction_timers"}.Sanitize()+` WHERE id = $1`, id); err != nil {
		return fmt.Errorf("cancel timer %s: %w", id, err)
	}
	return nil
}

// HandleTimers registers the handler of a kind of timer; call it before Run.
func (r *Runner) HandleTimers(kind string, h TimerHandler) { r.timers[kind] = h }

// timerBatch is how many due timers one transaction fires at most.
const timerBatch = 16

// fireTimers fires due timers every PollInterval until ctx ends. Replicas share the work:
// each takes due rows with FOR UPDATE SKIP LOCKED and holds them while their handlers run
// (each bounded by Config.TimerTimeout). A handler must not change the timers' table through
// another connection (Schedule or Cancel on the pool) for a timer of its own batch: that
// would wait for this transaction.
func (r *Runner) fireTimers(ctx context.Context) error {
	if r.cfg.Schema == "" {
		return errors.New("reaction: timers need Config.Schema")
	}
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for {
		for {
			n, err := r.fireDue(ctx)
			if err != nil && ctx.Err() == nil {
				r.log.ErrorContext(ctx, "firing timers failed; trying again", "err", err)
			}
			if err != nil || n < timerBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// fireDue fires one batch of due timers in one transaction and reports how many it took.
func (r *Runner) fireDue(ctx context.Context) (int, error) {
	table := pgx.Identifier{r.cfg.Schema, "reaction_timers"}.Sanitize()
	tx, err := r.cfg.DB.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Only the kinds this runner handles: during a rolling deploy, a replica without a new
	// kind's handler leaves its timers to the replicas that have it.
	kinds := make([]string, 0, len(r.timers))
	for k := range r.timers {
		kinds = append(kinds, k)
	}
	rows, err := tx.Query(ctx, `SELECT id, kind, key, due_at, payload, attempts FROM `+table+`
		WHERE due_at <= now() AND kind = ANY($2) ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED`, timerBatch, kinds)
	if err != nil {
		return 0, err
	}
	var due []Timer
	for rows.Next() {
		var tm Timer
		if err := rows.Scan(&tm.ID, &tm.Kind, &tm.Key, &tm.DueAt, &tm.Payload, &tm.Attempts); err != nil {
			rows.Close()
			return 0, err
		}
		due = append(due, tm)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, tm := range due {
		if err := r.fire(ctx, tx, table, tm); err != nil {
			return 0, err
		}
	}
	return len(due), tx.Commit(ctx)
}

// fire runs one timer's handler and records the outcome in tx: gone when it succeeded (or
// when it is parked), else its next attempt.
func (r *Runner) fire(ctx context.Context, tx pgx.Tx, table string, tm Timer) error {
	h := r.timers[tm.Kind] // fireDue takes only the kinds that have a handler
	var err error
	{
		hctx, cancel := context.WithTimeout(reqctx.With(ctx, reqctx.Info{CorrelationID: tm.Key, CausationID: tm.ID.String()}), r.cfg.TimerTimeout)
		err = callTimer(aggregate.CausedBy(hctx, tm.ID), h, tm)
		cancel()
	}
	if err == nil {
		_, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE id = $1`, tm.ID)
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	log := r.log.With("timer", tm.ID, "kind", tm.Kind, "key", tm.Key, "attempt", tm.Attempts+1)
	if errors.Is(err, ErrPermanent) || tm.Attempts >= len(r.cfg.RetryDelays) {
		reason := projector.ReasonHandlerFailed
		if errors.Is(err, ErrPermanent) {
			reason = projector.ReasonUnknownEvent
		}
		ev := es.RecordedEvent{ID: tm.ID, StreamID: "timer-" + tm.Key, Type: "timer:" + tm.Kind, SchemaVersion: 1, Payload: tm.Payload}
		id, perr := projector.ParkDeadLetter(ctx, tx, projector.DeadLetter{Consumer: "timer:" + tm.Kind, Reason: reason, Err: err,
			Subject: "timer." + tm.Kind, Event: ev})
		if perr != nil {
			return perr
		}
		log.ErrorContext(ctx, "timer parked", "parked_id", id, "err", err)
		_, derr := tx.Exec(ctx, `DELETE FROM `+table+` WHERE id = $1`, tm.ID)
		return derr
	}
	delay := r.cfg.RetryDelays[tm.Attempts]
	log.WarnContext(ctx, "timer failed; retrying later", "in", delay, "err", err)
	_, uerr := tx.Exec(ctx, `UPDATE `+table+` SET attempts = attempts + 1, last_error = $2, due_at = now() + make_interval(secs => $3) WHERE id = $1`,
		tm.ID, err.Error(), delay.Seconds())
	return uerr
}

func callTimer(ctx context.Context, h TimerHandler, tm Timer) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("timer handler panicked: %v", v)
		}
	}()
	return h(ctx, tm)
}
