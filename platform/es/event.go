package es

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Metadata travels with every event: who and what caused it, and the W3C trace context of
// the request that recorded it. The store keeps it verbatim; empty fields are allowed.
type Metadata struct {
	// CorrelationID ties together every event and message of one user action.
	CorrelationID string
	// CausationID is the id of the command or event that directly caused this event.
	CausationID string
	// UserID is the authenticated user on whose behalf the event was recorded.
	UserID string
	// TraceParent and TraceState are the W3C trace context headers.
	TraceParent string
	TraceState  string
}

// EventData is an event to append.
type EventData struct {
	// ID identifies the event everywhere (the relay publishes it as Nats-Msg-Id). The zero
	// UUID asks the store for a fresh UUIDv7; a caller may supply its own to make a retried
	// command produce the same ids. Ids are unique across the store.
	ID uuid.UUID
	// Type is the fully qualified protobuf message name, e.g.
	// "storefront.catalog.v1.ProductCreated". Required.
	Type string
	// SchemaVersion is the version of the payload's schema, for upcasters. Zero means 1.
	SchemaVersion int
	// Payload is the protobuf-encoded event. The store never interprets it.
	Payload []byte
	// Metadata is stored alongside the payload.
	Metadata Metadata
}

// RecordedEvent is an event as the store holds it.
type RecordedEvent struct {
	// ID is the event's unique id (a UUIDv7 unless the appender chose one).
	ID uuid.UUID
	// StreamID names the stream the event belongs to.
	StreamID string
	// Version is the event's place in its stream: 1 for the first event, no gaps.
	Version int64
	// Position is the event's place in the store's global order (see Position).
	Position Position
	// Type is the fully qualified protobuf message name of the payload.
	Type string
	// SchemaVersion is the version of the payload's schema (≥ 1).
	SchemaVersion int
	// Payload is the protobuf-encoded event, as appended.
	Payload []byte
	// Metadata is the metadata given at append time.
	Metadata Metadata
	// RecordedAt is when the store committed the event (UTC, microsecond precision). Every
	// event of one append carries the same time.
	RecordedAt time.Time
}

// NewEventID returns a fresh UUIDv7: unique, and roughly ordered by creation time.
func NewEventID() (uuid.UUID, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, fmt.Errorf("es: new event id: %w", err)
	}
	return id, nil
}
