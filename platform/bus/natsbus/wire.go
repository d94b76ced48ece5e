// Package natsbus carries the event store's events over NATS JetStream: one stream per
// bounded context, one subject per event type, and the event's envelope in message headers.
//
// Subjects are <context>.<aggregate>.<EventName>, e.g. catalog.product.ProductCreated, where
// <aggregate> is the stream id up to its first '-' (stream ids are "<aggregate>-<id>") and
// <EventName> is the last element of the protobuf type name. The JetStream stream of a
// context is its name in capitals (CATALOG) and holds the subjects <context>.>.
//
// The message body is the protobuf payload as appended; the headers carry everything else,
// so a consumer can rebuild the es.RecordedEvent exactly. Nats-Msg-Id is the event id:
// JetStream drops a re-published event within its duplicate window, and consumers dedupe by
// it beyond that.
package natsbus

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/storefront/storefront/platform/es"
)

// Header names of the envelope. traceparent and tracestate are the W3C names, so any
// OpenTelemetry propagator reads them.
const (
	HeaderMsgID         = jetstream.MsgIDHeader // "Nats-Msg-Id": the event id
	HeaderType          = "Sf-Type"
	HeaderSchemaVersion = "Sf-Schema-Version"
	HeaderStream        = "Sf-Stream"
	HeaderVersion       = "Sf-Version"
	HeaderPosition      = "Sf-Position"
	HeaderRecordedAt    = "Sf-Recorded-At"
	HeaderCorrelationID = "Sf-Correlation-Id"
	HeaderCausationID   = "Sf-Causation-Id"
	HeaderUserID        = "Sf-User-Id"
	HeaderTraceParent   = "traceparent"
	HeaderTraceState    = "tracestate"
)

// StreamName is the JetStream stream of a bounded context: "catalog" → "CATALOG".
func StreamName(context string) string { return strings.ToUpper(context) }

// Subject is the subject an event of the context is published on.
func Subject(context string, ev es.RecordedEvent) string {
	aggregate, _, _ := strings.Cut(ev.StreamID, "-")
	name := ev.Type
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return context + "." + token(aggregate) + "." + token(name)
}

// token makes s a single valid subject token.
func token(s string) string {
	if s == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', '*', '>', ' ', '\t', '\r', '\n':
			return '_'
		}
		return r
	}, s)
}

// StreamConfig describes the JetStream stream of a context: file storage, the given replica
// count (1 locally, 3 in production), limits retention with a bounded age (projections are
// rebuilt from the event store, not from the stream), and a duplicate window for Nats-Msg-Id.
func StreamConfig(context string, replicas int, maxAge time.Duration) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName(context),
		Description: "events of the " + context + " context",
		Subjects:    []string{context + ".>"},
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      maxAge,
		Duplicates:  2 * time.Minute,
		Discard:     jetstream.DiscardOld,
	}
}

// Encode renders an event as the message published for it on subject.
func Encode(subject string, ev es.RecordedEvent) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = ev.Payload
	h := m.Header
	h.Set(HeaderMsgID, ev.ID.String())
	h.Set(HeaderType, ev.Type)
	h.Set(HeaderSchemaVersion, strconv.Itoa(ev.SchemaVersion))
	h.Set(HeaderStream, ev.StreamID)
	h.Set(HeaderVersion, strconv.FormatInt(ev.Version, 10))
	h.Set(HeaderPosition, ev.Position.String())
	h.Set(HeaderRecordedAt, ev.RecordedAt.UTC().Format(time.RFC3339Nano))
	setIf(h, HeaderCorrelationID, ev.Metadata.CorrelationID)
	setIf(h, HeaderCausationID, ev.Metadata.CausationID)
	setIf(h, HeaderUserID, ev.Metadata.UserID)
	setIf(h, HeaderTraceParent, ev.Metadata.TraceParent)
	setIf(h, HeaderTraceState, ev.Metadata.TraceState)
	return m
}

func setIf(h nats.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

// Decode rebuilds the event a message carries. A message without a valid envelope is an
// error: the consumer parks it rather than guessing.
func Decode(header nats.Header, data []byte) (es.RecordedEvent, error) {
	var ev es.RecordedEvent
	id, err := uuid.Parse(header.Get(HeaderMsgID))
	if err != nil {
		return ev, fmt.Errorf("natsbus: message id %q: %w", header.Get(HeaderMsgID), err)
	}
	ev.ID = id
	if ev.Type = header.Get(HeaderType); ev.Type == "" {
		return ev, fmt.Errorf("natsbus: message %s has no %s header", id, HeaderType)
	}
	if ev.StreamID = header.Get(HeaderStream); ev.StreamID == "" {
		return ev, fmt.Errorf("natsbus: message %s has no %s header", id, HeaderStream)
	}
	if ev.SchemaVersion, err = strconv.Atoi(header.Get(HeaderSchemaVersion)); err != nil || ev.SchemaVersion < 1 {
		return ev, fmt.Errorf("natsbus: message %s: bad %s %q", id, HeaderSchemaVersion, header.Get(HeaderSchemaVersion))
	}
	if ev.Version, err = strconv.ParseInt(header.Get(HeaderVersion), 10, 64); err != nil || ev.Version < 1 {
		return ev, fmt.Errorf("natsbus: message %s: bad %s %q", id, HeaderVersion, header.Get(HeaderVersion))
	}
	if ev.Position, err = es.ParsePosition(header.Get(HeaderPosition)); err != nil {
		return ev, fmt.Errorf("natsbus: message %s: %w", id, err)
	}
	if ev.RecordedAt, err = time.Parse(time.RFC3339Nano, header.Get(HeaderRecordedAt)); err != nil {
		return ev, fmt.Errorf("natsbus: message %s: bad %s: %w", id, HeaderRecordedAt, err)
	}
	ev.Payload = data
	ev.Metadata = es.Metadata{
		CorrelationID: header.Get(HeaderCorrelationID),
		CausationID:   header.Get(HeaderCausationID),
		UserID:        header.Get(HeaderUserID),
		TraceParent:   header.Get(HeaderTraceParent),
		TraceState:    header.Get(HeaderTraceState),
	}
	return ev, nil
}
