package esdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	eventstore "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/storefront/storefront/platform/es"
)

// snapshotPrefix starts the name of the system stream that holds a stream's snapshots.
const snapshotPrefix = "$snapshot-"

// errNoPosition means the server sent an event without its $all position.
var errNoPosition = errors.New("esdb: the server reported no $all position for an event; EventStoreDB 22.6 or later reports it on stream reads")

// namespace maps the stream ids of one Store to EventStoreDB stream names and back.
type namespace string

// stream returns the EventStoreDB stream name of stream id.
func (ns namespace) stream(id string) string {
	if ns == "" {
		return id
	}
	return string(ns) + "/" + id
}

// snapshotStream returns the name of the system stream holding the snapshots of stream id.
func (ns namespace) snapshotStream(id string) string { return snapshotPrefix + ns.stream(id) }

// streamID returns the stream id of an EventStoreDB stream name, or false if the stream is a
// system stream or outside the namespace.
func (ns namespace) streamID(name string) (string, bool) {
	if strings.HasPrefix(name, "$") {
		return "", false
	}
	if ns == "" {
		return name, true
	}
	if id, ok := strings.CutPrefix(name, string(ns)+"/"); ok {
		return id, true
	}
	return "", false
}

// check validates a stream id given to the store.
func (ns namespace) check(id string) error {
	if ns == "" && strings.HasPrefix(id, "$") {
		return fmt.Errorf("%w: stream %q: ids beginning with '$' name EventStoreDB system streams", es.ErrInvalidArgument, id)
	}
	return nil
}

// expectedRevision maps an expected version (already validated) to EventStoreDB's.
func expectedRevision(v es.ExpectedVersion) eventstore.ExpectedRevision {
	switch v {
	case es.Any:
		return eventstore.Any{}
	case es.StreamExists:
		return eventstore.StreamExists{}
	case es.NoStream:
		return eventstore.NoStream{}
	default:
		return revision(int64(v))
	}
}

// revision returns the EventStoreDB revision of stream version v (≥ 1).
func revision(v int64) eventstore.StreamRevision { return eventstore.Revision(uint64(v - 1)) }

// version returns the stream version of EventStoreDB revision r.
func version(r uint64) (int64, error) {
	if r >= math.MaxInt64 {
		return 0, fmt.Errorf("esdb: stream revision %d does not fit a version", r)
	}
	return int64(r) + 1, nil
}

// position maps an event's $all position to an es.Position. The client reports a missing
// position as the largest uint64, which is the case of old servers' stream reads.
func position(p eventstore.Position) (es.Position, error) {
	if p.Commit > math.MaxInt64 || p.Prepare > math.MaxInt64 {
		return es.Position{}, errNoPosition
	}
	return es.Position{TxID: int64(p.Commit), Global: int64(p.Prepare)}, nil
}

// allPosition maps an es.Position (not negative, as es.CheckReadAll ensures) back to $all.
func allPosition(p es.Position) eventstore.Position {
	return eventstore.Position{Commit: uint64(p.TxID), Prepare: uint64(p.Global)}
}

// eventMetadata is the JSON object stored as an event's metadata. Empty fields are omitted.
type eventMetadata struct {
	CorrelationID string `json:"$correlationId,omitempty"`
	CausationID   string `json:"$causationId,omitempty"`
	UserID        string `json:"userId,omitempty"`
	TraceParent   string `json:"traceparent,omitempty"`
	TraceState    string `json:"tracestate,omitempty"`
	// SchemaVersion is the payload's schema version (≥ 1).
	SchemaVersion int `json:"schemaVersion"`
	// AppendOffset is the event's index within its append: the first event of the append is
	// at revision (this event's revision - AppendOffset).
	AppendOffset int `json:"appendOffset,omitempty"`
}

// encodeMetadata renders the metadata of the offset-th event of an append.
func encodeMetadata(m es.Metadata, schemaVersion, offset int) ([]byte, error) {
	b, err := json.Marshal(eventMetadata{
		CorrelationID: m.CorrelationID,
		CausationID:   m.CausationID,
		UserID:        m.UserID,
		TraceParent:   m.TraceParent,
		TraceState:    m.TraceState,
		SchemaVersion: schemaVersion,
		AppendOffset:  offset,
	})
	if err != nil {
		return nil, fmt.Errorf("esdb: encode metadata: %w", err)
	}
	return b, nil
}

// decodeMetadata reads what encodeMetadata wrote. It is lenient, because a namespace may hold
// events that other tools wrote: metadata that is not such an object gives empty metadata,
// schema version 1 and offset 0.
func decodeMetadata(b []byte) (m es.Metadata, schemaVersion, offset int) {
	var em eventMetadata
	if len(b) > 0 && json.Unmarshal(b, &em) != nil {
		em = eventMetadata{}
	}
	if em.SchemaVersion < 1 {
		em.SchemaVersion = 1
	}
	if em.AppendOffset < 0 {
		em.AppendOffset = 0
	}
	return es.Metadata{
		CorrelationID: em.CorrelationID,
		CausationID:   em.CausationID,
		UserID:        em.UserID,
		TraceParent:   em.TraceParent,
		TraceState:    em.TraceState,
	}, em.SchemaVersion, em.AppendOffset
}

// snapshotMetadata is the metadata of a snapshot event.
type snapshotMetadata struct {
	Version int64 `json:"version"`
}

// recordedAt converts the server's creation stamp to the es precision.
func recordedAt(created time.Time) time.Time { return created.UTC().Truncate(time.Microsecond) }

// decoded is a recorded event together with what aligning its RecordedAt needs.
type decoded struct {
	es.RecordedEvent
	name     string // EventStoreDB stream name
	revision uint64
	offset   int // index within its append
}

// decode converts an EventStoreDB event of stream id (already known to be the store's).
func decode(id string, e *eventstore.RecordedEvent) (decoded, error) {
	v, err := version(e.EventNumber)
	if err != nil {
		return decoded{}, err
	}
	pos, err := position(e.Position)
	if err != nil {
		return decoded{}, fmt.Errorf("%w (stream %q, revision %d)", err, e.StreamID, e.EventNumber)
	}
	meta, schema, offset := decodeMetadata(e.UserMetadata)
	payload := e.Data
	if payload == nil {
		payload = []byte{}
	}
	return decoded{
		RecordedEvent: es.RecordedEvent{
			ID:            e.EventID,
			StreamID:      id,
			Version:       v,
			Position:      pos,
			Type:          e.EventType,
			SchemaVersion: schema,
			Payload:       payload,
			Metadata:      meta,
			RecordedAt:    recordedAt(e.CreatedDate),
		},
		name:     e.StreamID,
		revision: e.EventNumber,
		offset:   offset,
	}, nil
}

// currentVersion extracts the stream's current version from the v4 client's
// wrong-expected-version message ("... expecting '1' but got 'no_stream'"): 0 for no stream,
// revision + 1 otherwise, and -1 when the message says neither.
func currentVersion(msg string) int64 {
	_, after, ok := strings.Cut(msg, "but got '")
	if !ok {
		return -1
	}
	got, _, ok := strings.Cut(after, "'")
	if !ok {
		return -1
	}
	if got == "no_stream" {
		return 0
	}
	r, err := strconv.ParseInt(got, 10, 64)
	if err != nil || r < 0 || r == math.MaxInt64 {
		return -1
	}
	return r + 1
}
