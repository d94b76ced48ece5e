package reaction_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reaction"
)

// Operators' requests for a runner's dead letters: once the handler is fixed, a redriven
// event is handled again with its effect once (and resolved), a discarded one is resolved
// without being handled, and a parked timer redriven fires again.
func TestReaction_OperatorsRedriveAndDiscardDeadLetters(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var (
		broken atomic.Bool
		calls  counts
	)
	broken.Store(true)
	save := func(ctx context.Context, stream string, v int64) error {
		_, err := e.tallies.UpdateOrNew(ctx, "tally-"+stream, func(c *tally) error {
			m := wrapperspb.Int64(v)
			c.Record(m)
			return c.Apply(m)
		})
		return err
	}
	react := reaction.Reaction{Name: "mended", Context: e.context, Handle: func(ctx context.Context, ev es.RecordedEvent) error {
		calls.add(ev.ID.String())
		if broken.Load() {
			return errors.New("not yet fixed")
		}
		return save(ctx, ev.StreamID, 5)
	}}
	timers := map[string]reaction.TimerHandler{"expire": func(ctx context.Context, tm reaction.Timer) error {
		calls.add("timer")
		if broken.Load() {
			return errors.New("not yet fixed")
		}
		return save(ctx, tm.Key, 1)
	}}
	if err := reaction.Schedule(ctx, e.db.Pool, schema, reaction.Timer{ID: uuid.New(), Kind: "expire", Key: "late", DueAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	e.run(timers, react)
	redrive := e.publish("order-1", wrapperspb.Int64(1))
	discard := e.publish("order-2", wrapperspb.Int64(2))
	until(t, "two dead letters and a parked timer", func() bool {
		return len(e.parked("reaction:mended")) == 2 && len(e.parked("timer:expire")) == 1
	})
	ids := map[uuid.UUID]int64{}
	letters, _, err := projector.DeadLetters(ctx, e.db.Pool, projector.DeadLetterFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range letters {
		ids[l.EventID] = l.ID
	}
	var timerLetter int64
	for _, l := range letters {
		if l.Projection == "timer:expire" {
			timerLetter = l.ID
		}
	}
	before := calls.get(discard.ID.String())

	broken.Store(false)
	for id, a := range map[int64]projector.Action{ids[redrive.ID]: projector.ActionRedrive, ids[discard.ID]: projector.ActionDiscard,
		timerLetter: projector.ActionRedrive} {
		if err := projector.RequestDeadLetter(ctx, e.db.Pool, id, a, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	until(t, "every request carried out", func() bool {
		open, _, err := projector.DeadLetters(ctx, e.db.Pool, projector.DeadLetterFilter{Limit: 10})
		return err == nil && len(open) == 0
	})
	if got := e.total("tally-order-1"); got != 5 {
		t.Errorf("effect of the redriven event = %d, want 5 (once)", got)
	}
	if got, n := e.total("tally-order-2"), calls.get(discard.ID.String()); got != 0 || n != before {
		t.Errorf("the discarded event had an effect (%d) or was handled again (%d → %d)", got, before, n)
	}
	until(t, "the redriven timer fired", func() bool { return e.total("tally-late") == 1 })

	// A resolved dead letter takes no more requests.
	if err := projector.RequestDeadLetter(ctx, e.db.Pool, ids[redrive.ID], projector.ActionRedrive, time.Now()); !errors.Is(err, projector.ErrNoDeadLetter) {
		t.Errorf("a request for a resolved dead letter: %v, want ErrNoDeadLetter", err)
	}
	var resolutions []string
	rows, err := e.db.Pool.Query(ctx, `SELECT resolution FROM projector.parked ORDER BY resolution`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r string
		_ = rows.Scan(&r)
		resolutions = append(resolutions, r)
	}
	if fmt.Sprint(resolutions) != "[discarded redriven redriven]" {
		t.Errorf("resolutions %v", resolutions)
	}
}

// The handler runs in the event's trace: the message's W3C headers (lower-case, as the
// envelope writes them) are read, so the reaction's calls and saves join the user's trace.
func TestReaction_HandlerRunsInTheEventsTrace(t *testing.T) {
	e := newEnv(t)
	got := make(chan trace.SpanContext, 1)
	e.run(nil, reaction.Reaction{Name: "traced", Context: e.context, Handle: func(ctx context.Context, ev es.RecordedEvent) error {
		got <- trace.SpanContextFromContext(ctx)
		return nil
	}})
	const traceID, spanID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	payload, _ := proto.Marshal(wrapperspb.Int64(1))
	ev := es.RecordedEvent{ID: uuid.New(), StreamID: "order-t", Version: 1, Type: "google.protobuf.Int64Value", SchemaVersion: 1,
		Payload: payload, RecordedAt: time.Now().UTC(), Metadata: es.Metadata{TraceParent: "00-" + traceID + "-" + spanID + "-01"}}
	if _, err := e.nats.JS.PublishMsg(t.Context(), natsbus.Encode(natsbus.Subject(e.context, ev), ev)); err != nil {
		t.Fatal(err)
	}
	select {
	case sc := <-got:
		if sc.TraceID().String() != traceID || sc.SpanID().String() != spanID || !sc.IsRemote() {
			t.Errorf("handler's span context %v, want the event's trace %s", sc, traceID)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("not handled")
	}
}
