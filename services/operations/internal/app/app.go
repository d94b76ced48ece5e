// Package app holds the operations context's use cases: the operators' reads (projections
// and their progress, the contexts' streams and events, the dead letters, the audit) and
// their requests (a rebuild, a redrive, a discard), each recorded as an event with who asked
// before it is handed to the process that carries it out (decision 023). Every use case is
// an admin's. Handlers know nothing of gRPC or SQL.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/paging"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/projections/audit"
	operationsv1 "github.com/storefront/storefront/proto/storefront/operations/v1"
	"github.com/storefront/storefront/services/operations/internal/domain"
)

// Registry is the projector's registry and the fleet's parking lot (platform/projector's
// operator functions).
type Registry interface {
	Overviews(ctx context.Context) ([]projector.Overview, error)
	RequestRebuild(ctx context.Context, name string, at time.Time) (bool, error)
	DeadLetters(ctx context.Context, f projector.DeadLetterFilter) ([]projector.ParkedEvent, int, error)
	// DeadLetter fails with projector.ErrNoDeadLetter for an unknown or resolved one.
	DeadLetter(ctx context.Context, id int64) (projector.ParkedEvent, error)
	RequestDeadLetter(ctx context.Context, id int64, a projector.Action, at time.Time) error
}

// Stream is one stream of a context's event store.
type Stream struct {
	Context, ID string
	Version     int64
	UpdatedAt   time.Time
}

// Event is a recorded event and the context whose store holds it.
type Event struct {
	Context string
	es.RecordedEvent
}

// EventStores reads the contexts' event stores.
type EventStores interface {
	// Contexts are the contexts it reads, sorted.
	Contexts() []string
	// Streams returns the context's streams with the id prefix, by id, and their number.
	Streams(ctx context.Context, context, prefix string, limit, offset int) ([]Stream, int, error)
	// HasStream reports whether the context's store holds the stream.
	HasStream(ctx context.Context, context, id string) (bool, error)
	ReadStream(ctx context.Context, context, id string, from int64, max int) ([]es.RecordedEvent, error)
	// Event finds the event in whichever store holds it; ok false if none does.
	Event(ctx context.Context, id uuid.UUID) (Event, bool, error)
}

// Audit is the audit read model.
type Audit interface {
	Entries(ctx context.Context, limit, offset int) ([]audit.Entry, int, error)
}

// Page is a requested page; nil fields take the defaults.
type Page = paging.Request

// Resolved is a checked page.
type Resolved = paging.Page

// App is the operations context's use cases.
type App struct {
	Projections *aggregate.Store[*domain.Projection]
	DeadLetters *aggregate.Store[*domain.DeadLetter]
	Registry    Registry
	Stores      EventStores
	Audit       Audit
	Clock       func() time.Time
	Log         *slog.Logger
}

var (
	errNotAdmin           = fmt.Errorf("%w: operators' calls are for admins", errs.PermissionDenied)
	errUnknownProjection  = fmt.Errorf("%w: no such projection", errs.NotFound)
	errUnknownStream      = fmt.Errorf("%w: no such stream", errs.NotFound)
	errUnknownEvent       = fmt.Errorf("%w: no such event", errs.NotFound)
	errUnknownDeadLetter  = fmt.Errorf("%w: no such unresolved dead letter", errs.NotFound)
	errSignedOutOperators = fmt.Errorf("%w: sign in as an admin", errs.Unauthenticated)
)

// admin returns the calling admin's user id.
func admin(ctx context.Context) (string, error) {
	actor := reqctx.From(ctx).Actor
	switch {
	case actor.UserID == "":
		return "", errSignedOutOperators
	case !actor.IsAdmin():
		return "", errNotAdmin
	}
	return actor.UserID, nil
}

// ListProjections lists every projection with its progress.
func (a *App) ListProjections(ctx context.Context) ([]projector.Overview, error) {
	if _, err := admin(ctx); err != nil {
		return nil, err
	}
	return a.Registry.Overviews(ctx)
}

// projection returns one projection's entry.
func (a *App) projection(ctx context.Context, name string) (projector.Overview, error) {
	all, err := a.Registry.Overviews(ctx)
	if err != nil {
		return projector.Overview{}, err
	}
	for _, o := range all {
		if o.Projection == name {
			return o, nil
		}
	}
	return projector.Overview{}, errUnknownProjection
}

// RebuildProjection records the operator's request for a blue/green rebuild of the
// projection; the projector starts it. Refused while a rebuild is asked for or running.
func (a *App) RebuildProjection(ctx context.Context, name string) (projector.Overview, error) {
	by, err := admin(ctx)
	if err != nil {
		return projector.Overview{}, err
	}
	o, err := a.projection(ctx, name)
	if err != nil {
		return projector.Overview{}, err
	}
	now := a.Clock().UTC()
	state := domain.RebuildState{Running: o.State == projector.StateRebuilding, LastStartedAt: o.StartedAt, RequestedAt: o.RebuildRequestedAt}
	_, err = a.Projections.UpdateOrNew(ctx, domain.ProjectionStream(name), func(p *domain.Projection) error {
		return p.RequestRebuild(by, state, now)
	})
	if err != nil {
		return projector.Overview{}, err
	}
	a.Log.InfoContext(ctx, "rebuild asked for", "projection", name, "by", by)
	o.RebuildRequestedAt = now
	return o, nil
}

// StreamPage is a page of streams.
type StreamPage struct {
	Items    []Stream
	Resolved Resolved
	Total    int
}

// ListStreams returns a page of the streams of one context (or of all, by id then context)
// whose id starts with prefix.
func (a *App) ListStreams(ctx context.Context, context, prefix string, p Page) (StreamPage, error) {
	if _, err := admin(ctx); err != nil {
		return StreamPage{}, err
	}
	var v errs.Validation
	page := p.Resolve(&v)
	contexts := a.contexts(context, &v)
	if err := v.Err(); err != nil {
		return StreamPage{}, err
	}
	// Each context's first offset+limit streams, merged by id: a page of the union.
	var (
		all   []Stream
		total int
	)
	for _, c := range contexts {
		items, n, err := a.Stores.Streams(ctx, c, prefix, page.Offset()+page.PerPage, 0)
		if err != nil {
			return StreamPage{}, err
		}
		all, total = append(all, items...), total+n
	}
	sortStreams(all)
	from := min(page.Offset(), len(all))
	to := min(from+page.PerPage, len(all))
	return StreamPage{Items: all[from:to], Resolved: page, Total: total}, nil
}

// contexts are the stores a read looks in: the one named (else a validation error), or all.
func (a *App) contexts(context string, v *errs.Validation) []string {
	if context == "" {
		return a.Stores.Contexts()
	}
	if slices.Contains(a.Stores.Contexts(), context) {
		return []string{context}
	}
	v.Addf("context", "must be one of %v", a.Stores.Contexts())
	return nil
}

// Stream limits.
const (
	DefaultStreamMax = 100
	MaxStreamMax     = 1000
)

// GetStream returns a stream's events in version order from version from, at most max.
// A stream id held by two contexts needs the context.
func (a *App) GetStream(ctx context.Context, context, id string, from, max *int32) ([]Event, error) {
	if _, err := admin(ctx); err != nil {
		return nil, err
	}
	var v errs.Validation
	f, m := int64(1), DefaultStreamMax
	if from != nil {
		if *from < 1 {
			v.Add("from", "must be at least 1")
		}
		f = int64(*from)
	}
	if max != nil {
		if *max < 1 || *max > MaxStreamMax {
			v.Addf("max", "must be 1..%d", MaxStreamMax)
		}
		m = int(*max)
	}
	if id == "" {
		v.Add("id", "is required")
	}
	contexts := a.contexts(context, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var found []string
	for _, c := range contexts {
		ok, err := a.Stores.HasStream(ctx, c, id)
		if err != nil {
			return nil, err
		}
		if ok {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return nil, errUnknownStream
	case 1:
	default:
		return nil, errs.Field("context", fmt.Sprintf("the stream is in %v: say which", found))
	}
	evs, err := a.Stores.ReadStream(ctx, found[0], id, f, m)
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(evs))
	for i, e := range evs {
		out[i] = Event{Context: found[0], RecordedEvent: e}
	}
	return out, nil
}

// GetEvent returns one event by id.
func (a *App) GetEvent(ctx context.Context, id string) (Event, error) {
	if _, err := admin(ctx); err != nil {
		return Event{}, err
	}
	uid, err := uuid.Parse(id)
	if err != nil {
		return Event{}, errs.Field("id", "must be a UUID")
	}
	e, ok, err := a.Stores.Event(ctx, uid)
	if err != nil {
		return Event{}, err
	}
	if !ok {
		return Event{}, errUnknownEvent
	}
	return e, nil
}

// DeadLetterPage is a page of dead letters.
type DeadLetterPage struct {
	Items    []projector.ParkedEvent
	Resolved Resolved
	Total    int
}

// ListDeadLetters returns a page of the unresolved dead letters, oldest first, optionally of
// one consumer.
func (a *App) ListDeadLetters(ctx context.Context, consumer string, p Page) (DeadLetterPage, error) {
	if _, err := admin(ctx); err != nil {
		return DeadLetterPage{}, err
	}
	var v errs.Validation
	page := p.Resolve(&v)
	if err := v.Err(); err != nil {
		return DeadLetterPage{}, err
	}
	items, total, err := a.Registry.DeadLetters(ctx, projector.DeadLetterFilter{Consumer: consumer, Limit: page.PerPage, Offset: page.Offset()})
	if err != nil {
		return DeadLetterPage{}, err
	}
	return DeadLetterPage{Items: items, Resolved: page, Total: total}, nil
}

// RedriveDeadLetter records the operator's request to handle a dead letter again; the
// consumer that parked it does.
func (a *App) RedriveDeadLetter(ctx context.Context, id string) (projector.ParkedEvent, error) {
	return a.decide(ctx, id, projector.ActionRedrive)
}

// DiscardDeadLetter records the operator's decision to give up on a dead letter; the
// consumer that parked it resolves it.
func (a *App) DiscardDeadLetter(ctx context.Context, id string) error {
	_, err := a.decide(ctx, id, projector.ActionDiscard)
	return err
}

func (a *App) decide(ctx context.Context, id string, action projector.Action) (projector.ParkedEvent, error) {
	by, err := admin(ctx)
	if err != nil {
		return projector.ParkedEvent{}, err
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 1 {
		return projector.ParkedEvent{}, errs.Field("id", "must be a dead letter's number")
	}
	e, err := a.Registry.DeadLetter(ctx, n)
	if errors.Is(err, projector.ErrNoDeadLetter) {
		return projector.ParkedEvent{}, errUnknownDeadLetter
	}
	if err != nil {
		return projector.ParkedEvent{}, err
	}
	now := a.Clock().UTC()
	parked := domain.Parked{Consumer: e.Projection, EventID: eventID(e)}
	_, err = a.DeadLetters.UpdateOrNew(ctx, domain.DeadLetterStream(n), func(d *domain.DeadLetter) error {
		if action == projector.ActionDiscard {
			return d.Discard(by, parked, now)
		}
		return d.Redrive(by, parked, now)
	})
	if err != nil {
		return projector.ParkedEvent{}, err
	}
	a.Log.InfoContext(ctx, "dead letter decided", "dead_letter", n, "consumer", e.Projection, "action", action, "by", by)
	e.Requested = action
	return e, nil
}

func eventID(e projector.ParkedEvent) string {
	if e.EventID == uuid.Nil {
		return ""
	}
	return e.EventID.String()
}

// AuditPage is a page of the audit.
type AuditPage struct {
	Items    []audit.Entry
	Resolved Resolved
	Total    int
}

// ListAudit returns a page of the admins' actions, newest first.
func (a *App) ListAudit(ctx context.Context, p Page) (AuditPage, error) {
	if _, err := admin(ctx); err != nil {
		return AuditPage{}, err
	}
	var v errs.Validation
	page := p.Resolve(&v)
	if err := v.Err(); err != nil {
		return AuditPage{}, err
	}
	items, total, err := a.Audit.Entries(ctx, page.PerPage, page.Offset())
	if err != nil {
		return AuditPage{}, err
	}
	return AuditPage{Items: items, Resolved: page, Total: total}, nil
}

// HandOver hands an operator's recorded request to the process that carries it out, through
// the registry: the projector starts the rebuild, the consumer that parked a dead letter
// redrives or discards it. Handing the same request over twice is handing it once; a dead
// letter resolved meanwhile needs nothing more.
func (a *App) HandOver(ctx context.Context, m proto.Message) error {
	switch e := m.(type) {
	case *operationsv1.ProjectionRebuildRequested:
		ok, err := a.Registry.RequestRebuild(ctx, e.GetProjection(), time.UnixMicro(e.GetRequestedAt()).UTC())
		if err == nil && !ok {
			a.Log.WarnContext(ctx, "rebuild asked for a projection the registry does not hold", "projection", e.GetProjection())
		}
		return err
	case *operationsv1.DeadLetterRedriveRequested:
		return a.handOverDecision(ctx, e.GetDeadLetterId(), projector.ActionRedrive, e.GetRequestedAt())
	case *operationsv1.DeadLetterDiscarded:
		return a.handOverDecision(ctx, e.GetDeadLetterId(), projector.ActionDiscard, e.GetDiscardedAt())
	}
	return nil
}

func (a *App) handOverDecision(ctx context.Context, id int64, action projector.Action, at int64) error {
	err := a.Registry.RequestDeadLetter(ctx, id, action, time.UnixMicro(at).UTC())
	if errors.Is(err, projector.ErrNoDeadLetter) {
		return nil
	}
	return err
}
