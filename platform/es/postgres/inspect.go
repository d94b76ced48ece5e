package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/es"
)

// The operators' reads of a store: its streams and one event by id. They are for
// inspection, not for the write path (a listing aggregates the events table).

// StreamInfo is one stream of a store.
type StreamInfo struct {
	ID string
	// Version is its last event's version.
	Version int64
	// UpdatedAt is when its last event was recorded.
	UpdatedAt time.Time
}

// Streams returns the streams whose id starts with prefix, by id, at most limit after
// skipping offset, and how many there are.
func (s *Store) Streams(ctx context.Context, prefix string, limit, offset int) ([]StreamInfo, int, error) {
	events := pgx.Identifier{s.schema, "events"}.Sanitize()
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(DISTINCT stream_id) FROM `+events+`
		WHERE starts_with(stream_id, $1)`, prefix).Scan(&total); err != nil {
		return nil, 0, wrap(ctx, "count streams", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT stream_id, max(stream_version), max(recorded_at) FROM `+events+`
		WHERE starts_with(stream_id, $1) GROUP BY stream_id ORDER BY stream_id LIMIT $2 OFFSET $3`, prefix, limit, offset)
	if err != nil {
		return nil, 0, wrap(ctx, "list streams", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (StreamInfo, error) {
		var si StreamInfo
		err := row.Scan(&si.ID, &si.Version, &si.UpdatedAt)
		si.UpdatedAt = si.UpdatedAt.UTC()
		return si, err
	})
	if err != nil {
		return nil, 0, wrap(ctx, "list streams", err)
	}
	return out, total, nil
}

// HasStream reports whether the store holds events of the stream.
func (s *Store) HasStream(ctx context.Context, stream string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM `+pgx.Identifier{s.schema, "events"}.Sanitize()+`
		WHERE stream_id = $1)`, stream).Scan(&ok)
	if err != nil {
		return false, wrap(ctx, "find stream", err)
	}
	return ok, nil
}

// ErrNoEvent is Event's answer for an id the store does not hold.
var ErrNoEvent = errors.New("es/postgres: no such event")

// Event returns the event with the id; ErrNoEvent if the store has none.
func (s *Store) Event(ctx context.Context, id uuid.UUID) (es.RecordedEvent, error) {
	evs, err := s.readEvents(ctx, s.pool, "read event "+id.String(), 1,
		`SELECT `+eventColumns+` FROM `+pgx.Identifier{s.schema, "events"}.Sanitize()+` WHERE event_id = $1`, id)
	if err != nil {
		return es.RecordedEvent{}, err
	}
	if len(evs) == 0 {
		return es.RecordedEvent{}, ErrNoEvent
	}
	return evs[0], nil
}
