package relay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/relay"
	"github.com/storefront/storefront/platform/testkit/natstest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

const schema = "catalog"

// harness is one test's event store (its own database) and JetStream (its own prefix).
type harness struct {
	db    *pgtest.DB
	store *postgres.Store
	env   *natstest.Env
	cfg   relay.Config
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db := pgtest.New(t, postgres.Migrations(schema), relay.Migrations(schema))
	store, err := postgres.New(db.Pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	env := natstest.New(t)
	h := &harness{db: db, store: store, env: env, cfg: relay.Config{
		Context:            env.Prefix + "catalog",
		Schema:             schema,
		PollInterval:       200 * time.Millisecond,
		LeaseRetryInterval: 100 * time.Millisecond,
		LeaseCheckInterval: 100 * time.Millisecond,
		RetryMin:           20 * time.Millisecond,
		RetryMax:           500 * time.Millisecond,
	}}
	// natstest deletes the streams named with its prefix; natsbus spells ours in capitals.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := env.JS.DeleteStream(ctx, natsbus.StreamName(h.cfg.Context)); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Errorf("delete stream: %v", err)
		}
	})
	return h
}

// running is a relay started by a test, with its own NATS connection and telemetry.
type running struct {
	*relay.Relay
	name    string
	cancel  context.CancelFunc
	done    chan struct{}
	metrics *sdkmetric.ManualReader
	spans   *tracetest.SpanRecorder
	logs    *syncBuffer
}

func (h *harness) start(t *testing.T, name string, cfg relay.Config) *running {
	t.Helper()
	nc, err := nats.Connect(h.env.URL, nats.Name("relay-test-"+name))
	if err != nil {
		t.Fatal(err)
	}
	r := &running{name: name, done: make(chan struct{}), metrics: sdkmetric.NewManualReader(),
		spans: tracetest.NewSpanRecorder(), logs: &syncBuffer{}}
	rel, err := relay.New(cfg, relay.Deps{
		Log:    slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("instance", name),
		Store:  h.store,
		DB:     h.db.Pool,
		NATS:   nc,
		Meter:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.metrics)),
		Tracer: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans)),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Relay = rel
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		if err := rel.Run(ctx); err != nil {
			t.Errorf("relay %s: Run: %v", name, err)
		}
	}()
	t.Cleanup(func() {
		r.stop(t)
		nc.Close()
		if t.Failed() {
			t.Logf("logs of relay %s:\n%s", name, r.logs.String())
		}
	})
	return r
}

// stop cancels the relay and waits for Run to return.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("relay %s: Run did not return within 10s of its context's end", r.name)
	}
}

func (r *running) leader(t *testing.T) bool {
	t.Helper()
	s, err := r.Status(t.Context())
	if err != nil {
		t.Fatalf("relay %s: Status: %v", r.name, err)
	}
	return s.Leader
}

// published sums the relay's published-events counter, split by the duplicate attribute.
func (r *running) published(t *testing.T) (fresh, duplicate int64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.metrics.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, m := range find(rm, relay.MetricPublished) {
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			if dup, _ := dp.Attributes.Value("relay.duplicate"); dup.AsBool() {
				duplicate += dp.Value
			} else {
				fresh += dp.Value
			}
		}
	}
	return fresh, duplicate
}

func find(rm metricdata.ResourceMetrics, name string) []metricdata.Metrics {
	var out []metricdata.Metrics
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				out = append(out, m)
			}
		}
	}
	return out
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var streams = []string{"product-1", "product-2", "category-1", "product-3"}

// appendEvents appends `appends` batches of `per` events to each stream, the streams written
// concurrently, so the store's transactions interleave.
func (h *harness) appendEvents(t *testing.T, appends, per int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(streams))
	for si, stream := range streams {
		wg.Go(func() {
			for a := range appends {
				evs := make([]es.EventData, per)
				for i := range evs {
					evs[i] = es.EventData{
						Type:    "storefront.catalog.v1.ProductPriceChanged",
						Payload: fmt.Appendf(nil, "%s/%d/%d", stream, a, i),
						Metadata: es.Metadata{
							CorrelationID: "corr-" + stream,
							CausationID:   fmt.Sprintf("cmd-%d", a),
							UserID:        "user-7",
							TraceParent:   fmt.Sprintf("00-%032x-%016x-01", si+1, a+1),
						},
					}
				}
				if _, err := h.store.Append(context.Background(), stream, es.Any, evs); err != nil {
					errs <- fmt.Errorf("append to %s: %w", stream, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// storeEvents reads the whole log.
func (h *harness) storeEvents(t *testing.T) []es.RecordedEvent {
	t.Helper()
	var all []es.RecordedEvent
	var after es.Position
	for {
		evs, err := h.store.ReadAll(t.Context(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return all
		}
		all = append(all, evs...)
		after = evs[len(evs)-1].Position
	}
}

// messageCount is the number of messages in the context's stream (0 before it exists).
func (h *harness) messageCount(t *testing.T) uint64 {
	t.Helper()
	s, err := h.env.JS.Stream(t.Context(), natsbus.StreamName(h.cfg.Context))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCaughtUp waits until r's checkpoint is the store's head.
func waitCaughtUp(t *testing.T, r *running, within time.Duration) {
	t.Helper()
	waitFor(t, within, "relay "+r.name+" caught up", func() bool {
		s, err := r.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return !s.Checkpoint.IsZero() && s.LagEvents == 0 && s.Lag == 0
	})
}

// verifyStream checks what a consumer sees once the store shows total events: every event
// of the store exactly once, each with its subject, envelope and payload, and each stream's
// events in version order. (The store may hold events back for a while when another test's
// transaction runs long on the shared server, so it waits rather than trusting a lag of 0.)
func (h *harness) verifyStream(t *testing.T, total int) {
	t.Helper()
	var want []es.RecordedEvent
	waitFor(t, 15*time.Second, fmt.Sprintf("%d events readable in the store", total), func() bool {
		want = h.storeEvents(t)
		return len(want) >= total
	})
	if len(want) != total {
		t.Fatalf("the store holds %d events, want %d", len(want), total)
	}
	waitFor(t, 15*time.Second, fmt.Sprintf("%d messages on JetStream", total), func() bool { return h.messageCount(t) >= uint64(total) })
	byID := map[uuid.UUID]es.RecordedEvent{}
	for _, ev := range want {
		byID[ev.ID] = ev
	}
	s, err := h.env.JS.Stream(t.Context(), natsbus.StreamName(h.cfg.Context))
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(want)) {
		t.Fatalf("stream holds %d messages, store %d events", info.State.Msgs, len(want))
	}
	seen := map[uuid.UUID]bool{}
	last := map[string]int64{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := s.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		got, err := natsbus.Decode(msg.Header, msg.Data)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		ev, ok := byID[got.ID]
		switch {
		case !ok:
			t.Fatalf("message %d: event %s is not in the store", seq, got.ID)
		case seen[got.ID]:
			t.Fatalf("message %d: event %s seen twice", seq, got.ID)
		case got.Version != last[got.StreamID]+1:
			t.Fatalf("message %d: %s version %d after version %d", seq, got.StreamID, got.Version, last[got.StreamID])
		case msg.Subject != natsbus.Subject(h.cfg.Context, ev):
			t.Fatalf("message %d: subject %q, want %q", seq, msg.Subject, natsbus.Subject(h.cfg.Context, ev))
		case msg.Header.Get(jetstream.MsgIDHeader) != ev.ID.String():
			t.Fatalf("message %d: Nats-Msg-Id %q, want %s", seq, msg.Header.Get(jetstream.MsgIDHeader), ev.ID)
		case got.StreamID != ev.StreamID, got.Type != ev.Type, got.SchemaVersion != ev.SchemaVersion,
			got.Position != ev.Position, !bytes.Equal(got.Payload, ev.Payload), got.Metadata != ev.Metadata,
			!got.RecordedAt.Equal(ev.RecordedAt):
			t.Fatalf("message %d:\n got %+v\nwant %+v", seq, got, ev)
		}
		seen[got.ID] = true
		last[got.StreamID] = got.Version
	}
}

func TestRelay_PublishesEveryEventOnceInStreamOrder(t *testing.T) {
	h := newHarness(t)
	h.appendEvents(t, 5, 3) // before the relay starts: 60 events
	cfg := h.cfg
	cfg.BatchSize, cfg.MaxInFlight = 16, 8
	r := h.start(t, "a", cfg)
	h.appendEvents(t, 5, 4) // while it runs: 80 more
	const total = 4*5*3 + 4*5*4

	h.verifyStream(t, total)
	waitCaughtUp(t, r, 5*time.Second)

	if fresh, dup := r.published(t); fresh != total || dup != 0 {
		t.Errorf("published counter: %d fresh + %d duplicates, want %d + 0", fresh, dup, total)
	}
	var rm metricdata.ResourceMetrics
	if err := r.metrics.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{relay.MetricLagEvents, relay.MetricLagSeconds, relay.MetricPublishToAck, relay.MetricCommitToAck} {
		if len(find(rm, name)) == 0 {
			t.Errorf("metric %s not reported", name)
		}
	}
	for _, m := range find(rm, relay.MetricLagEvents) {
		if dps := m.Data.(metricdata.Gauge[int64]).DataPoints; len(dps) != 1 || dps[0].Value != 0 {
			t.Errorf("%s = %+v once caught up, want 0", relay.MetricLagEvents, dps)
		}
	}

	// Each batch has a span linked to the traces of its events' requests.
	linked := map[string]bool{}
	for _, s := range r.spans.Ended() {
		if s.Name() != "publish "+natsbus.StreamName(h.cfg.Context) {
			continue
		}
		for _, l := range s.Links() {
			linked[l.SpanContext.TraceID().String()] = true
		}
	}
	for si := range streams {
		if id := fmt.Sprintf("%032x", si+1); !linked[id] {
			t.Errorf("no batch span links to trace %s; linked: %v", id, linked)
		}
	}
}

func TestRelay_PublishesAnAppendWithoutWaitingForThePoll(t *testing.T) {
	h := newHarness(t)
	cfg := h.cfg
	cfg.PollInterval = 10 * time.Second
	h.start(t, "a", cfg)
	h.appendEvents(t, 1, 1)             // 4 events; the first read may see them
	h.verifyStream(t, 4)                // the first events
	time.Sleep(1500 * time.Millisecond) // the relay is now idle, its next poll 10s away at most

	h.appendEvents(t, 1, 3)
	waitFor(t, 5*time.Second, "an append published without waiting for the 10s poll",
		func() bool { return h.messageCount(t) == 4+4*3 })
	h.verifyStream(t, 4+4*3)
}

func TestRelay_ResumesFromItsCheckpointAfterAStop(t *testing.T) {
	h := newHarness(t)
	h.appendEvents(t, 50, 3) // 600 events
	const total = 4 * 50 * 3
	cfg := h.cfg
	cfg.BatchSize, cfg.MaxInFlight = 10, 4

	// Relay a stops abruptly once 100 events reached JetStream.
	a := h.start(t, "a", cfg)
	var seen atomic.Int64
	sub, err := h.env.Conn.Subscribe(h.cfg.Context+".>", func(*nats.Msg) {
		if seen.Add(1) == 100 {
			a.cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	select {
	case <-a.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("relay a did not stop after 100 events (%d seen)", seen.Load())
	}
	s, err := a.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.Lag == 0 {
		t.Fatalf("relay a published everything before it was stopped (%+v): the test proves nothing", s)
	}

	// Relay b resumes from the checkpoint: it publishes the rest, not everything again.
	b := h.start(t, "b", cfg)
	h.verifyStream(t, total)
	waitCaughtUp(t, b, 15*time.Second)
	if fresh, dup := b.published(t); fresh+dup >= total {
		t.Errorf("relay b published %d + %d duplicates: it did not resume from the checkpoint", fresh, dup)
	}
	b.stop(t)

	// A crash after publishing but before checkpointing: the next relay publishes everything
	// again, and JetStream's duplicate window keeps consumers from seeing any of it twice.
	if _, err := h.db.Pool.Exec(t.Context(), `UPDATE catalog.relay_checkpoints SET tx_id = 0, global_position = 0`); err != nil {
		t.Fatal(err)
	}
	c := h.start(t, "c", cfg)
	waitCaughtUp(t, c, 15*time.Second)
	if fresh, dup := c.published(t); fresh != 0 || dup != total {
		t.Errorf("relay c: %d fresh + %d duplicate acks, want 0 + %d", fresh, dup, total)
	}
	h.verifyStream(t, total)
}

// twoRelays starts a and b on one store and returns (leader, standby) once one leads.
func (h *harness) twoRelays(t *testing.T) (leader, standby *running) {
	t.Helper()
	a, b := h.start(t, "a", h.cfg), h.start(t, "b", h.cfg)
	waitFor(t, 5*time.Second, "one relay leading", func() bool { return a.leader(t) != b.leader(t) })
	if a.leader(t) {
		return a, b
	}
	return b, a
}

func TestRelay_StandbyTakesOverWhenTheLeaderStops(t *testing.T) {
	h := newHarness(t)
	leader, standby := h.twoRelays(t)
	h.appendEvents(t, 5, 3)
	h.verifyStream(t, 60)
	if fresh, dup := standby.published(t); fresh+dup != 0 {
		t.Fatalf("the standby published %d events", fresh+dup)
	}

	leader.stop(t)
	start := time.Now()
	waitFor(t, 5*time.Second, "the standby leading", func() bool { return standby.leader(t) })
	t.Logf("standby took over in %v", time.Since(start).Round(time.Millisecond))

	h.appendEvents(t, 5, 3)
	h.verifyStream(t, 120)
	waitCaughtUp(t, standby, 10*time.Second)
	if fresh, dup := standby.published(t); fresh != 60 {
		t.Errorf("the new leader published %d new events (%d duplicates), want 60", fresh, dup)
	}
}

func TestRelay_LeaderStopsWhenItsLockConnectionBreaks(t *testing.T) {
	h := newHarness(t)
	leader, standby := h.twoRelays(t)
	h.appendEvents(t, 5, 3)
	h.verifyStream(t, 60)

	lockHolder := func() (pid int32) {
		err := h.db.Pool.QueryRow(t.Context(), `SELECT pid FROM pg_locks
			WHERE locktype = 'advisory' AND granted
			  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&pid)
		if err != nil {
			return 0
		}
		return pid
	}
	old := lockHolder()
	if old == 0 {
		t.Fatal("no session holds the lease lock")
	}
	if _, err := h.db.Pool.Exec(t.Context(), `SELECT pg_terminate_backend($1)`, old); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "the leader noticing its lost lease", func() bool {
		return strings.Contains(leader.logs.String(), "lease lost")
	})
	waitFor(t, 5*time.Second, "a new lease holder", func() bool {
		pid := lockHolder()
		return pid != 0 && pid != old && leader.leader(t) != standby.leader(t)
	})

	h.appendEvents(t, 5, 3)
	h.verifyStream(t, 120)
}

func TestRelay_KeepsPrivateEventsInsideTheContext(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	secret := es.EventData{Type: "storefront.identity.v1.PasswordSet", Payload: []byte("bcrypt hash")}
	public := func(p string) es.EventData {
		return es.EventData{Type: "storefront.identity.v1.UserRegistered", Payload: []byte(p)}
	}
	if _, err := h.store.Append(ctx, "user-1", es.NoStream, []es.EventData{public("a"), secret, public("b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Append(ctx, "user-2", es.NoStream, []es.EventData{secret}); err != nil {
		t.Fatal(err)
	}
	cfg := h.cfg
	cfg.PrivateTypes = []string{"storefront.identity.v1.PasswordSet"}
	r := h.start(t, "a", cfg)
	waitCaughtUp(t, r, 10*time.Second)
	waitFor(t, 10*time.Second, "the public events on JetStream", func() bool { return h.messageCount(t) >= 2 })

	s, err := h.env.JS.Stream(ctx, natsbus.StreamName(h.cfg.Context))
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d messages, want the 2 public events", info.State.Msgs)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(msg.Data, []byte("bcrypt")) || msg.Header.Get(natsbus.HeaderType) != "storefront.identity.v1.UserRegistered" {
			t.Fatalf("message %d leaks a private event: %s %q", seq, msg.Header.Get(natsbus.HeaderType), msg.Data)
		}
	}
}
