package aggregate_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/reqctx"
)

// counter is a toy aggregate: a StringValue event names it (claiming the name), Int64Value
// events add to its total, and an Int32Value message is its snapshot.
type counter struct {
	aggregate.Changes
	id    string
	name  string
	total int64
}

func newCounter(id string) *counter { return &counter{id: id} }

func (c *counter) StreamID() string { return c.id }

func (c *counter) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *wrapperspb.StringValue:
		c.name = e.GetValue()
	case *wrapperspb.Int64Value:
		c.total += e.GetValue()
	default:
		return errors.New("unknown event")
	}
	return nil
}

func (c *counter) record(e proto.Message) {
	if n, ok := e.(*wrapperspb.StringValue); ok {
		if c.name != "" && c.name != n.GetValue() {
			c.Release("counter.name", c.name)
		}
		c.Claim("counter.name", n.GetValue())
	}
	_ = c.Apply(e)
	c.Record(e)
}

func (c *counter) Snapshot() (proto.Message, error) { return wrapperspb.Int32(int32(c.total)), nil }

func (c *counter) Restore(m proto.Message) error {
	c.total = int64(m.(*wrapperspb.Int32Value).GetValue())
	return nil
}

func registry() *events.Registry {
	return events.NewRegistry().Register(&wrapperspb.StringValue{}, &wrapperspb.Int64Value{}, &wrapperspb.Int32Value{})
}

func TestSaveLoad_RebuildsStateAndTracksVersion(t *testing.T) {
	ctx := context.Background()
	s := aggregate.NewStore(memstore.New(), registry(), newCounter)
	c := newCounter("counter-1")
	c.record(wrapperspb.String("alpha"))
	c.record(wrapperspb.Int64(2))
	c.record(wrapperspb.Int64(3))
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.Version() != 3 || len(c.Pending()) != 0 {
		t.Fatalf("after save: version %d, pending %d", c.Version(), len(c.Pending()))
	}
	got, err := s.Load(ctx, "counter-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.name != "alpha" || got.total != 5 || got.Version() != 3 {
		t.Fatalf("loaded %+v", got)
	}
	if _, err := s.Load(ctx, "counter-none"); !errors.Is(err, aggregate.ErrNotFound) {
		t.Fatalf("load of an empty stream: %v", err)
	}
}

func TestSave_StaleVersionConflictsAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	s := aggregate.NewStore(store, registry(), newCounter)
	c := newCounter("counter-1")
	c.record(wrapperspb.Int64(1))
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Load(ctx, "counter-1")
	b, _ := s.Load(ctx, "counter-1")
	a.record(wrapperspb.Int64(10))
	b.record(wrapperspb.Int64(100))
	if err := s.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, b); !errors.Is(err, es.ErrConcurrency) {
		t.Fatalf("stale save: %v, want ErrConcurrency", err)
	}
	got, _ := s.Load(ctx, "counter-1")
	if got.total != 11 {
		t.Fatalf("total = %d, want 11 (the stale save wrote something)", got.total)
	}
}

func TestUpdate_RetriesConflictsSoNoIncrementIsLost(t *testing.T) {
	ctx := context.Background()
	s := aggregate.NewStore(memstore.New(), registry(), newCounter, aggregate.WithRetries(100))
	c := newCounter("counter-1")
	c.record(wrapperspb.Int64(0))
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := s.Update(ctx, "counter-1", func(c *counter) error { c.record(wrapperspb.Int64(1)); return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := s.Load(ctx, "counter-1")
	if got.total != 16 {
		t.Fatalf("total = %d, want 16", got.total)
	}
}

func TestUpdate_DecideErrorSavesNothing(t *testing.T) {
	ctx := context.Background()
	s := aggregate.NewStore(memstore.New(), registry(), newCounter)
	c := newCounter("counter-1")
	c.record(wrapperspb.Int64(1))
	_ = s.Save(ctx, c)
	refused := errors.New("refused")
	if _, err := s.Update(ctx, "counter-1", func(c *counter) error { c.record(wrapperspb.Int64(5)); return refused }); !errors.Is(err, refused) {
		t.Fatalf("Update error = %v", err)
	}
	got, _ := s.Load(ctx, "counter-1")
	if got.total != 1 {
		t.Fatalf("total = %d, want 1", got.total)
	}
}

func TestSave_ClaimsFromEventsAreUniqueAndReleasedOnRename(t *testing.T) {
	ctx := context.Background()
	s := aggregate.NewStore(memstore.New(), registry(), newCounter)
	a := newCounter("counter-a")
	a.record(wrapperspb.String("shared"))
	if err := s.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	b := newCounter("counter-b")
	b.record(wrapperspb.String("shared"))
	if err := s.Save(ctx, b); !errors.Is(err, es.ErrDuplicate) {
		t.Fatalf("second claim of a name: %v, want ErrDuplicate", err)
	}
	// a renames itself, freeing "shared" for b.
	if _, err := s.Update(ctx, "counter-a", func(c *counter) error { c.record(wrapperspb.String("other")); return nil }); err != nil {
		t.Fatal(err)
	}
	b = newCounter("counter-b")
	b.record(wrapperspb.String("shared"))
	if err := s.Save(ctx, b); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
}

// countingStore counts the events read, to show that a snapshot shortens loading.
type countingStore struct {
	*memstore.Store
	read int
}

func (c *countingStore) ReadStream(ctx context.Context, stream string, from int64, max int) ([]es.RecordedEvent, error) {
	evs, err := c.Store.ReadStream(ctx, stream, from, max)
	c.read += len(evs)
	return evs, err
}

func TestSnapshots_LoadReadsOnlyEventsAfterTheSnapshot(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New()
	cs := &countingStore{Store: mem}
	s := aggregate.NewStore(cs, registry(), newCounter, aggregate.WithSnapshots(mem, 10))
	c := newCounter("counter-1")
	for range 25 {
		c.record(wrapperspb.Int64(1))
		if err := s.Save(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cs.read = 0
	got, err := s.Load(ctx, "counter-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.total != 25 || got.Version() != 25 {
		t.Fatalf("loaded total %d version %d", got.total, got.Version())
	}
	if cs.read != 5 {
		t.Fatalf("read %d events, want the 5 after the snapshot at 20", cs.read)
	}
}

func TestSave_RecordsRequestMetadataAndTraceContext(t *testing.T) {
	store := memstore.New()
	prop := propagation.TraceContext{}
	s := aggregate.NewStore(store, registry(), newCounter, aggregate.WithPropagator(prop))
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "command")
	defer span.End()
	ctx = reqctx.With(ctx, reqctx.Info{Actor: reqctx.Actor{UserID: "user-7"}, CorrelationID: "req-1", CausationID: "cmd-1"})
	c := newCounter("counter-1")
	c.record(wrapperspb.Int64(1))
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	evs, _ := store.ReadStream(context.Background(), "counter-1", 1, 10)
	md := evs[0].Metadata
	wantTrace := "00-" + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + "-01"
	if md.UserID != "user-7" || md.CorrelationID != "req-1" || md.CausationID != "cmd-1" || md.TraceParent != wantTrace {
		t.Fatalf("metadata = %+v, want trace %s", md, wantTrace)
	}
}

func TestUpdateOrNew_StartsTheStreamOnceUnderConcurrentFirstWriters(t *testing.T) {
	ctx := context.Background()
	s := aggregate.NewStore(memstore.New(), registry(), newCounter, aggregate.WithRetries(100))
	if _, err := s.Update(ctx, "counter-new", func(c *counter) error { return nil }); !errors.Is(err, aggregate.ErrNotFound) {
		t.Fatalf("Update of a stream without events: %v, want ErrNotFound", err)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := s.UpdateOrNew(ctx, "counter-new", func(c *counter) error { c.record(wrapperspb.Int64(1)); return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.Load(ctx, "counter-new")
	if err != nil || got.total != 16 || got.Version() != 16 {
		t.Fatalf("total = %d at version %d (%v), want 16 at 16", got.total, got.Version(), err)
	}
}

// A handling repeated under the same cause appends nothing again, however many conflicts
// either handling met; another cause, or no cause, appends.
func TestCausedBy_ARepeatedHandlingSavesOnce(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	s := aggregate.NewStore(store, registry(), newCounter, aggregate.WithRetries(100))
	cause := uuid.New()
	handle := func(conflicts int) error {
		ctx := aggregate.CausedBy(ctx, cause)
		n := 0
		for _, stream := range []string{"counter-a", "counter-a", "counter-b"} {
			_, err := s.UpdateOrNew(ctx, stream, func(c *counter) error {
				if n < conflicts { // another writer gets in first
					n++
					if _, err := s.UpdateOrNew(context.Background(), stream, func(c *counter) error { c.record(wrapperspb.Int64(100)); return nil }); err != nil {
						return err
					}
				}
				c.record(wrapperspb.Int64(1))
				return nil
			})
			if err != nil && !errors.Is(err, aggregate.ErrAlreadySaved) {
				return err
			}
		}
		return nil
	}
	if err := handle(2); err != nil {
		t.Fatal(err)
	}
	if err := handle(0); err != nil { // redelivered
		t.Fatal(err)
	}
	if err := handle(1); err != nil { // and again
		t.Fatal(err)
	}
	a, _ := s.Load(ctx, "counter-a")
	b, _ := s.Load(ctx, "counter-b")
	if a.total != 300+2 || b.total != 1 { // three writes of 100 by others
		t.Fatalf("effects: a %d (300 by others), b %d; want the cause's 2 and 1 once", a.total, b.total)
	}
	if _, err := s.UpdateOrNew(aggregate.CausedBy(ctx, uuid.New()), "counter-b", func(c *counter) error { c.record(wrapperspb.Int64(1)); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateOrNew(ctx, "counter-b", func(c *counter) error { c.record(wrapperspb.Int64(1)); return nil }); err != nil {
		t.Fatal(err)
	}
	if b, _ = s.Load(ctx, "counter-b"); b.total != 3 {
		t.Fatalf("b = %d after another cause and no cause, want 3", b.total)
	}
}

// A repeated handling that decides nothing at a step it already made (an idempotent step)
// still reaches the steps after it with their own ids.
func TestCausedBy_AnEmptySaveKeepsTheLaterSavesIDs(t *testing.T) {
	ctx := context.Background()
	s := aggregate.NewStore(memstore.New(), registry(), newCounter)
	cause := uuid.New()
	handle := func(crash bool) error {
		ctx := aggregate.CausedBy(ctx, cause)
		// Step 1, idempotent: adds 1 only once.
		if _, err := s.UpdateOrNew(ctx, "counter-x", func(c *counter) error {
			if c.total == 0 {
				c.record(wrapperspb.Int64(1))
			}
			return nil
		}); err != nil {
			return err
		}
		if crash {
			return errors.New("crash")
		}
		// Step 2.
		_, err := s.UpdateOrNew(ctx, "counter-x", func(c *counter) error { c.record(wrapperspb.Int64(10)); return nil })
		return err
	}
	if err := handle(true); err == nil {
		t.Fatal("no crash")
	}
	if err := handle(false); err != nil {
		t.Fatal(err)
	}
	if err := handle(false); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Load(ctx, "counter-x"); c.total != 11 {
		t.Fatalf("total %d, want 11 (step 1 once, step 2 once)", c.total)
	}
}
