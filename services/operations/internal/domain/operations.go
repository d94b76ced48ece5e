package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	operationsv1 "github.com/storefront/storefront/proto/storefront/operations/v1"
)

// ErrRebuildPending is a rebuild asked for while one is asked for or running.
var ErrRebuildPending = fmt.Errorf("%w: a rebuild of this projection is already asked for or running", errs.FailedPrecondition)

// ProjectionStream is the stream of the requests for a projection.
func ProjectionStream(name string) string { return "projection-" + name }

// Projection is what operators asked for one projection.
type Projection struct {
	aggregate.Changes
	name string
	// lastRequestedAt is when a rebuild was last asked for.
	lastRequestedAt time.Time
}

// NewProjection returns the requests of the projection of the stream id.
func NewProjection(streamID string) *Projection {
	return &Projection{name: strings.TrimPrefix(streamID, "projection-")}
}

// StreamID implements aggregate.Root.
func (p *Projection) StreamID() string { return ProjectionStream(p.name) }

// LastRequestedAt is when a rebuild was last asked for (zero: never).
func (p *Projection) LastRequestedAt() time.Time { return p.lastRequestedAt }

// RebuildState is what the projector's registry says of the projection's rebuilds.
type RebuildState struct {
	// Running: a rebuild is running.
	Running bool
	// LastStartedAt is when the last rebuild started (zero: never).
	LastStartedAt time.Time
	// RequestedAt is the latest request the projector has been handed (zero: none).
	RequestedAt time.Time
}

// RequestRebuild asks for a rebuild by the operator, refused while one is running or a
// request is still waiting for its rebuild to start.
func (p *Projection) RequestRebuild(by string, s RebuildState, now time.Time) error {
	waiting := func(t time.Time) bool { return !t.IsZero() && t.After(s.LastStartedAt) }
	if s.Running || waiting(s.RequestedAt) || waiting(p.lastRequestedAt) {
		return ErrRebuildPending
	}
	p.record(&operationsv1.ProjectionRebuildRequested{Projection: p.name, RequestedBy: by, RequestedAt: now.UnixMicro()})
	return nil
}

// DeadLetterStream is the stream of the decisions on a dead letter.
func DeadLetterStream(id int64) string { return "dead-letter-" + strconv.FormatInt(id, 10) }

// DeadLetter is what operators decided for one dead letter.
type DeadLetter struct {
	aggregate.Changes
	id        int64
	discarded bool
}

// NewDeadLetter returns the decisions on the dead letter of the stream id.
func NewDeadLetter(streamID string) *DeadLetter {
	id, _ := strconv.ParseInt(strings.TrimPrefix(streamID, "dead-letter-"), 10, 64)
	return &DeadLetter{id: id}
}

// StreamID implements aggregate.Root.
func (d *DeadLetter) StreamID() string { return DeadLetterStream(d.id) }

// ErrDiscarded is a decision on a dead letter already discarded.
var ErrDiscarded = fmt.Errorf("%w: no such unresolved dead letter", errs.NotFound)

// Parked is the dead letter as the parking lot holds it.
type Parked struct {
	Consumer, EventID string
}

// Redrive asks the consumer that parked it to handle it again.
func (d *DeadLetter) Redrive(by string, p Parked, now time.Time) error {
	if d.discarded {
		return ErrDiscarded
	}
	d.record(&operationsv1.DeadLetterRedriveRequested{DeadLetterId: d.id, Consumer: p.Consumer, EventId: p.EventID,
		RequestedBy: by, RequestedAt: now.UnixMicro()})
	return nil
}

// Discard gives up on it.
func (d *DeadLetter) Discard(by string, p Parked, now time.Time) error {
	if d.discarded {
		return ErrDiscarded
	}
	d.record(&operationsv1.DeadLetterDiscarded{DeadLetterId: d.id, Consumer: p.Consumer, EventId: p.EventID,
		DiscardedBy: by, DiscardedAt: now.UnixMicro()})
	return nil
}

func (p *Projection) record(e proto.Message) {
	_ = p.Apply(e)
	p.Record(e)
}

func (d *DeadLetter) record(e proto.Message) {
	_ = d.Apply(e)
	d.Record(e)
}

// Apply implements aggregate.Root.
func (p *Projection) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *operationsv1.ProjectionRebuildRequested:
		p.lastRequestedAt = time.UnixMicro(e.GetRequestedAt()).UTC()
	default:
		return fmt.Errorf("projection requests: unexpected event %T", e)
	}
	return nil
}

// Apply implements aggregate.Root.
func (d *DeadLetter) Apply(e proto.Message) error {
	switch e.(type) {
	case *operationsv1.DeadLetterRedriveRequested:
	case *operationsv1.DeadLetterDiscarded:
		d.discarded = true
	default:
		return fmt.Errorf("dead letter decisions: unexpected event %T", e)
	}
	return nil
}
