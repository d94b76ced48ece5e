package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
)

// fakeJS acks each publish after a short delay, fails the events it is told to, and records
// every violation of the relay's promises: more publishes in flight than allowed, or an event
// published before its stream's previous event was acknowledged.
type fakeJS struct {
	mu          sync.Mutex
	fail        map[uuid.UUID]bool
	maxInFlight int
	inFlight    int
	peak        int
	acked       map[string]int64 // stream → last acknowledged version
	published   []uuid.UUID
	violations  []string
}

type fakeFuture struct {
	msg *nats.Msg
	ok  chan *jetstream.PubAck
	err chan error
}

func (f *fakeFuture) Ok() <-chan *jetstream.PubAck { return f.ok }
func (f *fakeFuture) Err() <-chan error            { return f.err }
func (f *fakeFuture) Msg() *nats.Msg               { return f.msg }

func (j *fakeJS) PublishMsgAsync(msg *nats.Msg, _ ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	ev, err := natsbus.Decode(msg.Header, msg.Data)
	if err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.published = append(j.published, ev.ID)
	if last := j.acked[ev.StreamID]; last != ev.Version-1 {
		j.violations = append(j.violations, fmt.Sprintf("%s v%d published while v%d is the last acked", ev.StreamID, ev.Version, last))
	}
	j.inFlight++
	j.peak = max(j.peak, j.inFlight)
	if j.inFlight > j.maxInFlight {
		j.violations = append(j.violations, fmt.Sprintf("%d publishes in flight, max %d", j.inFlight, j.maxInFlight))
	}
	fut := &fakeFuture{msg: msg, ok: make(chan *jetstream.PubAck, 1), err: make(chan error, 1)}
	fail := j.fail[ev.ID]
	time.AfterFunc(200*time.Microsecond, func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		j.inFlight--
		if fail {
			fut.err <- errors.New("nats: injected failure")
			return
		}
		j.acked[ev.StreamID] = ev.Version
		fut.ok <- &jetstream.PubAck{Stream: "CATALOG"}
	})
	return fut, nil
}

func (j *fakeJS) CreateOrUpdateStream(context.Context, jetstream.StreamConfig) (jetstream.Stream, error) {
	return nil, errors.New("not implemented")
}

// interleaved returns events of streams a, b, c appended in rounds, in global order.
func interleaved(rounds int) []es.RecordedEvent {
	var evs []es.RecordedEvent
	for v := int64(1); v <= int64(rounds); v++ {
		for _, s := range []string{"product-a", "product-b", "category-c"} {
			evs = append(evs, es.RecordedEvent{
				ID: uuid.New(), StreamID: s, Version: v, Type: "storefront.catalog.v1.Changed", SchemaVersion: 1,
				Position: es.Position{TxID: int64(len(evs) + 1), Global: int64(len(evs) + 1)}, RecordedAt: time.Now(),
			})
		}
	}
	return evs
}

// nopLog is an empty event log.
type nopLog struct{}

func (nopLog) ReadAll(context.Context, es.Position, int) ([]es.RecordedEvent, error) { return nil, nil }
func (nopLog) Head(context.Context) (es.Position, error)                             { return es.Position{}, nil }

func newTestRelay(t *testing.T, js jetStream, maxInFlight int) *Relay {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), "postgres://127.0.0.1:1/unused") // never connects
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	r, err := newRelay(Config{Context: "catalog", Schema: "catalog", MaxInFlight: maxInFlight},
		Deps{Store: nopLog{}, DB: pool}, js)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPublishBatch_KeepsStreamsInOrderAndBoundsInFlight(t *testing.T) {
	js := &fakeJS{maxInFlight: 2, acked: map[string]int64{}}
	r := newTestRelay(t, js, 2)
	evs := interleaved(20)
	n, err := r.publishBatch(t.Context(), evs)
	if err != nil || n != len(evs) {
		t.Fatalf("publishBatch = %d, %v; want %d, nil", n, err, len(evs))
	}
	if len(js.violations) > 0 {
		t.Fatalf("violations: %v", js.violations)
	}
	if js.peak != 2 {
		t.Errorf("at most %d publishes in flight, want the 2 allowed (pipelining)", js.peak)
	}
}

func TestPublishBatch_StopsAtAFailureAndReportsTheAckedPrefix(t *testing.T) {
	evs := interleaved(10)
	failed := evs[7] // product-b v3: the later events of its stream must not be published
	js := &fakeJS{maxInFlight: 8, acked: map[string]int64{}, fail: map[uuid.UUID]bool{failed.ID: true}}
	r := newTestRelay(t, js, 8)
	n, err := r.publishBatch(t.Context(), evs)
	if err == nil || n != 7 {
		t.Fatalf("publishBatch = %d, %v; want 7 and the injected failure", n, err)
	}
	if len(js.violations) > 0 {
		t.Fatalf("violations: %v", js.violations)
	}
	for _, id := range js.published {
		for _, ev := range evs {
			if ev.ID == id && ev.StreamID == failed.StreamID && ev.Version > failed.Version {
				t.Fatalf("%s v%d was published after v%d failed", ev.StreamID, ev.Version, failed.Version)
			}
		}
	}
}
