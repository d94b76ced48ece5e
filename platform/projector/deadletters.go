package projector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
)

// DeadLetter is an event that a consumer other than a projection (a reaction, a timer) gave
// up on. It is parked in the projector's parking lot, projector.parked, with generation 0,
// so that operators see and resolve every dead letter of the fleet in one place.
type DeadLetter struct {
	// Consumer names who parked it, e.g. "reaction:checkout" (the parked row's projection).
	Consumer string
	Reason   ParkReason
	Err      error
	Subject  string
	Event    es.RecordedEvent
	// Headers are the message's, when it came from JetStream (else the event's envelope).
	Headers nats.Header
}

// QueryRower is a pool, a connection or a transaction.
type QueryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ParkDeadLetter records d once per consumer and event id and returns its id.
func ParkDeadLetter(ctx context.Context, db QueryRower, d DeadLetter) (int64, error) {
	headers := d.Headers
	if headers == nil {
		headers = natsbus.Encode(d.Subject, d.Event).Header
	}
	metaJSON, err := headersJSON(headers)
	if err != nil {
		return 0, fmt.Errorf("park dead letter: %w", err)
	}
	payload := d.Event.Payload
	if payload == nil {
		payload = []byte{}
	}
	var eventID any // NULL for a message without a valid id
	if d.Event.ID != uuid.Nil {
		eventID = d.Event.ID
	}
	var id int64
	err = db.QueryRow(ctx, `WITH ins AS (
			INSERT INTO projector.parked (projection, generation, reason, error, event_id, stream_id, version,
				event_type, schema_version, subject, payload, metadata)
			VALUES ($1, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (projection, generation, event_id) DO NOTHING
			RETURNING id)
		SELECT id FROM ins
		UNION ALL
		SELECT id FROM projector.parked WHERE projection = $1 AND generation = 0 AND event_id = $4
		LIMIT 1`,
		d.Consumer, string(d.Reason), d.Err.Error(), eventID, d.Event.StreamID, d.Event.Version,
		d.Event.Type, d.Event.SchemaVersion, d.Subject, payload, metaJSON).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		// Parked concurrently: the INSERT waited for that commit, which its snapshot misses.
		err = db.QueryRow(ctx, `SELECT id FROM projector.parked WHERE projection = $1 AND generation = 0 AND event_id = $2`,
			d.Consumer, d.Event.ID).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("park dead letter: %w", err)
	}
	return id, nil
}

// headersJSON is a parked event's metadata column: its message headers, one value each.
func headersJSON(headers nats.Header) ([]byte, error) {
	meta := make(map[string]string, len(headers))
	for k, v := range headers {
		if len(v) > 0 {
			meta[k] = v[0]
		}
	}
	return json.Marshal(meta)
}
