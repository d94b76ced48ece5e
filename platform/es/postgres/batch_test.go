package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

const batchSchema = "es_batch"

type appendCall struct {
	stream   string
	expected es.ExpectedVersion
	events   []es.EventData
}

type appendOutcome struct {
	res es.AppendResult
	err error
}

// batchHarness holds a store's only append slot with an append that waits for a stream lock
// the test holds, so that the appends the test makes next queue behind it and go as one batch
// when the test lets go.
type batchHarness struct {
	t       *testing.T
	store   *Store
	db      *pgtest.DB
	release func()
	blocked chan appendOutcome
}

func newBatchHarness(t *testing.T) *batchHarness {
	t.Helper()
	db := pgtest.New(t, Migrations(batchSchema))
	store, err := New(db.Pool, batchSchema, WithAppendsInFlight(1))
	if err != nil {
		t.Fatal(err)
	}
	h := &batchHarness{t: t, store: store, db: db, blocked: make(chan appendOutcome, 1)}

	tx, err := db.Pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), `SELECT pg_advisory_xact_lock(hashtextextended('es:' || $1 || ':' || $2, 0))`, batchSchema, "blocker"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	h.release = func() {
		once.Do(func() {
			if err := tx.Commit(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(h.release)

	go func() {
		res, err := store.Append(context.Background(), "blocker", es.Any, []es.EventData{{Type: "blocking"}})
		h.blocked <- appendOutcome{res, err}
	}()
	h.waitFor(func(b *batcher) bool { return b.inFlight == 1 }, "the blocking append to take the slot")
	return h
}

// waitFor polls the batcher's state, under its lock, until cond holds.
func (h *batchHarness) waitFor(cond func(*batcher) bool, what string) {
	h.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		h.store.batcher.mu.Lock()
		ok := cond(&h.store.batcher)
		h.store.batcher.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// queue starts calls, in order, each once the one before has queued.
func (h *batchHarness) queue(ctx context.Context, calls ...appendCall) []chan appendOutcome {
	h.t.Helper()
	out := make([]chan appendOutcome, len(calls))
	for i, c := range calls {
		out[i] = make(chan appendOutcome, 1)
		go func() {
			res, err := h.store.Append(ctx, c.stream, c.expected, c.events)
			out[i] <- appendOutcome{res, err}
		}()
		h.waitFor(func(b *batcher) bool { return len(b.queue) == i+1 }, fmt.Sprintf("append %d to queue", i))
	}
	return out
}

// finish lets the blocking append through and returns every queued call's outcome.
func (h *batchHarness) finish(queued []chan appendOutcome) []appendOutcome {
	h.t.Helper()
	h.release()
	if o := <-h.blocked; o.err != nil {
		h.t.Fatalf("blocking append: %v", o.err)
	}
	got := make([]appendOutcome, len(queued))
	for i, c := range queued {
		select {
		case got[i] = <-c:
		case <-time.After(10 * time.Second):
			h.t.Fatalf("queued append %d never returned", i)
		}
	}
	return got
}

// seed appends to a new stream beside the batcher, whose slot the harness holds.
func (h *batchHarness) seed(stream string, evs ...es.EventData) {
	h.t.Helper()
	req, err := es.NewAppendRequest(stream, es.NoStream, evs)
	if err == nil {
		_, err = h.store.append(h.t.Context(), h.store.pool, req)
	}
	if err != nil {
		h.t.Fatalf("seed %s: %v", stream, err)
	}
}

func oneEvent(typ string) []es.EventData { return []es.EventData{{Type: typ}} }

func TestBatch_QueuedAppendsShareOneTransactionAndFailAlone(t *testing.T) {
	h := newBatchHarness(t)
	h.seed("order-2", es.EventData{Type: "seeded"}, es.EventData{Type: "seeded"})

	queued := h.queue(t.Context(),
		appendCall{"order-1", es.NoStream, []es.EventData{{Type: "placed"}, {Type: "paid"}}},
		appendCall{"order-2", es.Exact(1), oneEvent("stale")}, // the stream is at 2
		appendCall{"order-3", es.StreamExists, oneEvent("orphan")},
		appendCall{"order-4", es.Any, oneEvent("placed")},
	)
	got := h.finish(queued)

	for i, o := range got {
		t.Logf("append %d: %+v, %v", i, o.res, o.err)
	}
	var conflict *es.ConcurrencyError
	if !errors.As(got[1].err, &conflict) || conflict.Actual != 2 || conflict.Stream != "order-2" {
		t.Errorf("stale append: %v, want a conflict at version 2", got[1].err)
	}
	if !errors.As(got[2].err, &conflict) || conflict.Actual != 0 {
		t.Errorf("append to a missing stream expecting it to exist: %v, want a conflict at version 0", got[2].err)
	}
	if got[0].err != nil || got[3].err != nil {
		t.Fatalf("the valid appends failed: %v, %v", got[0].err, got[3].err)
	}
	if got[0].res.NextVersion != 2 || got[3].res.NextVersion != 1 {
		t.Errorf("next versions %d and %d, want 2 and 1", got[0].res.NextVersion, got[3].res.NextVersion)
	}
	tx := got[0].res.Positions[0].TxID
	if got[0].res.Positions[1].TxID != tx || got[3].res.Positions[0].TxID != tx {
		t.Errorf("positions %v and %v: want one transaction", got[0].res.Positions, got[3].res.Positions)
	}
	if !got[0].res.Positions[0].Before(got[0].res.Positions[1]) || !got[0].res.Positions[1].Before(got[3].res.Positions[0]) {
		t.Errorf("positions %v then %v: want the queue's order", got[0].res.Positions, got[3].res.Positions)
	}
	if st := h.store.BatchStats(); st.Batches != 1 || st.Appends != 4 {
		t.Errorf("stats %+v, want one batch of 4", st)
	}

	// What was written is what the callers were told, and nothing of the failed appends.
	for stream, want := range map[string][]string{"order-1": {"placed", "paid"}, "order-2": {"seeded", "seeded"}, "order-3": nil, "order-4": {"placed"}} {
		evs, err := h.store.ReadStream(t.Context(), stream, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
		}
		if fmt.Sprint(types) != fmt.Sprint(want) {
			t.Errorf("%s holds %v, want %v", stream, types, want)
		}
	}
	ids := got[0].res.EventIDs
	evs, err := h.store.ReadStream(t.Context(), "order-1", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || evs[0].ID != ids[0] || evs[1].ID != ids[1] || evs[1].Position != got[0].res.Positions[1] {
		t.Errorf("result ids %v / positions %v do not match the stored events %+v", ids, got[0].res.Positions, evs)
	}
}

// A batch that fails as a whole (here: one append reuses an event id) is retried append by
// append, so only the culprit fails.
func TestBatch_AFailingBatchIsRetriedAppendByAppend(t *testing.T) {
	h := newBatchHarness(t)
	dup := uuid.Must(uuid.NewV7())
	h.seed("cart-0", es.EventData{ID: dup, Type: "created"})

	got := h.finish(h.queue(t.Context(),
		appendCall{"cart-1", es.NoStream, oneEvent("created")},
		appendCall{"cart-2", es.NoStream, []es.EventData{{ID: dup, Type: "created"}}},
		appendCall{"cart-3", es.NoStream, oneEvent("created")},
	))
	if !errors.Is(got[1].err, es.ErrDuplicateEventID) {
		t.Errorf("append reusing an event id: %v, want ErrDuplicateEventID", got[1].err)
	}
	for _, i := range []int{0, 2} {
		if got[i].err != nil || got[i].res.NextVersion != 1 {
			t.Errorf("append %d: %+v, %v; want version 1", i, got[i].res, got[i].err)
		}
	}
	if n := h.count(); n != 4 { // blocker, cart-0, cart-1, cart-3
		t.Errorf("%d events stored, want 4", n)
	}
}

func (h *batchHarness) count() int {
	h.t.Helper()
	var n int
	if err := h.db.Pool.QueryRow(h.t.Context(), `SELECT count(*) FROM `+batchSchema+`.events`).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// Two queued appends to one stream go in successive batches, in their order.
func TestBatch_AppendsToOneStreamStayInOrder(t *testing.T) {
	h := newBatchHarness(t)
	got := h.finish(h.queue(t.Context(),
		appendCall{"cart-1", es.NoStream, oneEvent("first")},
		appendCall{"cart-2", es.Any, oneEvent("other")},
		appendCall{"cart-1", es.Exact(1), oneEvent("second")},
		appendCall{"cart-1", es.Exact(2), oneEvent("third")},
	))
	for i, o := range got {
		if o.err != nil {
			t.Fatalf("append %d: %v", i, o.err)
		}
	}
	if v := []int64{got[0].res.NextVersion, got[2].res.NextVersion, got[3].res.NextVersion}; fmt.Sprint(v) != "[1 2 3]" {
		t.Errorf("cart-1 versions %v, want [1 2 3]", v)
	}
	p := []es.Position{got[0].res.Positions[0], got[2].res.Positions[0], got[3].res.Positions[0]}
	if !p[0].Before(p[1]) || !p[1].Before(p[2]) || p[0].TxID == p[1].TxID {
		t.Errorf("cart-1 positions %v: want increasing, in separate transactions", p)
	}
}

// An append whose caller gives up while it is queued is never written.
func TestBatch_ACancelledQueuedAppendIsNotWritten(t *testing.T) {
	h := newBatchHarness(t)
	ctx, cancel := context.WithCancel(t.Context())
	queued := h.queue(ctx, appendCall{"cart-9", es.NoStream, oneEvent("abandoned")})
	cancel()
	o := <-queued[0]
	if !errors.Is(o.err, context.Canceled) {
		t.Fatalf("cancelled append: %v, want context.Canceled", o.err)
	}
	h.waitFor(func(b *batcher) bool { return len(b.queue) == 0 }, "the cancelled append to leave the queue")
	h.finish(nil)
	if evs, err := h.store.ReadStream(t.Context(), "cart-9", 1, 10); err != nil || len(evs) != 0 {
		t.Fatalf("cart-9 holds %d events (%v), want none", len(evs), err)
	}
	// The slot was given back: the next append goes straight through.
	if _, err := h.store.Append(t.Context(), "cart-9", es.NoStream, oneEvent("again")); err != nil {
		t.Fatal(err)
	}
}

// Many writers on few streams, with retries on conflict: every accepted append is stored once,
// each stream's versions are gapless, and the batches were actually used.
func TestBatch_ConcurrentWritersOnSharedStreams(t *testing.T) {
	db := pgtest.New(t, Migrations(batchSchema))
	store, err := New(db.Pool, batchSchema)
	if err != nil {
		t.Fatal(err)
	}
	const writers, perWriter, streams = 16, 40, 5
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent = map[uuid.UUID]bool{}
	)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				stream := fmt.Sprintf("counter-%d", (w+i)%streams)
				id := uuid.Must(uuid.NewV7())
				for attempt := 0; ; attempt++ {
					last, err := store.ReadStreamBackward(t.Context(), stream, math.MaxInt64, 1)
					if err != nil {
						t.Error(err)
						return
					}
					version := int64(0)
					if len(last) == 1 {
						version = last[0].Version
					}
					_, err = store.Append(t.Context(), stream, es.Exact(version), []es.EventData{{ID: id, Type: "inc"}})
					var conflict *es.ConcurrencyError
					if errors.As(err, &conflict) && attempt < 1000 {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					sent[id] = true
					mu.Unlock()
					break
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for s := range streams {
		evs, err := store.ReadStream(t.Context(), fmt.Sprintf("counter-%d", s), 1, writers*perWriter)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			if e.Version != int64(i+1) {
				t.Fatalf("counter-%d: event %d has version %d", s, i, e.Version)
			}
			if !sent[e.ID] {
				t.Fatalf("counter-%d: event %s was not acknowledged to any writer", s, e.ID)
			}
		}
		total += len(evs)
	}
	if total != writers*perWriter || len(sent) != total {
		t.Fatalf("%d events stored, %d acknowledged, want %d", total, len(sent), writers*perWriter)
	}
	// 16 writers on one slot: appends queue behind each other all the time.
	if st := store.BatchStats(); st.Batches == 0 {
		t.Fatalf("no append was combined with another: %+v", st)
	} else {
		t.Logf("%d appends in %d batches", st.Appends, st.Batches)
	}
}

type unsentError struct{}

func (unsentError) Error() string     { return "connection refused" }
func (unsentError) SafeToRetry() bool { return true }

// Only a batch that certainly wrote nothing is retried append by append; after an unknown
// outcome each caller gets the error.
func TestWroteNothing(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused by the server", fmt.Errorf("es/postgres: append batch: %w", &pgconn.PgError{Severity: "ERROR", Code: "23505"}), true},
		{"backend terminated, maybe after its commit", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, false},
		{"never sent", fmt.Errorf("x: %w", unsentError{}), true},
		{"connection lost mid-call", io.ErrUnexpectedEOF, false},
		{"deadline", context.DeadlineExceeded, false},
		{"result not as expected", errors.New("es/postgres: append batch: 1 events written to \"a\", want 2"), false},
	}
	for _, tc := range tests {
		if got := wroteNothing(tc.err); got != tc.want {
			t.Errorf("%s: wroteNothing = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A caller whose append leads a batch can leave when its context ends, while the batch (stuck
// here behind a stream lock) goes on for the others.
func TestBatch_ALeaderCanLeaveItsBatch(t *testing.T) {
	h := newBatchHarness(t)
	tx, err := h.db.Pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `SELECT pg_advisory_xact_lock(hashtextextended('es:' || $1 || ':' || $2, 0))`, batchSchema, "locked"); err != nil {
		t.Fatal(err)
	}
	leaderCtx, cancel := context.WithCancel(t.Context())
	defer cancel()
	queued := []chan appendOutcome{}
	queued = append(queued, h.queue(leaderCtx, appendCall{"locked", es.NoStream, oneEvent("first")})...)
	other := make(chan appendOutcome, 1)
	go func() {
		res, err := h.store.Append(t.Context(), "free", es.NoStream, oneEvent("other"))
		other <- appendOutcome{res, err}
	}()
	h.waitFor(func(b *batcher) bool { return len(b.queue) == 2 }, "the second append to queue")
	h.release() // the blocking append finishes; "locked" leads a batch of two, which waits
	if o := <-h.blocked; o.err != nil {
		t.Fatal(o.err)
	}
	h.waitFor(func(b *batcher) bool { return len(b.queue) == 0 }, "the batch to be taken")
	cancel()
	select {
	case o := <-queued[0]:
		if !errors.Is(o.err, context.Canceled) {
			t.Fatalf("leader: %v, want context.Canceled", o.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the leader did not return when its context ended")
	}
	select {
	case o := <-other:
		t.Fatalf("the other append returned before its batch could commit: %+v", o)
	case <-time.After(50 * time.Millisecond):
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if o := <-other; o.err != nil || o.res.NextVersion != 1 {
		t.Fatalf("other append: %+v, %v", o.res, o.err)
	}
	// The leader's append was in flight: it committed with the batch.
	if evs, err := h.store.ReadStream(t.Context(), "locked", 1, 10); err != nil || len(evs) != 1 {
		t.Fatalf("locked holds %d events (%v), want the leader's 1", len(evs), err)
	}
	h.waitFor(func(b *batcher) bool { return b.inFlight == 0 }, "the slot to be freed")
}
