package projector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// State is a projection's state in the registry.
type State string

// The states of a projection.
const (
	// StateLive: the active generation serves and is fed live; no rebuild is running.
	StateLive State = "live"
	// StateRebuilding: a new generation is being built (the active one, if any, serves).
	StateRebuilding State = "rebuilding"
	// StateFailed: the last rebuild failed (see Progress.Error); the active generation, if
	// any, still serves and is fed live. Rebuild resumes or restarts it.
	StateFailed State = "failed"
)

// Progress is a projection's entry in the registry: its generations, its rebuild's
// progress and its live consumers' lag.
type Progress struct {
	Projection string
	State      State
	// ActiveGeneration is the generation readers see; 0 before the first build.
	ActiveGeneration int
	// BuildingGeneration is the generation a running (or failed) rebuild builds; 0 if none.
	BuildingGeneration int
	// Position is how far the rebuild has read the owning event stores, and Total where
	// their heads were at its last batch, both as the sum over the stores of the events'
	// global sequence numbers (which approximate event counts). After a switch both are the
	// position the new generation started live from.
	Position, Total int64
	// Applied counts the events the rebuild has read into its generation.
	Applied int64
	// EventsPerSecond is the rebuild's throughput, and ETASeconds the estimated time until
	// it catches up (Total-Position at that rate); zero when unknown or done.
	EventsPerSecond, ETASeconds float64
	// StartedAt is when the rebuild (or this process's run of it) started.
	StartedAt time.Time
	// SwitchedAt is when the active generation was switched in.
	SwitchedAt time.Time
	// Error is why the last rebuild failed, if State is StateFailed.
	Error string
	// Lag is the number of messages the live consumers have yet to receive (JetStream's
	// num_pending, summed over the contexts), as last sampled.
	Lag int64
	// UpdatedAt is when the registry entry last changed.
	UpdatedAt time.Time
}

// Progress reads the projection's registry entry. It fails with ErrNotBuilt if the
// projection has never been built or rebuilt.
func (r *Runtime) Progress(ctx context.Context, name string) (Progress, error) {
	if _, err := r.projection(name); err != nil {
		return Progress{}, err
	}
	p := Progress{Projection: name}
	var (
		active, building  *int
		started, switched *time.Time
		state             string
	)
	err := r.pool.QueryRow(ctx, `SELECT p.state, p.active_generation, p.building_generation, p.rebuild_position,
			p.rebuild_total, p.rebuild_applied, p.rebuild_rate, p.rebuild_eta_seconds, p.rebuild_started_at,
			p.switched_at, p.last_error, p.updated_at,
			coalesce((SELECT sum(c.num_pending) FROM projector.consumers AS c WHERE c.projection = p.name), 0)::bigint
		FROM projector.projections AS p WHERE p.name = $1`, name).Scan(&state, &active, &building, &p.Position,
		&p.Total, &p.Applied, &p.EventsPerSecond, &p.ETASeconds, &started, &switched, &p.Error, &p.UpdatedAt, &p.Lag)
	if errors.Is(err, pgx.ErrNoRows) {
		return Progress{}, fmt.Errorf("%w: %s", ErrNotBuilt, name)
	}
	if err != nil {
		return Progress{}, fmt.Errorf("projector: progress of %s: %w", name, err)
	}
	p.State = State(state)
	if active != nil {
		p.ActiveGeneration = *active
	}
	if building != nil {
		p.BuildingGeneration = *building
	}
	if started != nil {
		p.StartedAt = *started
	}
	if switched != nil {
		p.SwitchedAt = *switched
	}
	return p, nil
}

// ParkedEvent is an event a projection could not apply.
type ParkedEvent struct {
	// ID numbers the parking.
	ID         int64
	Projection string
	// Generation is the generation the event could not be applied to.
	Generation int
	Reason     ParkReason
	Error      string
	// EventID is the event's id; uuid.Nil for a message whose envelope has none.
	EventID       uuid.UUID
	StreamID      string
	Version       int64
	Type          string
	SchemaVersion int
	Subject       string
	Payload       []byte
	// Metadata is the event's envelope as natsbus message headers.
	Metadata map[string]string
	ParkedAt time.Time
	// Attempts counts the times it was handled and failed: 1 when parked, one more for each
	// redrive that failed again.
	Attempts int
	// Requested is an operator's pending request for it ("" when none).
	Requested Action
}

// Parked lists the projection's unresolved parked events, oldest first. Parked events of
// a generation are resolved (superseded) when a rebuild switches in a new one.
func (r *Runtime) Parked(ctx context.Context, name string) ([]ParkedEvent, error) {
	if _, err := r.projection(name); err != nil {
		return nil, err
	}
	rows, err := r.pool.Query(ctx, `SELECT `+parkedColumns+`
		FROM projector.parked WHERE projection = $1 AND resolved_at IS NULL ORDER BY id`, name)
	if err != nil {
		return nil, fmt.Errorf("projector: parked events of %s: %w", name, err)
	}
	out, err := pgx.CollectRows(rows, scanParked)
	if err != nil {
		return nil, fmt.Errorf("projector: parked events of %s: %w", name, err)
	}
	return out, nil
}
