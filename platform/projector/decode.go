package projector

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
)

// Decode decodes ev with r for a projection's Apply: a type or schema version r does not know
// is wrapped in ErrUnknownEvent (parked at once, without retries), any other failure is
// returned wrapped as it is.
func Decode(r *events.Registry, ev es.RecordedEvent) (proto.Message, error) {
	m, err := r.Decode(ev)
	switch {
	case errors.Is(err, events.ErrUnknownType), errors.Is(err, events.ErrNewerSchema):
		return nil, fmt.Errorf("%w: %s v%d (stream %s, version %d): %v", ErrUnknownEvent, ev.Type, ev.SchemaVersion,
			ev.StreamID, ev.Version, err)
	case err != nil:
		return nil, fmt.Errorf("decode %s (stream %s, version %d): %w", ev.Type, ev.StreamID, ev.Version, err)
	}
	return m, nil
}
