package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/testkit/natstest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/projections/catalog"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// plain hides ApplyBatch: the runtime then applies every event with Apply.
type plain struct{ projector.Projection }

// TestProjection_OnTheRuntime runs the projection on the projector runtime: first build
// from the store, live events from JetStream, then a rebuild into a new generation. The read
// schema's views hold what applying the store's events one by one gives, every time.
func TestProjection_OnTheRuntime(t *testing.T) {
	for _, batch := range []bool{true, false} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			t.Parallel()
			testOnTheRuntime(t, batch)
		})
	}
}

func testOnTheRuntime(t *testing.T, batch bool) {
	ctx := context.Background()
	db := pgtest.New(t, projector.Migrations())
	env := natstest.New(t)
	bc := env.Prefix + "_catalog"
	sc := natsbus.StreamConfig(bc, 1, time.Hour)
	if _, err := env.JS.CreateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	var p projector.Projection = catalog.NewForContext(bc)
	if !batch {
		p = plain{p}
	}
	rt, err := projector.New(projector.Config{Pool: db.Pool, JetStream: env.JS, Stores: map[string]es.LogReader{bc: store},
		BatchSize: 40, FetchWait: 100 * time.Millisecond, RebuildBatchSize: 25, GapDelay: 50 * time.Millisecond,
		RetryDelays: []time.Duration{10 * time.Millisecond}}, p)
	if err != nil {
		t.Fatal(err)
	}

	// record appends the history's events to the store, and publishes the public ones as the
	// relay does.
	published := 0
	record := func(h *history, publish bool) {
		t.Helper()
		for _, ev := range h.evs {
			_, err := store.Append(ctx, ev.StreamID, es.Exact(ev.Version-1), []es.EventData{{ID: ev.ID, Type: ev.Type,
				SchemaVersion: ev.SchemaVersion, Payload: ev.Payload}})
			if err != nil {
				t.Fatal(err)
			}
		}
		if !publish {
			return
		}
		var after es.Position
		all := []es.RecordedEvent{}
		for {
			evs, err := store.ReadAll(ctx, after, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			all = append(all, evs...)
			after = evs[len(evs)-1].Position
		}
		for _, ev := range all[published:] {
			if strings.HasPrefix(ev.StreamID, "reservation-") {
				continue // private: the relay does not publish them
			}
			if _, err := env.JS.PublishMsg(ctx, natsbus.Encode(natsbus.Subject(bc, ev), ev)); err != nil {
				t.Fatal(err)
			}
		}
		published = len(all)
	}
	// expected is the tables that applying every event of the store one by one gives.
	n := 0
	expected := func() string {
		t.Helper()
		n++
		schema := fmt.Sprintf("expected_%d", n)
		newGeneration(t, db.Pool, schema)
		var (
			after es.Position
			all   []es.RecordedEvent
		)
		for {
			evs, err := store.ReadAll(ctx, after, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			all, after = append(all, evs...), evs[len(evs)-1].Position
		}
		if err := applyEach(ctx, db.Pool, schema, all); err != nil {
			t.Fatal(err)
		}
		return dump(t, db.Pool, schema)
	}
	reaches := func(what, want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			got := ""
			if _, err := catalog.NewQueries(db.Pool).ListCategories(ctx); err == nil {
				got = dump(t, db.Pool, catalog.Name)
			}
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the read model never reached the expected tables (-want +got):\n%s", what, cmp.Diff(want, got))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Before Run: events in the store only (JetStream's retention may have dropped them).
	first := newHistory(t)
	first.category("computers", "Computers", "")
	first.category("keyboards", "Keyboards", "computers")
	for i := range 30 {
		lifecycle(first, productID(i), "keyboards", i)
	}
	record(first, false)
	published = len(first.evs)

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	reaches("first build", expected())

	// Live: new events, private reservation streams included in the store.
	second := newHistory(t)
	second.category("books", "Books", "")
	for i := 30; i < 60; i++ {
		lifecycle(second, productID(i), "books", i)
	}
	second.add("reservation-order-1", privateEvent())
	record(second, true)
	reaches("live", expected())

	before, err := rt.Progress(ctx, catalog.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Rebuild(ctx, catalog.Name); err != nil {
		t.Fatal(err)
	}
	after, err := rt.Progress(ctx, catalog.Name)
	if err != nil {
		t.Fatal(err)
	}
	if after.ActiveGeneration != before.ActiveGeneration+1 || after.State != projector.StateLive {
		t.Fatalf("after the rebuild: %+v (before: %+v)", after, before)
	}
	reaches("rebuild", expected())
	parked, err := rt.Parked(ctx, catalog.Name)
	if err != nil || len(parked) != 0 {
		t.Fatalf("parked events: %v, %v", parked, err)
	}
	if !errors.Is(rt.Rebuild(ctx, "nope"), projector.ErrUnknownProjection) {
		t.Fatal("rebuild of an unknown projection")
	}
}

func privateEvent() *catalogv1.OrderReservationRequested {
	return &catalogv1.OrderReservationRequested{OrderId: "order-1",
		Lines: []*catalogv1.OrderReservationLine{{ProductId: productID(30), Quantity: 1}}}
}
