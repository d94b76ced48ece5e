package reaction_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reaction"
	"github.com/storefront/storefront/platform/testkit/natstest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

// The reacting context's schema in each test's database.
const schema = "reacting"

// tally is the reacting context's aggregate: Int64Value events add to its total.
type tally struct {
	aggregate.Changes
	id    string
	total int64
}

func (c *tally) StreamID() string { return c.id }
func (c *tally) Apply(e proto.Message) error {
	c.total += e.(*wrapperspb.Int64Value).GetValue()
	return nil
}

// env is a reacting context: its event store, the other context's JetStream stream, and
// the dead letters.
type env struct {
	t       *testing.T
	db      *pgtest.DB
	nats    *natstest.Env
	context string
	tallies *aggregate.Store[*tally]
	seq     map[string]int64
	meter   *sdkmetric.MeterProvider
	reader  *sdkmetric.ManualReader
}

// metric is the value of an int64 counter or gauge of the runner's for one reaction.
func (e *env) metric(name, reaction string) int64 {
	e.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(context.Background(), &rm); err != nil {
		e.t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			var points []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				points = d.DataPoints
			case metricdata.Gauge[int64]:
				points = d.DataPoints
			}
			for _, p := range points {
				if v, ok := p.Attributes.Value("reaction"); ok && v.AsString() == reaction {
					return p.Value
				}
			}
		}
	}
	return -1
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t, projector.Migrations(), postgres.Migrations(schema), reaction.Migrations(schema))
	n := natstest.New(t)
	e := &env{t: t, db: db, nats: n, context: n.Prefix + "_orders", seq: map[string]int64{}, reader: sdkmetric.NewManualReader()}
	e.meter = sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader))
	n.CreateStream(t, natsbus.StreamConfig(e.context, 1, time.Hour))
	store, err := postgres.New(db.Pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	e.tallies = aggregate.NewStore(store, events.NewRegistry().Register(&wrapperspb.Int64Value{}), func(id string) *tally { return &tally{id: id} },
		aggregate.WithRetries(100))
	return e
}

// publish publishes an event of the other context as its relay would, and returns it.
func (e *env) publish(stream string, m proto.Message) es.RecordedEvent {
	e.t.Helper()
	payload, err := proto.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	e.seq[stream]++
	ev := es.RecordedEvent{ID: uuid.New(), StreamID: stream, Version: e.seq[stream], Type: string(m.ProtoReflect().Descriptor().FullName()),
		SchemaVersion: 1, Payload: payload, RecordedAt: time.Now().UTC(), Metadata: es.Metadata{CorrelationID: "corr-" + stream}}
	if _, err := e.nats.JS.PublishMsg(e.t.Context(), natsbus.Encode(natsbus.Subject(e.context, ev), ev)); err != nil {
		e.t.Fatal(err)
	}
	return ev
}

// run starts a runner until the returned stop is called (or the test ends).
func (e *env) run(timers map[string]reaction.TimerHandler, reactions ...reaction.Reaction) (stop func()) {
	e.t.Helper()
	r, err := reaction.New(reaction.Config{JetStream: e.nats.JS, DB: e.db.Pool, Schema: schema, FetchWait: 100 * time.Millisecond, Meter: e.meter,
		PollInterval: 20 * time.Millisecond, RequestInterval: 20 * time.Millisecond, RetryDelays: []time.Duration{20 * time.Millisecond, 40 * time.Millisecond}}, reactions...)
	if err != nil {
		e.t.Fatal(err)
	}
	for kind, h := range timers {
		r.HandleTimers(kind, h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.t.Errorf("Run: %v", err)
			}
		})
	}
	e.t.Cleanup(stop)
	return stop
}

func (e *env) total(stream string) int64 {
	e.t.Helper()
	c, err := e.tallies.Load(context.Background(), stream)
	if err != nil && !errors.Is(err, aggregate.ErrNotFound) {
		e.t.Fatal(err)
	}
	return c.total
}

// parked returns the open dead letters of a consumer, by event id.
func (e *env) parked(consumer string) map[uuid.UUID]string {
	e.t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT event_id, reason FROM projector.parked WHERE projection = $1`, consumer)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[uuid.UUID]string{}
	for rows.Next() {
		var id uuid.UUID
		var reason string
		if err := rows.Scan(&id, &reason); err != nil {
			e.t.Fatal(err)
		}
		out[id] = reason
	}
	return out
}

// until waits for cond, failing the test after 15 s.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// counts counts calls per key, safely.
type counts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counts) add(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[k]++
	return c.n[k]
}

func (c *counts) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

// Every event has its effect once, also when its handling failed after saving (as a crash
// between the effect and the ack would) and JetStream delivered it again.
func TestReaction_EffectOnceThroughRedeliveries(t *testing.T) {
	e := newEnv(t)
	var calls counts
	handled := make(chan struct{}, 100)
	e.run(nil, reaction.Reaction{Name: "tally", Context: e.context, Handle: func(ctx context.Context, ev es.RecordedEvent) error {
		var v wrapperspb.Int64Value
		if err := proto.Unmarshal(ev.Payload, &v); err != nil {
			return fmt.Errorf("%w: %v", reaction.ErrPermanent, err)
		}
		_, err := e.tallies.UpdateOrNew(ctx, "tally-"+ev.StreamID, func(c *tally) error { c.Record(&v); return c.Apply(&v) })
		if err != nil && !errors.Is(err, aggregate.ErrAlreadySaved) { // already saved: a redelivery
			return err
		}
		if calls.add(ev.ID.String()) == 1 && v.GetValue()%2 == 0 {
			return errors.New("crashed after the save")
		}
		handled <- struct{}{}
		return nil
	}})
	want := map[string]int64{}
	for i := range 30 {
		stream := fmt.Sprintf("order-%d", i%3)
		e.publish(stream, wrapperspb.Int64(int64(i)))
		want["tally-"+stream] += int64(i)
	}
	for range 30 {
		select {
		case <-handled:
		case <-time.After(15 * time.Second):
			t.Fatal("not every event was handled")
		}
	}
	for stream, w := range want {
		if got := e.total(stream); got != w {
			t.Errorf("%s = %d, want %d (each event once)", stream, got, w)
		}
	}
	if p := e.parked("reaction:tally"); len(p) != 0 {
		t.Fatalf("parked: %v", p)
	}
}

// A handler that keeps failing is retried with the delays, then its event is parked and
// acknowledged; a permanent failure is parked at once; other events keep flowing, and events
// of other types never reach the handler.
func TestReaction_RetriesThenParks(t *testing.T) {
	e := newEnv(t)
	var calls counts
	poison, permanent := uuid.Nil, uuid.Nil
	var mu sync.Mutex
	e.run(nil, reaction.Reaction{Name: "picky", Context: e.context, Types: []string{"google.protobuf.Int64Value"},
		Handle: func(ctx context.Context, ev es.RecordedEvent) error {
			calls.add(ev.ID.String())
			calls.add("all")
			mu.Lock()
			defer mu.Unlock()
			switch ev.ID {
			case poison:
				return errors.New("always fails")
			case permanent:
				return fmt.Errorf("%w: cannot be handled", reaction.ErrPermanent)
			}
			return nil
		}})
	mu.Lock()
	poison = e.publish("order-1", wrapperspb.Int64(1)).ID
	permanent = e.publish("order-2", wrapperspb.Int64(2)).ID
	mu.Unlock()
	e.publish("order-3", wrapperspb.String("not for this reaction"))
	fine := e.publish("order-3", wrapperspb.Int64(3)).ID
	until(t, "two dead letters", func() bool { return len(e.parked("reaction:picky")) == 2 })
	p := e.parked("reaction:picky")
	if p[poison] != string(projector.ReasonHandlerFailed) || p[permanent] != string(projector.ReasonUnknownEvent) {
		t.Fatalf("dead letters %v", p)
	}
	until(t, "the good event", func() bool { return calls.get(fine.String()) == 1 })
	time.Sleep(200 * time.Millisecond) // longer than every retry delay: a parked event is not delivered again
	if n := calls.get(poison.String()); n != 3 {
		t.Errorf("the failing event was handled %d times, want 3 (first delivery and two retries)", n)
	}
	if n := calls.get(permanent.String()); n != 1 {
		t.Errorf("the permanent failure was handled %d times, want 1", n)
	}
	if n := calls.get("all"); n != 5 {
		t.Errorf("the handler ran %d times, want 5 (the String event is not its type)", n)
	}
	// The metrics the alerts watch: two parked, nothing left unsettled.
	if n := e.metric(reaction.MetricParked, "picky"); n != 2 {
		t.Errorf("%s = %d, want 2", reaction.MetricParked, n)
	}
	until(t, "the consumer settled", func() bool { return e.metric(reaction.MetricPending, "picky") == 0 })
}

// The consumer is durable: a runner started after another stopped goes on where it left off.
func TestReaction_DurableAcrossRestarts(t *testing.T) {
	e := newEnv(t)
	var calls counts
	react := reaction.Reaction{Name: "durable", Context: e.context, Handle: func(ctx context.Context, ev es.RecordedEvent) error {
		calls.add(ev.ID.String())
		calls.add("all")
		return nil
	}}
	stop := e.run(nil, react)
	for i := range 10 {
		e.publish("order-1", wrapperspb.Int64(int64(i)))
	}
	until(t, "the first ten", func() bool { return calls.get("all") == 10 })
	stop()
	var later []uuid.UUID
	for i := range 10 {
		later = append(later, e.publish("order-1", wrapperspb.Int64(int64(i))).ID)
	}
	e.run(nil, react)
	until(t, "the next ten", func() bool { return calls.get("all") == 20 })
	for _, id := range later {
		if calls.get(id.String()) != 1 {
			t.Fatalf("event %s handled %d times", id, calls.get(id.String()))
		}
	}
}

// A timer fires once when it is due, also when the runner that saw it scheduled stopped
// before then; a failing timer is retried with its effect once, then parked when it keeps
// failing; scheduling the same timer again changes nothing.
func TestTimers_FireAfterRestartsOnceEach(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var calls counts
	handlers := map[string]reaction.TimerHandler{
		"expire": func(ctx context.Context, tm reaction.Timer) error {
			n := calls.add(tm.Key)
			_, err := e.tallies.UpdateOrNew(ctx, "tally-"+tm.Key, func(c *tally) error {
				v := wrapperspb.Int64(1)
				c.Record(v)
				return c.Apply(v)
			})
			if err != nil {
				return err
			}
			if tm.Key == "flaky" && n == 1 {
				return errors.New("crashed after the save")
			}
			return nil
		},
		"broken": func(context.Context, reaction.Timer) error { calls.add("broken"); return errors.New("always fails") },
	}
	event := uuid.New()
	soon := reaction.Timer{ID: reaction.TimerID(event, "expire"), Kind: "expire", Key: "later", DueAt: time.Now().Add(600 * time.Millisecond)}
	for _, tm := range []reaction.Timer{soon, soon,
		{ID: uuid.New(), Kind: "expire", Key: "flaky", DueAt: time.Now().Add(-time.Second)},
		// Due after the restart: a runner stopped while firing it would fire it again.
		{ID: uuid.New(), Kind: "broken", Key: "broken", DueAt: time.Now().Add(700 * time.Millisecond)},
		{ID: uuid.New(), Kind: "nobody", Key: "nobody", DueAt: time.Now()},
	} {
		if err := reaction.Schedule(ctx, e.db.Pool, schema, tm); err != nil {
			t.Fatal(err)
		}
	}
	stop := e.run(handlers)
	until(t, "the flaky timer", func() bool { return calls.get("flaky") == 2 })
	stop() // before "later" is due
	if calls.get("later") != 0 {
		t.Fatal("the timer fired early")
	}
	e.run(handlers)
	until(t, "the later timer", func() bool { return calls.get("later") == 1 })
	until(t, "the broken timer parked", func() bool { return len(e.parked("timer:broken")) == 1 })
	time.Sleep(200 * time.Millisecond)
	if got := []int64{e.total("tally-later"), e.total("tally-flaky")}; got[0] != 1 || got[1] != 1 {
		t.Fatalf("effects of later, flaky = %v, want 1 each", got)
	}
	if n := calls.get("later"); n != 1 {
		t.Fatalf("the later timer fired %d times", n)
	}
	if n := calls.get("broken"); n != 3 {
		t.Fatalf("the broken timer ran %d times, want 3 (first and two retries)", n)
	}
	// The timer of a kind no handler serves is left for a runner that has one.
	var left []string
	rows, err := e.db.Pool.Query(ctx, `SELECT kind FROM `+schema+`.reaction_timers`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		left = append(left, k)
	}
	if len(left) != 1 || left[0] != "nobody" || len(e.parked("timer:nobody")) != 0 {
		t.Fatalf("timers left: %v", left)
	}
	if err := reaction.Cancel(ctx, e.db.Pool, schema, soon.ID); err != nil {
		t.Fatal(err)
	}
}

// Two reactions to one event that save the same stream each have their effect once.
func TestReaction_TwoReactionsToOneEventEachHaveTheirEffect(t *testing.T) {
	e := newEnv(t)
	var calls counts
	add := func(name string) reaction.Reaction {
		return reaction.Reaction{Name: name, Context: e.context, Handle: func(ctx context.Context, ev es.RecordedEvent) error {
			_, err := e.tallies.UpdateOrNew(ctx, "tally-shared", func(c *tally) error {
				v := wrapperspb.Int64(1)
				c.Record(v)
				return c.Apply(v)
			})
			if err == nil {
				calls.add("done")
			}
			return err
		}}
	}
	e.run(nil, add("first"), add("second"))
	e.publish("order-1", wrapperspb.Int64(1))
	until(t, "both reactions", func() bool { return calls.get("done") == 2 })
	if got := e.total("tally-shared"); got != 2 {
		t.Fatalf("total %d, want 2 (one effect per reaction)", got)
	}
}

// TestReaction_ConcurrencyKeepsEachStreamInOrder: with Concurrency 4, events of different
// streams are handled at once, and each stream's events one after the other, in order.
func TestReaction_ConcurrencyKeepsEachStreamInOrder(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	running, most := 0, 0
	last := map[string]int64{}
	done := make(chan struct{}, 200)
	e.run(nil, reaction.Reaction{Name: "parallel", Context: e.context, Concurrency: 4, Handle: func(ctx context.Context, ev es.RecordedEvent) error {
		mu.Lock()
		running++
		most = max(most, running)
		if ev.Version != last[ev.StreamID]+1 {
			t.Errorf("stream %s: version %d after %d", ev.StreamID, ev.Version, last[ev.StreamID])
		}
		last[ev.StreamID] = ev.Version
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
		done <- struct{}{}
		return nil
	}})
	for i := range 120 {
		e.publish(fmt.Sprintf("order-%d", i%12), wrapperspb.Int64(int64(i)))
	}
	for range 120 {
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Fatal("not every event was handled")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if most < 2 {
		t.Fatalf("at most %d handled at once", most)
	}
}
