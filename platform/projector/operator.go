package projector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The operators' side of the registry and the parking lot (decision 023): reads of every
// projection's progress and of every consumer's dead letters, and the requests that the
// owning processes carry out: a Runtime rebuilds the projections asked for and redrives or
// discards their dead letters; a reaction runner does the same for its reactions' and
// timers' dead letters. Requests are idempotent: asking twice is asking once.

// DB is what the operator functions need: a pool, a connection or a transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Action is what an operator asked for a dead letter.
type Action string

// The actions on a dead letter.
const (
	// ActionRedrive: handle the event again (a projection also applies the events parked
	// behind it in its stream).
	ActionRedrive Action = "redrive"
	// ActionDiscard: resolve it without handling it (a projection's stream moves past it).
	ActionDiscard Action = "discard"
)

// The resolutions of dead letters resolved by an operator's request.
const (
	ResolutionRedriven  = "redriven"
	ResolutionDiscarded = "discarded"
)

// ErrNoDeadLetter is returned for a dead letter that does not exist or is resolved.
var ErrNoDeadLetter = errors.New("projector: no such unresolved dead letter")

// Overview is a projection's registry entry as operators see it.
type Overview struct {
	Progress
	// Contexts are the contexts it reads, as its runtime last recorded them.
	Contexts []string
	// LivePosition is where its live consumers stand: the sum over its contexts of the
	// JetStream stream sequence below which they acknowledged everything, as last sampled
	// (approximately the events applied live; 0 before the first sample).
	LivePosition int64
	// LagSeconds is the age of the oldest message its live consumers had yet to apply when
	// last sampled, measured now; 0 when they were caught up.
	LagSeconds float64
	// DeadLetters counts its unresolved parked events.
	DeadLetters int
	// RebuildRequestedAt is when an operator last asked for a rebuild (zero: never).
	RebuildRequestedAt time.Time
}

// RebuildPending reports whether an operator's rebuild request is waiting for a rebuild to
// start or one is running.
func (o Overview) RebuildPending() bool {
	return o.State == StateRebuilding || (!o.RebuildRequestedAt.IsZero() && o.RebuildRequestedAt.After(o.StartedAt))
}

// Overviews reads every registered projection's entry, by name.
func Overviews(ctx context.Context, db DB) ([]Overview, error) {
	rows, err := db.Query(ctx, `SELECT p.name, p.state, p.active_generation, p.building_generation, p.rebuild_position,
			p.rebuild_total, p.rebuild_applied, p.rebuild_rate, p.rebuild_eta_seconds, p.rebuild_started_at,
			p.switched_at, p.last_error, p.updated_at, p.contexts, p.rebuild_requested_at,
			coalesce(c.pending, 0)::bigint, coalesce(extract(epoch FROM now() - c.oldest), 0)::float8, coalesce(c.acked, 0)::bigint,
			(SELECT count(*) FROM projector.parked AS k WHERE k.projection = p.name AND k.resolved_at IS NULL)::int
		FROM projector.projections AS p
		LEFT JOIN (SELECT projection, sum(num_pending) AS pending, min(oldest_pending_at) AS oldest, sum(ack_floor) AS acked
			FROM projector.consumers GROUP BY projection) AS c ON c.projection = p.name
		ORDER BY p.name`)
	if err != nil {
		return nil, fmt.Errorf("projector: overviews: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Overview, error) {
		var (
			o                            Overview
			active, building             *int
			started, switched, requested *time.Time
			state                        string
		)
		err := row.Scan(&o.Projection, &state, &active, &building, &o.Position, &o.Total, &o.Applied, &o.EventsPerSecond,
			&o.ETASeconds, &started, &switched, &o.Error, &o.UpdatedAt, &o.Contexts, &requested, &o.Lag, &o.LagSeconds,
			&o.LivePosition, &o.DeadLetters)
		o.State = State(state)
		o.ActiveGeneration, o.BuildingGeneration = deref(active), deref(building)
		o.StartedAt, o.SwitchedAt, o.RebuildRequestedAt = derefTime(started), derefTime(switched), derefTime(requested)
		if o.Lag == 0 {
			o.LagSeconds = 0
		}
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("projector: overviews: %w", err)
	}
	return out, nil
}

// RequestRebuild records that an operator asked at `at` for a rebuild of the projection; the
// runtimes running it start one (see Runtime.Run). It reports false for a projection that is
// not registered. A request older than the one recorded changes nothing.
func RequestRebuild(ctx context.Context, db DB, name string, at time.Time) (bool, error) {
	tag, err := db.Exec(ctx, `UPDATE projector.projections
		SET rebuild_requested_at = greatest(rebuild_requested_at, $2), updated_at = now() WHERE name = $1`, name, at)
	if err != nil {
		return false, fmt.Errorf("projector: request a rebuild of %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// DeadLetterFilter selects dead letters.
type DeadLetterFilter struct {
	// Consumer: only this consumer's (a projection, "reaction:<name>", "timer:<kind>").
	Consumer      string
	Limit, Offset int
}

// ParkedEvent's operator fields are read with it.
const parkedColumns = `id, projection, generation, reason, error, event_id, stream_id, version, event_type,
	schema_version, subject, payload, metadata, parked_at, attempts, coalesce(requested, '')`

// DeadLetters lists the unresolved dead letters, oldest first, and how many there are.
func DeadLetters(ctx context.Context, db DB, f DeadLetterFilter) ([]ParkedEvent, int, error) {
	var total int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM projector.parked WHERE resolved_at IS NULL AND ($1 = '' OR projection = $1)`,
		f.Consumer).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("projector: dead letters: %w", err)
	}
	rows, err := db.Query(ctx, `SELECT `+parkedColumns+` FROM projector.parked
		WHERE resolved_at IS NULL AND ($1 = '' OR projection = $1) ORDER BY id LIMIT $2 OFFSET $3`,
		f.Consumer, max(f.Limit, 0), max(f.Offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("projector: dead letters: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanParked)
	if err != nil {
		return nil, 0, fmt.Errorf("projector: dead letters: %w", err)
	}
	return out, total, nil
}

// DeadLetterByID reads one unresolved dead letter; ErrNoDeadLetter if there is none.
func DeadLetterByID(ctx context.Context, db DB, id int64) (ParkedEvent, error) {
	rows, err := db.Query(ctx, `SELECT `+parkedColumns+` FROM projector.parked WHERE id = $1 AND resolved_at IS NULL`, id)
	if err != nil {
		return ParkedEvent{}, fmt.Errorf("projector: dead letter %d: %w", id, err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanParked)
	if errors.Is(err, pgx.ErrNoRows) {
		return ParkedEvent{}, fmt.Errorf("%w: %d", ErrNoDeadLetter, id)
	}
	if err != nil {
		return ParkedEvent{}, fmt.Errorf("projector: dead letter %d: %w", id, err)
	}
	return e, nil
}

// RequestDeadLetter records an operator's request for an unresolved dead letter, carried out
// by the consumer that parked it. A later request replaces a pending one (the newest
// decision wins); it fails with ErrNoDeadLetter when the dead letter is resolved or unknown.
func RequestDeadLetter(ctx context.Context, db DB, id int64, a Action, at time.Time) error {
	if a != ActionRedrive && a != ActionDiscard {
		return fmt.Errorf("projector: unknown action %q", a)
	}
	tag, err := db.Exec(ctx, `UPDATE projector.parked SET requested = $2, requested_at = $3
		WHERE id = $1 AND resolved_at IS NULL AND (requested_at IS NULL OR requested_at <= $3)`, id, string(a), at)
	if err != nil {
		return fmt.Errorf("projector: request %s of dead letter %d: %w", a, id, err)
	}
	if tag.RowsAffected() == 0 {
		var open bool
		if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT FROM projector.parked WHERE id = $1 AND resolved_at IS NULL)`, id).Scan(&open); err != nil {
			return fmt.Errorf("projector: request %s of dead letter %d: %w", a, id, err)
		}
		if !open {
			return fmt.Errorf("%w: %d", ErrNoDeadLetter, id)
		}
		// A newer request is recorded: it stands.
	}
	return nil
}

// Requested lists the consumers' unresolved dead letters with a pending request, oldest
// first, at most limit.
func Requested(ctx context.Context, db DB, consumers []string, limit int) ([]ParkedEvent, error) {
	rows, err := db.Query(ctx, `SELECT `+parkedColumns+` FROM projector.parked
		WHERE projection = ANY($1) AND resolved_at IS NULL AND requested IS NOT NULL ORDER BY id LIMIT $2`, consumers, limit)
	if err != nil {
		return nil, fmt.Errorf("projector: requested dead letters: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanParked)
	if err != nil {
		return nil, fmt.Errorf("projector: requested dead letters: %w", err)
	}
	return out, nil
}

// Resolve marks a dead letter resolved as carried out for the request it had (redriven or
// discarded), if that request is still the one recorded.
func Resolve(ctx context.Context, db DB, e ParkedEvent) error {
	res := ResolutionRedriven
	if e.Requested == ActionDiscard {
		res = ResolutionDiscarded
	}
	_, err := db.Exec(ctx, `UPDATE projector.parked SET resolved_at = now(), resolution = $2, requested = NULL
		WHERE id = $1 AND resolved_at IS NULL AND requested = $3`, e.ID, res, string(e.Requested))
	if err != nil {
		return fmt.Errorf("projector: resolve dead letter %d: %w", e.ID, err)
	}
	return nil
}

// FailedAgain records that a redrive failed: the dead letter stays parked, with the new error
// and one more attempt, and its request is done.
func FailedAgain(ctx context.Context, db DB, e ParkedEvent, cause error) error {
	_, err := db.Exec(ctx, `UPDATE projector.parked SET error = $2, attempts = attempts + 1, requested = NULL
		WHERE id = $1 AND resolved_at IS NULL AND requested = $3`, e.ID, cause.Error(), string(e.Requested))
	if err != nil {
		return fmt.Errorf("projector: record the failed redrive of dead letter %d: %w", e.ID, err)
	}
	return nil
}

func scanParked(row pgx.CollectableRow) (ParkedEvent, error) {
	var (
		e         ParkedEvent
		id        *uuid.UUID
		reason    string
		requested string
		meta      []byte
	)
	err := row.Scan(&e.ID, &e.Projection, &e.Generation, &reason, &e.Error, &id, &e.StreamID, &e.Version,
		&e.Type, &e.SchemaVersion, &e.Subject, &e.Payload, &meta, &e.ParkedAt, &e.Attempts, &requested)
	if err != nil {
		return e, err
	}
	e.Reason, e.Requested = ParkReason(reason), Action(requested)
	if id != nil {
		e.EventID = *id
	}
	return e, json.Unmarshal(meta, &e.Metadata)
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func derefTime(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return *p
}
