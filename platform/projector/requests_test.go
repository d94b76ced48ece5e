package projector_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/projector"
)

// Operators' requests, carried out by the running runtime: a redrive of a poison event that
// still fails keeps it parked (one attempt more); once the handler is fixed, a redrive
// applies it and the events parked behind it, and the stream flows live again; a discard
// moves the stream past its event; a requested rebuild switches a new generation in.
func TestRequests_RedriveDiscardRebuild(t *testing.T) { inBothApplyModes(t, testRequests) }

func testRequests(t *testing.T, batch bool) {
	h := newHarness(t, []string{"catalog"})
	h.cfg.RequestInterval = 50 * time.Millisecond
	bc := h.ctx("catalog")
	proj := newCounter(bc)
	proj.blind = true // counts what it is given: a discarded event leaves a gap
	rt := h.runtime(proj.as(batch))
	h.startBuilt(rt, "counts")
	ctx := context.Background()

	bad := h.appendEvents(bc, "product-bad", 5, changedType, es.Metadata{})
	other := h.appendEvents(bc, "product-other", 3, changedType, es.Metadata{})
	proj.poison(bad[2].ID)
	proj.poison(other[0].ID)
	h.publish(bc, bad...)
	h.publish(bc, other...)
	parkedOf := func(stream string) []projector.ParkedEvent {
		t.Helper()
		all, _, err := projector.DeadLetters(ctx, h.db.Pool, projector.DeadLetterFilter{Consumer: "counts", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var out []projector.ParkedEvent
		for _, e := range all {
			if e.StreamID == stream {
				out = append(out, e)
			}
		}
		return out
	}
	eventually(t, 15*time.Second, "poison events and their successors parked", func() (bool, string) {
		b, o := parkedOf("product-bad"), parkedOf("product-other")
		return len(b) == 3 && len(o) == 3, fmt.Sprintf("%d and %d parked", len(b), len(o))
	})
	head := parkedOf("product-bad")[0]

	// Still poisoned: the redrive fails, the event stays parked, one attempt more.
	if err := projector.RequestDeadLetter(ctx, h.db.Pool, head.ID, projector.ActionRedrive, time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the failed redrive recorded", func() (bool, string) {
		e, err := projector.DeadLetterByID(ctx, h.db.Pool, head.ID)
		return err == nil && e.Attempts == 2 && e.Requested == "", fmt.Sprintf("%+v %v", e, err)
	})
	h.countsReach("counts", map[string][2]int64{"product-bad": {2, 2}}, 5*time.Second)

	// Fixed: the redrive applies it and the two behind it.
	proj.cure(bad[2].ID)
	if err := projector.RequestDeadLetter(ctx, h.db.Pool, head.ID, projector.ActionRedrive, time.Now()); err != nil {
		t.Fatal(err)
	}
	h.countsReach("counts", map[string][2]int64{"product-bad": {5, 5}}, 15*time.Second)
	if p := parkedOf("product-bad"); len(p) != 0 {
		t.Errorf("still parked after the redrive: %+v", p)
	}
	if _, err := projector.DeadLetterByID(ctx, h.db.Pool, head.ID); err == nil {
		t.Error("the redriven dead letter is still unresolved")
	}
	// The stream flows live again.
	h.publish(bc, h.appendEvents(bc, "product-bad", 1, changedType, es.Metadata{})...)
	h.countsReach("counts", map[string][2]int64{"product-bad": {6, 6}}, 15*time.Second)

	// Discarding the other stream's poison event moves the stream past it; the two behind it
	// are applied (a request behind the head waits for it, so discard the head).
	otherHead := parkedOf("product-other")[0]
	if err := projector.RequestDeadLetter(ctx, h.db.Pool, otherHead.ID, projector.ActionDiscard, time.Now()); err != nil {
		t.Fatal(err)
	}
	h.countsReach("counts", map[string][2]int64{"product-bad": {6, 6}, "product-other": {2, 3}}, 15*time.Second)
	if err := projector.RequestDeadLetter(ctx, h.db.Pool, otherHead.ID, projector.ActionRedrive, time.Now()); err == nil {
		t.Error("a request for a discarded dead letter was accepted")
	}

	// A requested rebuild switches a new generation in.
	before, err := rt.Progress(ctx, "counts")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := projector.RequestRebuild(ctx, h.db.Pool, "counts", time.Now()); err != nil || !ok {
		t.Fatalf("request a rebuild: %v %v", ok, err)
	}
	eventually(t, 15*time.Second, "the requested rebuild switched in", func() (bool, string) {
		p, err := rt.Progress(ctx, "counts")
		return err == nil && p.ActiveGeneration == before.ActiveGeneration+1 && p.State == projector.StateLive, fmt.Sprint(p, err)
	})
	ov, err := projector.Overviews(ctx, h.db.Pool)
	if err != nil || len(ov) != 1 || ov[0].RebuildPending() || len(ov[0].Contexts) != 1 || ov[0].Contexts[0] != bc {
		t.Errorf("overviews after the rebuild: %+v %v", ov, err)
	}
	if ok, _ := projector.RequestRebuild(ctx, h.db.Pool, "nope", time.Now()); ok {
		t.Error("a rebuild of an unknown projection was recorded")
	}
}
