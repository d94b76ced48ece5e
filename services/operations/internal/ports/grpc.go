// Package ports serves the operations use cases over gRPC, and hands the context's own
// recorded requests over to the processes that carry them out (a reaction). Events are
// rendered as JSON from their protobuf types through the fleet's event registry.
package ports

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/projector"
	operationsv1 "github.com/storefront/storefront/proto/storefront/operations/v1"
	"github.com/storefront/storefront/services/operations/internal/app"
)

// GRPC implements operationsv1.OperationsServiceServer.
type GRPC struct {
	operationsv1.UnimplementedOperationsServiceServer
	App *app.App
	// Events decodes the payloads of every context's events.
	Events *events.Registry
}

// ListProjections implements operationsv1.OperationsServiceServer.
func (s GRPC) ListProjections(ctx context.Context, _ *operationsv1.ListProjectionsRequest) (*operationsv1.ListProjectionsResponse, error) {
	all, err := s.App.ListProjections(ctx)
	if err != nil {
		return nil, err
	}
	out := &operationsv1.ListProjectionsResponse{Items: make([]*operationsv1.Projection, len(all))}
	for i, o := range all {
		out.Items[i] = Projection(o)
	}
	return out, nil
}

// RebuildProjection implements operationsv1.OperationsServiceServer.
func (s GRPC) RebuildProjection(ctx context.Context, r *operationsv1.RebuildProjectionRequest) (*operationsv1.Projection, error) {
	o, err := s.App.RebuildProjection(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return Projection(o), nil
}

// ListStreams implements operationsv1.OperationsServiceServer.
func (s GRPC) ListStreams(ctx context.Context, r *operationsv1.ListStreamsRequest) (*operationsv1.ListStreamsResponse, error) {
	page, err := s.App.ListStreams(ctx, r.GetContext(), r.GetPrefix(), app.Page{Page: r.Page, PerPage: r.PerPage})
	if err != nil {
		return nil, err
	}
	out := &operationsv1.ListStreamsResponse{Items: make([]*operationsv1.Stream, len(page.Items)),
		Page: int32(page.Resolved.Page), PerPage: int32(page.Resolved.PerPage), Total: int32(page.Total)}
	for i, st := range page.Items {
		out.Items[i] = &operationsv1.Stream{Id: st.ID, Context: st.Context, Version: int32(st.Version), UpdatedAt: rfc3339(st.UpdatedAt)}
	}
	return out, nil
}

// GetStream implements operationsv1.OperationsServiceServer.
func (s GRPC) GetStream(ctx context.Context, r *operationsv1.GetStreamRequest) (*operationsv1.GetStreamResponse, error) {
	evs, err := s.App.GetStream(ctx, r.GetContext(), r.GetId(), r.From, r.Max)
	if err != nil {
		return nil, err
	}
	out := &operationsv1.GetStreamResponse{Items: make([]*operationsv1.Event, len(evs))}
	for i, e := range evs {
		out.Items[i] = s.event(e.Context, e.RecordedEvent)
	}
	return out, nil
}

// GetEvent implements operationsv1.OperationsServiceServer.
func (s GRPC) GetEvent(ctx context.Context, r *operationsv1.GetEventRequest) (*operationsv1.Event, error) {
	e, err := s.App.GetEvent(ctx, r.GetId())
	if err != nil {
		return nil, err
	}
	return s.event(e.Context, e.RecordedEvent), nil
}

// ListDeadLetters implements operationsv1.OperationsServiceServer.
func (s GRPC) ListDeadLetters(ctx context.Context, r *operationsv1.ListDeadLettersRequest) (*operationsv1.ListDeadLettersResponse, error) {
	page, err := s.App.ListDeadLetters(ctx, r.GetProjection(), app.Page{Page: r.Page, PerPage: r.PerPage})
	if err != nil {
		return nil, err
	}
	out := &operationsv1.ListDeadLettersResponse{Items: make([]*operationsv1.DeadLetter, len(page.Items)),
		Page: int32(page.Resolved.Page), PerPage: int32(page.Resolved.PerPage), Total: int32(page.Total)}
	for i, e := range page.Items {
		out.Items[i] = s.deadLetter(e)
	}
	return out, nil
}

// RedriveDeadLetter implements operationsv1.OperationsServiceServer.
func (s GRPC) RedriveDeadLetter(ctx context.Context, r *operationsv1.RedriveDeadLetterRequest) (*operationsv1.DeadLetter, error) {
	e, err := s.App.RedriveDeadLetter(ctx, r.GetId())
	if err != nil {
		return nil, err
	}
	return s.deadLetter(e), nil
}

// DiscardDeadLetter implements operationsv1.OperationsServiceServer.
func (s GRPC) DiscardDeadLetter(ctx context.Context, r *operationsv1.DiscardDeadLetterRequest) (*operationsv1.DiscardDeadLetterResponse, error) {
	if err := s.App.DiscardDeadLetter(ctx, r.GetId()); err != nil {
		return nil, err
	}
	return &operationsv1.DiscardDeadLetterResponse{}, nil
}

// ListAudit implements operationsv1.OperationsServiceServer.
func (s GRPC) ListAudit(ctx context.Context, r *operationsv1.ListAuditRequest) (*operationsv1.ListAuditResponse, error) {
	page, err := s.App.ListAudit(ctx, app.Page{Page: r.Page, PerPage: r.PerPage})
	if err != nil {
		return nil, err
	}
	out := &operationsv1.ListAuditResponse{Items: make([]*operationsv1.AuditEntry, len(page.Items)),
		Page: int32(page.Resolved.Page), PerPage: int32(page.Resolved.PerPage), Total: int32(page.Total)}
	for i, e := range page.Items {
		out.Items[i] = &operationsv1.AuditEntry{At: rfc3339(e.At), ActorId: e.ActorID, Action: e.Action, Target: e.Target, EventId: e.EventID}
	}
	return out, nil
}

// rfc3339 writes a time in RFC 3339 with microseconds, always six digits, so that times
// sort as strings.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// Projection renders a projection's entry.
func Projection(o projector.Overview) *operationsv1.Projection {
	position := o.LivePosition
	if position == 0 && o.State == projector.StateLive {
		position = o.Position // where the last rebuild switched in, before the first sample
	}
	out := &operationsv1.Projection{Name: o.Projection, Position: float64(position), Lag: float64(o.Lag), LagSeconds: o.LagSeconds,
		State: string(o.State), ActiveGeneration: int32(o.ActiveGeneration), BuildingGeneration: int32(o.BuildingGeneration),
		SwitchedAt: rfc3339(o.SwitchedAt), Contexts: o.Contexts, DeadLetters: int32(o.DeadLetters),
		RebuildRequestedAt: rfc3339(o.RebuildRequestedAt), Rebuild: &operationsv1.RebuildProgress{StartedAt: rfc3339(o.StartedAt)}}
	if out.Contexts == nil {
		out.Contexts = []string{}
	}
	if o.State != projector.StateLive {
		out.Error = o.Error
		out.Rebuild.Position, out.Rebuild.Total = float64(o.Position), float64(o.Total)
		out.Rebuild.Rate, out.Rebuild.EtaSeconds, out.Rebuild.Applied = o.EventsPerSecond, o.ETASeconds, float64(o.Applied)
	}
	return out
}

// event renders a recorded event, its payload as JSON when its type is registered.
func (s GRPC) event(context string, e es.RecordedEvent) *operationsv1.Event {
	out := &operationsv1.Event{Id: e.ID.String(), StreamId: e.StreamID, Version: int32(e.Version), Type: e.Type,
		Position: float64(e.Position.Global), RecordedAt: rfc3339(e.RecordedAt), Context: context,
		SchemaVersion: int32(e.SchemaVersion), Data: &structpb.Struct{Fields: map[string]*structpb.Value{}},
		Metadata: &operationsv1.EventMetadata{TraceId: traceID(e.Metadata.TraceParent), CausationId: e.Metadata.CausationID,
			CorrelationId: e.Metadata.CorrelationID, ActorId: e.Metadata.UserID}}
	if data, ok := s.render(e); ok {
		out.Data = data
	} else {
		out.DataBase64 = base64.StdEncoding.EncodeToString(e.Payload)
	}
	return out
}

// render decodes the payload and renders it as JSON with its secrets redacted.
func (s GRPC) render(e es.RecordedEvent) (*structpb.Struct, bool) {
	m, err := s.Events.Decode(e)
	if err != nil {
		return nil, false
	}
	b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return nil, false
	}
	var data structpb.Struct
	if err := protojson.Unmarshal(b, &data); err != nil {
		return nil, false
	}
	redact(data.Fields)
	return &data, true
}

// Redacted replaces the values of secret fields in rendered events.
const Redacted = "[redacted]"

// redact replaces, at any depth, the values of fields whose names say they hold a secret
// (password hashes, reset and session token hashes): operators see that they are set, not
// what they are.
func redact(fields map[string]*structpb.Value) {
	for k, v := range fields {
		name := strings.ToLower(k)
		if strings.Contains(name, "password") || strings.Contains(name, "secret") || strings.Contains(name, "token") {
			fields[k] = structpb.NewStringValue(Redacted)
			continue
		}
		redactValue(v)
	}
}

func redactValue(v *structpb.Value) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StructValue:
		redact(k.StructValue.GetFields())
	case *structpb.Value_ListValue:
		for _, item := range k.ListValue.GetValues() {
			redactValue(item)
		}
	}
}

// traceID is the trace id of a W3C traceparent ("00-<trace id>-<span id>-<flags>").
func traceID(traceparent string) string {
	parts := strings.Split(traceparent, "-")
	if len(parts) != 4 || len(parts[1]) != 32 {
		return ""
	}
	return parts[1]
}

// deadLetter renders a dead letter with its event.
func (s GRPC) deadLetter(p projector.ParkedEvent) *operationsv1.DeadLetter {
	ev, err := natsbus.Decode(p.Headers(), p.Payload)
	if err != nil { // an undecodable envelope: what the parking lot knows
		ev = es.RecordedEvent{ID: p.EventID, StreamID: p.StreamID, Version: p.Version, Type: p.Type, SchemaVersion: p.SchemaVersion,
			Payload: p.Payload}
	}
	rendered := s.event(contextOf(p), ev)
	return &operationsv1.DeadLetter{Id: strconv.FormatInt(p.ID, 10), Projection: p.Projection, Event: rendered, Error: p.Error,
		Attempts: int32(p.Attempts), ParkedAt: rfc3339(p.ParkedAt), Reason: string(p.Reason), Requested: string(p.Requested)}
}

// contextOf is the context of a parked event: its subject's first token.
func contextOf(p projector.ParkedEvent) string {
	c, _, _ := strings.Cut(p.Subject, ".")
	return c
}
