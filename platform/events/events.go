// Package events maps the event store's type names to protobuf messages and back: a Registry
// of the event types a service writes or reads, with upcasters that lift payloads written
// under an older schema version to the current one.
//
// An event's type name is its fully qualified protobuf message name
// ("storefront.catalog.v1.ProductCreated"). Evolution is additive (new fields, new types); a
// change that is not gets a new schema version and an upcaster from the previous one.
package events

import (
	"errors"
	"fmt"
	"sort"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/storefront/storefront/platform/es"
)

var (
	// ErrUnknownType means the registry has no message for an event's type name.
	ErrUnknownType = errors.New("events: unknown event type")
	// ErrNewerSchema means an event was written under a schema version newer than this
	// binary knows: a reader must not guess at it.
	ErrNewerSchema = errors.New("events: event schema is newer than this reader")
	// ErrMalformed means an event's payload does not decode as its type.
	ErrMalformed = errors.New("events: malformed payload")
)

// Upcaster lifts a payload of Type from schema version From to From+1.
type Upcaster struct {
	Type string
	From int
	Up   func(payload []byte) ([]byte, error)
}

type entry struct {
	msg      protoreflect.MessageType
	version  int // current schema version
	upcaster map[int]func([]byte) ([]byte, error)
}

// Registry knows the event types of one reader or writer. Build it at start with Register;
// it is then safe for concurrent use (read-only).
type Registry struct {
	types map[string]*entry
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{types: map[string]*entry{}} }

// Register adds event messages at schema version 1. Registering a type twice panics: it is a
// programming error found at start.
func (r *Registry) Register(msgs ...proto.Message) *Registry {
	for _, m := range msgs {
		r.RegisterVersion(m, 1)
	}
	return r
}

// RegisterVersion adds an event message whose current schema version is version (≥ 1).
// Versions below it need an upcaster each (AddUpcaster).
func (r *Registry) RegisterVersion(m proto.Message, version int) *Registry {
	name := string(m.ProtoReflect().Descriptor().FullName())
	if _, dup := r.types[name]; dup {
		panic(fmt.Sprintf("events: %s registered twice", name))
	}
	if version < 1 {
		panic(fmt.Sprintf("events: %s: schema version %d < 1", name, version))
	}
	r.types[name] = &entry{msg: m.ProtoReflect().Type(), version: version, upcaster: map[int]func([]byte) ([]byte, error){}}
	return r
}

// AddUpcaster registers a step from u.From to u.From+1 for a registered type.
func (r *Registry) AddUpcaster(u Upcaster) *Registry {
	e, ok := r.types[u.Type]
	if !ok {
		panic(fmt.Sprintf("events: upcaster for unregistered type %s", u.Type))
	}
	if u.From < 1 || u.From >= e.version {
		panic(fmt.Sprintf("events: upcaster of %s from version %d: current version is %d", u.Type, u.From, e.version))
	}
	e.upcaster[u.From] = u.Up
	return r
}

// Types lists the registered type names, sorted.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.types))
	for name := range r.types {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Knows reports whether the registry can decode events of the type name.
func (r *Registry) Knows(typeName string) bool { _, ok := r.types[typeName]; return ok }

// Encode renders an event message as the data to append, at its current schema version.
func (r *Registry) Encode(m proto.Message, md es.Metadata) (es.EventData, error) {
	name := string(m.ProtoReflect().Descriptor().FullName())
	e, ok := r.types[name]
	if !ok {
		return es.EventData{}, fmt.Errorf("%w: %s (register it first)", ErrUnknownType, name)
	}
	payload, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return es.EventData{}, fmt.Errorf("events: encode %s: %w", name, err)
	}
	return es.EventData{Type: name, SchemaVersion: e.version, Payload: payload, Metadata: md}, nil
}

// Decode returns the message an event carries, upcast to the current schema version.
// It fails with ErrUnknownType, ErrNewerSchema or ErrMalformed; callers park such events.
func (r *Registry) Decode(ev es.RecordedEvent) (proto.Message, error) {
	e, ok := r.types[ev.Type]
	if !ok {
		return nil, fmt.Errorf("%w: %s (event %s)", ErrUnknownType, ev.Type, ev.ID)
	}
	payload := ev.Payload
	v := max(ev.SchemaVersion, 1)
	if v > e.version {
		return nil, fmt.Errorf("%w: %s v%d, this reader knows up to v%d (event %s)", ErrNewerSchema, ev.Type, v, e.version, ev.ID)
	}
	for ; v < e.version; v++ {
		up, ok := e.upcaster[v]
		if !ok {
			return nil, fmt.Errorf("%w: %s v%d has no upcaster to v%d (event %s)", ErrUnknownType, ev.Type, v, v+1, ev.ID)
		}
		var err error
		if payload, err = up(payload); err != nil {
			return nil, fmt.Errorf("%w: upcast %s v%d (event %s): %v", ErrMalformed, ev.Type, v, ev.ID, err)
		}
	}
	m := e.msg.New().Interface()
	if err := proto.Unmarshal(payload, m); err != nil {
		return nil, fmt.Errorf("%w: %s (event %s): %v", ErrMalformed, ev.Type, ev.ID, err)
	}
	return m, nil
}

// JSON renders an event's payload for operators (upcast, with proto field names); it falls
// back to an error description for events it cannot decode.
func (r *Registry) JSON(ev es.RecordedEvent) ([]byte, error) {
	m, err := r.Decode(ev)
	if err != nil {
		return nil, err
	}
	return protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
}

// Unlisted returns the full names of the messages of an events file (one per event, plus the
// parts that events are made of, named in parts) that are missing from catalogue: a context's
// test calls it so that a new event message cannot be forgotten in its catalogue, and so in
// its registry and its relay's private list.
func Unlisted(file protoreflect.FileDescriptor, catalogue []proto.Message, parts ...string) []string {
	listed := map[protoreflect.FullName]bool{}
	for _, m := range catalogue {
		listed[m.ProtoReflect().Descriptor().FullName()] = true
	}
	isPart := map[string]bool{}
	for _, p := range parts {
		isPart[p] = true
	}
	var out []string
	msgs := file.Messages()
	for i := range msgs.Len() {
		m := msgs.Get(i)
		if !isPart[string(m.Name())] && !listed[m.FullName()] {
			out = append(out, string(m.FullName()))
		}
	}
	return out
}

// TypeNames returns the event type names (protobuf full names) of messages, as the relay's
// private types and the projections' filters name them.
func TypeNames(messages ...proto.Message) []string {
	out := make([]string, len(messages))
	for i, m := range messages {
		out[i] = string(m.ProtoReflect().Descriptor().FullName())
	}
	return out
}
