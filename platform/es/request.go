package es

import (
	"math"

	"github.com/google/uuid"
)

// AppendRequest is an Append call checked and completed: every event has an id and a schema
// version. Adapters build one with NewAppendRequest so that they all validate alike.
type AppendRequest struct {
	Stream   string
	Expected ExpectedVersion
	Events   []EventData
	AppendOptions
}

// NewAppendRequest validates the arguments of Append, fills in missing event ids (UUIDv7)
// and schema versions (1), and applies opts. The caller's slice is not modified. It fails
// with ErrInvalidArgument.
func NewAppendRequest(stream string, expected ExpectedVersion, events []EventData, opts ...AppendOption) (AppendRequest, error) {
	if stream == "" {
		return AppendRequest{}, invalid("empty stream id")
	}
	if !expected.Valid() {
		return AppendRequest{}, invalid("stream %q: invalid expected version %d", stream, int64(expected))
	}
	if len(events) == 0 {
		return AppendRequest{}, invalid("stream %q: no events to append", stream)
	}
	req := AppendRequest{Stream: stream, Expected: expected, Events: make([]EventData, len(events))}
	for i, e := range events {
		if e.Type == "" {
			return AppendRequest{}, invalid("stream %q: event %d has no type", stream, i)
		}
		if e.SchemaVersion < 0 || e.SchemaVersion > math.MaxInt32 {
			return AppendRequest{}, invalid("stream %q: event %d has schema version %d", stream, i, e.SchemaVersion)
		}
		if e.SchemaVersion == 0 {
			e.SchemaVersion = 1
		}
		if e.ID == uuid.Nil {
			id, err := NewEventID()
			if err != nil {
				return AppendRequest{}, err
			}
			e.ID = id
		}
		if e.Payload == nil {
			e.Payload = []byte{}
		}
		req.Events[i] = e
	}
	for _, opt := range opts {
		opt(&req.AppendOptions)
	}
	for _, c := range append(req.Claims[:len(req.Claims):len(req.Claims)], req.Releases...) {
		if c.Scope == "" || c.Value == "" {
			return AppendRequest{}, invalid("stream %q: a claim or release needs a scope and a value", stream)
		}
	}
	return req, nil
}

// CheckRead validates the arguments of ReadStream and ReadStreamBackward.
func CheckRead(stream string, from int64, max int) error {
	switch {
	case stream == "":
		return invalid("empty stream id")
	case from < 1:
		return invalid("stream %q: from version %d, want ≥ 1", stream, from)
	case max < 1:
		return invalid("stream %q: max %d, want ≥ 1", stream, max)
	}
	return nil
}

// CheckReadAll validates the arguments of ReadAll.
func CheckReadAll(after Position, max int) error {
	switch {
	case after.TxID < 0 || after.Global < 0:
		return invalid("position %v is negative", after)
	case max < 1:
		return invalid("max %d, want ≥ 1", max)
	}
	return nil
}

// CheckSnapshot validates the argument of SaveSnapshot.
func CheckSnapshot(s Snapshot) error {
	switch {
	case s.StreamID == "":
		return invalid("snapshot: empty stream id")
	case s.Type == "":
		return invalid("snapshot of %q: empty type", s.StreamID)
	case s.Version < 1:
		return invalid("snapshot of %q: version %d, want ≥ 1", s.StreamID, s.Version)
	}
	return nil
}
