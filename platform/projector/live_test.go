package projector_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/projector"
)

func TestLive_CountsEventsPerStream(t *testing.T) { inBothApplyModes(t, testLiveCountsEventsPerStream) }

func testLiveCountsEventsPerStream(t *testing.T, batch bool) {
	h := newHarness(t, []string{"catalog"})
	bc := h.ctx("catalog")
	traceID, spanID := "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	meta := es.Metadata{TraceParent: "00-" + traceID + "-" + spanID + "-01", CorrelationID: "corr-1"}
	proj := newCounter(bc)
	rt := h.runtime(proj.as(batch))
	stop := h.startBuilt(rt, "counts")
	for i := range 3 {
		h.publish(bc, h.appendEvents(bc, fmt.Sprintf("product-%d", i), 7, changedType, meta)...)
	}
	h.countsReach("counts", h.expectedCounts(), 15*time.Second)

	// More events after the start flow too.
	h.publish(bc, h.appendEvents(bc, "product-0", 2, changedType, meta)...)
	h.countsReach("counts", h.expectedCounts(), 15*time.Second)

	if n := proj.batches.Load(); batch != (n > 0) {
		t.Errorf("ApplyBatch called %d times, want calls only for a BatchProjection", n)
	}
	if got := h.counter("projector.events.applied", map[string]string{"projection": "counts", "mode": "live"}); got != 23 {
		t.Errorf("events applied metric = %d, want 23", got)
	}
	eventually(t, 10*time.Second, "consumer lag recorded as 0", func() (bool, string) {
		p, err := rt.Progress(context.Background(), "counts")
		if err != nil {
			return false, err.Error()
		}
		return p.State == projector.StateLive && p.ActiveGeneration == 1 && p.Lag == 0 && !p.UpdatedAt.IsZero(), fmt.Sprintf("%+v", p)
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// Every apply span continues the trace of its event.
	var continued int
	for _, s := range h.spans.Ended() {
		if strings.HasPrefix(s.Name(), "projector.apply") {
			if s.SpanContext().TraceID().String() != traceID || s.Parent().SpanID().String() != spanID || !s.Parent().IsRemote() {
				t.Errorf("span %s: trace %s parent %s, want trace %s parent %s", s.Name(),
					s.SpanContext().TraceID(), s.Parent().SpanID(), traceID, spanID)
			}
			continued++
		}
	}
	if continued < 23 {
		t.Errorf("%d apply spans, want ≥ 23", continued)
	}
}

func TestLive_CrashAfterCommitBeforeAck_AppliesEachEventOnce(t *testing.T) {
	inBothApplyModes(t, testLiveCrashAfterCommitBeforeAckAppliesEachEventOnce)
}

func testLiveCrashAfterCommitBeforeAckAppliesEachEventOnce(t *testing.T, batch bool) {
	h := newHarness(t, []string{"catalog"})
	bc := h.ctx("catalog")

	// The first consumer commits its first batch and "crashes" before acknowledging it and
	// the messages it has pulled ahead. Those come again after AckWait (1s): the gap waits of
	// their successors must outlast it (0.1+0.2+0.4+0.8s before the last delivery).
	h.cfg.MaxDeliver = 5
	h.cfg.AsyncCommit = true
	first := h.runtime(newCounter(bc).as(batch))
	var batches atomic.Int32
	projector.SetAfterCommit(first, func(string) error {
		batches.Add(1)
		return errors.New("killed between commit and ack")
	})
	stop := h.startBuilt(first, "counts")
	for i := range 3 {
		h.publish(bc, h.appendEvents(bc, fmt.Sprintf("product-%d", i), 10, changedType, es.Metadata{})...)
	}
	eventually(t, 15*time.Second, "first batch committed", func() (bool, string) { return batches.Load() > 0, "" })
	if err := stop(); err == nil || !strings.Contains(err.Error(), "killed between commit and ack") {
		t.Fatalf("Run = %v, want the crash", err)
	}
	applied, err := counts(context.Background(), h.db.Pool, "counts")
	if err != nil || len(applied) == 0 {
		t.Fatalf("after the crash: %v, %v; want the committed batch", applied, err)
	}

	// A new process gets the unacknowledged messages again: they change nothing.
	second := h.runtime(newCounter(bc).as(batch))
	h.start(second)
	h.countsReach("counts", h.expectedCounts(), 20*time.Second)
	eventually(t, 10*time.Second, "redeliveries counted", func() (bool, string) {
		n := h.counter("projector.events.redelivered", map[string]string{"projection": "counts"})
		return n > 0, fmt.Sprintf("%d redelivered", n)
	})
	parked, err := second.Parked(context.Background(), "counts")
	if err != nil || len(parked) != 0 {
		t.Fatalf("parked = %v, %v; want none", parked, err)
	}
	eventually(t, 10*time.Second, "everything acknowledged", func() (bool, string) {
		info := h.consumerInfo(bc)
		return info.NumAckPending == 0 && info.NumPending == 0, fmt.Sprintf("%+v", info)
	})
}

func TestLive_PoisonEvent_IsParkedAndBlocksOnlyItsStream(t *testing.T) {
	inBothApplyModes(t, testLivePoisonEventIsParkedAndBlocksOnlyItsStream)
}

func testLivePoisonEventIsParkedAndBlocksOnlyItsStream(t *testing.T, batch bool) {
	h := newHarness(t, []string{"catalog"})
	bc := h.ctx("catalog")
	proj := newCounter(bc)
	rt := h.runtime(proj.as(batch))
	h.startBuilt(rt, "counts")
	bad := h.appendEvents(bc, "product-bad", 5, changedType, es.Metadata{})
	good := h.appendEvents(bc, "product-good", 5, changedType, es.Metadata{})
	proj.poison(bad[2].ID)
	h.publish(bc, bad...)
	h.publish(bc, good...)

	eventually(t, 15*time.Second, "poison and its successors parked", func() (bool, string) {
		p, err := rt.Parked(context.Background(), "counts")
		return err == nil && len(p) == 3, fmt.Sprintf("%d parked, %v", len(p), err)
	})
	// Later events of other streams keep flowing.
	good = append(good, h.appendEvents(bc, "product-good", 5, changedType, es.Metadata{})...)
	h.publish(bc, good[5:]...)
	h.countsReach("counts", map[string][2]int64{"product-bad": {2, 2}, "product-good": {10, 10}}, 15*time.Second)

	parked, err := rt.Parked(context.Background(), "counts")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		version int64
		reason  projector.ParkReason
	}{{3, projector.ReasonHandlerFailed}, {4, projector.ReasonStreamBlocked}, {5, projector.ReasonStreamBlocked}}
	if len(parked) != len(want) {
		t.Fatalf("parked %+v, want %d", parked, len(want))
	}
	for i, w := range want {
		p := parked[i]
		if p.EventID != bad[w.version-1].ID || p.StreamID != "product-bad" || p.Version != w.version || p.Reason != w.reason ||
			p.Type != changedType || string(p.Payload) != "payload of product-bad" || p.Generation != 1 ||
			p.Metadata[natsbus.HeaderStream] != "product-bad" || p.Subject != natsbus.Subject(bc, bad[w.version-1]) {
			t.Errorf("parked[%d] = %+v, want version %d, reason %s", i, p, w.version, w.reason)
		}
	}
	if !strings.Contains(parked[0].Error, "poisoned event") || !strings.Contains(parked[1].Error, "blocked") {
		t.Errorf("errors: %q, %q", parked[0].Error, parked[1].Error)
	}
	proj.mu.Lock()
	failures := proj.failures
	proj.mu.Unlock()
	if failures < 3 {
		t.Errorf("the poison event's handler ran %d times, want ≥ 3 (retried alone before parking)", failures)
	}
	if got := h.counter("projector.events.parked", map[string]string{"projection": "counts"}); got != 3 {
		t.Errorf("parked metric = %d, want 3", got)
	}

	// The operator's remedy: fix the handler, rebuild. The stream is whole again, the parked
	// events are superseded, and the stream's new events are applied live.
	proj.cure(bad[2].ID)
	if err := rt.Rebuild(context.Background(), "counts"); err != nil {
		t.Fatal(err)
	}
	if parked, err := rt.Parked(context.Background(), "counts"); err != nil || len(parked) != 0 {
		t.Fatalf("parked after the rebuild: %+v, %v", parked, err)
	}
	h.publish(bc, h.appendEvents(bc, "product-bad", 1, changedType, es.Metadata{})...)
	h.countsReach("counts", map[string][2]int64{"product-bad": {6, 6}, "product-good": {10, 10}}, 15*time.Second)
}

func TestLive_UndecodableAndUnknownEvents_AreParked(t *testing.T) {
	inBothApplyModes(t, testLiveUndecodableAndUnknownEventsAreParked)
}

func testLiveUndecodableAndUnknownEventsAreParked(t *testing.T, batch bool) {
	h := newHarness(t, []string{"catalog"})
	bc := h.ctx("catalog")

	// A message without an envelope, one whose event type the projection does not know
	// (its stream's later event is blocked behind it), and good events.
	rt := h.runtime(newCounter(bc).as(batch))
	h.startBuilt(rt, "counts")
	ctx := context.Background()
	garbage := nats.NewMsg(bc + ".product.Garbage")
	garbage.Data = []byte("not an event")
	garbage.Header.Set(natsbus.HeaderStream, "product-garbage")
	if _, err := h.nats.JS.PublishMsg(ctx, garbage); err != nil {
		t.Fatal(err)
	}
	unknown := h.appendEvents(bc, "product-odd", 1, unknownType, es.Metadata{})
	after := h.appendEvents(bc, "product-odd", 1, changedType, es.Metadata{})
	h.publish(bc, unknown...)
	h.publish(bc, after...)
	h.publish(bc, h.appendEvents(bc, "product-ok", 4, changedType, es.Metadata{})...)
	h.countsReach("counts", map[string][2]int64{"product-ok": {4, 4}}, 15*time.Second)
	eventually(t, 15*time.Second, "three parked", func() (bool, string) {
		p, err := rt.Parked(ctx, "counts")
		return err == nil && len(p) == 3, fmt.Sprintf("%+v %v", p, err)
	})
	parked, _ := rt.Parked(ctx, "counts")
	byReason := map[projector.ParkReason]projector.ParkedEvent{}
	for _, p := range parked {
		byReason[p.Reason] = p
	}
	if p := byReason[projector.ReasonUndecodable]; !strings.Contains(p.Error, "message id") ||
		string(p.Payload) != "not an event" || p.StreamID != "product-garbage" || p.Subject != garbage.Subject {
		t.Errorf("undecodable: %+v", p)
	}
	if p := byReason[projector.ReasonUnknownEvent]; p.EventID != unknown[0].ID || !strings.Contains(p.Error, unknownType) {
		t.Errorf("unknown: %+v", p)
	}
	if p := byReason[projector.ReasonStreamBlocked]; p.EventID != after[0].ID {
		t.Errorf("blocked: %+v", p)
	}
	eventually(t, 10*time.Second, "nothing left to redeliver", func() (bool, string) {
		info := h.consumerInfo(bc)
		return info.NumAckPending == 0 && info.NumPending == 0, fmt.Sprintf("%+v", info)
	})
}

func TestLive_EventAheadOfItsPredecessor_WaitsForItThenIsParked(t *testing.T) {
	inBothApplyModes(t, testLiveEventAheadOfItsPredecessorWaitsForItThenIsParked)
}

func testLiveEventAheadOfItsPredecessorWaitsForItThenIsParked(t *testing.T, batch bool) {
	h := newHarness(t, []string{"catalog"})
	bc := h.ctx("catalog")
	h.cfg.MaxDeliver = 6 // 5 NAKs: 0.1+0.2+0.4+0.8+1.6s
	evs := h.appendEvents(bc, "product-1", 4, changedType, es.Metadata{})
	rt := h.runtime(newCounter(bc).as(batch))
	h.startBuilt(rt, "counts")

	// The initial build read versions 1-4 from the store. Version 6 arrives first and is
	// NAK'd until version 5 has come; old versions arrive again and change nothing.
	more := h.appendEvents(bc, "product-1", 2, changedType, es.Metadata{})
	h.publish(bc, more[1])
	eventually(t, 10*time.Second, "version 6 delivered again, waiting for 5", func() (bool, string) {
		n := h.counter("projector.events.redelivered", map[string]string{"projection": "counts"})
		return n > 0, fmt.Sprintf("%d redeliveries", n)
	})
	h.publish(bc, more[0])
	h.publish(bc, evs...)
	h.countsReach("counts", map[string][2]int64{"product-1": {6, 6}}, 15*time.Second)
	if p, err := rt.Parked(context.Background(), "counts"); err != nil || len(p) != 0 {
		t.Fatalf("parked %+v, %v", p, err)
	}
	if n := h.counter("projector.events.redelivered", map[string]string{"projection": "counts"}); n == 0 {
		t.Error("version 6 was never redelivered: it cannot have waited")
	}

	// A version whose predecessor never comes is parked on its last delivery.
	lost := h.appendEvents(bc, "product-1", 2, changedType, es.Metadata{})
	h.publish(bc, lost[1])
	eventually(t, 15*time.Second, "version 8 parked", func() (bool, string) {
		p, err := rt.Parked(context.Background(), "counts")
		return err == nil && len(p) == 1 && p[0].Version == 8 && p[0].Reason == projector.ReasonOutOfOrder, fmt.Sprintf("%+v %v", p, err)
	})
}

func TestLive_TwoConsumersOfTheSameEvents_ApplyEachOnce(t *testing.T) {
	for _, predict := range []bool{true, false} {
		t.Run(fmt.Sprintf("predict=%v", predict), func(t *testing.T) {
			inBothApplyModes(t, func(t *testing.T, batch bool) {
				testLiveTwoConsumersOfTheSameEventsApplyEachOnce(t, batch, predict)
			})
		})
	}
}

// Two consumers receive the same events (as after a redelivery to another replica): the
// second reads (or predicts) the stream records, the first commits the same events, and the
// second's blind writes would double them; its save finds the records changed and redoes
// the batch, where the events are duplicates.
func testLiveTwoConsumersOfTheSameEventsApplyEachOnce(t *testing.T, batch, predict bool) {
	h := newHarness(t, []string{"catalog"})
	bc := h.ctx("catalog")
	proj := newCounter(bc)
	proj.blind = true
	// The first consumer's first batch waits until the second has read its records, and
	// the second then waits until the first has committed: the second's records are stale.
	secondRead, committed := make(chan struct{}), make(chan struct{})
	var firstWaited, secondWaited atomic.Bool
	var once sync.Once
	first := h.runtime(proj.as(batch))
	projector.SetPredict(first, predict)
	projector.SetAfterRead(first, func() {
		if firstWaited.CompareAndSwap(false, true) {
			select {
			case <-secondRead:
			case <-time.After(10 * time.Second):
				t.Error("the second consumer read nothing within 10s")
			}
		}
	})
	projector.SetAfterCommit(first, func(string) error {
		once.Do(func() { close(committed) })
		return nil
	})
	h.startBuilt(first, "counts")

	h.cfg.ConsumerPrefix = "second_"
	second := h.runtime(proj.as(batch))
	projector.SetPredict(second, predict)
	projector.SetAfterRead(second, func() {
		if secondWaited.CompareAndSwap(false, true) {
			close(secondRead)
			select {
			case <-committed:
			case <-time.After(10 * time.Second):
				t.Error("the first consumer committed nothing within 10s")
			}
		}
	})
	h.start(second)

	for i := range 3 {
		h.publish(bc, h.appendEvents(bc, fmt.Sprintf("product-%d", i), 10, changedType, es.Metadata{})...)
	}
	h.countsReach("counts", h.expectedCounts(), 15*time.Second)
	eventually(t, 10*time.Second, "the second consumer's conflict counted", func() (bool, string) {
		reason := "conflict"
		if predict {
			reason = "mispredicted"
		}
		n := h.counter(projector.BatchRetriedMetric, map[string]string{"projection": "counts", "reason": reason})
		return n > 0, fmt.Sprintf("%d conflicts", n)
	})
	eventually(t, 10*time.Second, "both consumers acknowledged everything", func() (bool, string) {
		for _, name := range []string{"projector_counts", "second_counts"} {
			cons, err := h.nats.JS.Consumer(context.Background(), bc, name)
			if err != nil {
				return false, err.Error()
			}
			ci, err := cons.Info(context.Background())
			if err != nil {
				return false, err.Error()
			}
			if ci.NumAckPending != 0 || ci.NumPending != 0 {
				return false, fmt.Sprintf("%s: %+v", name, ci)
			}
		}
		return true, ""
	})
	if parked, err := first.Parked(context.Background(), "counts"); err != nil || len(parked) != 0 {
		t.Errorf("parked %+v, %v", parked, err)
	}
	h.countsReach("counts", h.expectedCounts(), time.Second)
}
