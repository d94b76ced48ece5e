package projector_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/testkit/natstest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

const (
	changedType = "storefront.catalog.v1.ProductChanged"
	unknownType = "storefront.catalog.v1.ProductTeleported"
)

// counter is the sample projection: it counts the events of each stream, and checks that
// they come in version order (an event out of order fails, and would be parked).
type counter struct {
	name     string
	contexts []string
	slow     time.Duration // per event
	// blind makes the counter add events without checking versions, as a projection of
	// blind writes (upserts) would: only the runtime's idempotency record then stands
	// between a redelivered event and a double count.
	blind bool

	mu       sync.Mutex
	failFor  map[uuid.UUID]bool // events whose handler always fails
	failures int
	batches  atomic.Int64 // ApplyBatch calls
}

func newCounter(contexts ...string) *counter {
	return &counter{name: "counts", contexts: contexts, failFor: map[uuid.UUID]bool{}}
}

func (c *counter) Name() string       { return c.name }
func (c *counter) Contexts() []string { return c.contexts }

func (c *counter) DDL(string) string {
	return `CREATE TABLE stream_counts (
		stream_id    text PRIMARY KEY,
		events       bigint NOT NULL,
		last_version bigint NOT NULL
	)`
}

func (c *counter) poison(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failFor[id] = true
}

func (c *counter) cure(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.failFor, id)
}

func (c *counter) Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error {
	if ev.Type == unknownType {
		return fmt.Errorf("%w: %s v%d", projector.ErrUnknownEvent, ev.Type, ev.SchemaVersion)
	}
	c.mu.Lock()
	fail := c.failFor[ev.ID]
	if fail {
		c.failures++
	}
	c.mu.Unlock()
	if fail {
		return errors.New("poisoned event")
	}
	if c.slow > 0 {
		time.Sleep(c.slow)
	}
	table := pgx.Identifier{schema, "stream_counts"}.Sanitize()
	if c.blind {
		_, err := tx.Exec(ctx, `INSERT INTO `+table+` AS t (stream_id, events, last_version) VALUES ($1, 1, $2)
			ON CONFLICT (stream_id) DO UPDATE SET events = t.events + 1, last_version = EXCLUDED.last_version`, ev.StreamID, ev.Version)
		return err
	}
	if ev.Version == 1 {
		_, err := tx.Exec(ctx, `INSERT INTO `+table+` (stream_id, events, last_version) VALUES ($1, 1, 1)`, ev.StreamID)
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE `+table+` SET events = events + 1, last_version = $2
		WHERE stream_id = $1 AND last_version = $2 - 1`, ev.StreamID, ev.Version)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("event %d of %s out of order", ev.Version, ev.StreamID)
	}
	return nil
}

// as returns the counter as the runtime sees it: with batch, as a BatchProjection.
func (c *counter) as(batch bool) projector.Projection {
	if batch {
		return batchCounter{c}
	}
	return c
}

// batchCounter is the counter with ApplyBatch: one statement per batch. It fails the whole
// batch if any event would fail alone, so the runtime has to fall back to Apply.
type batchCounter struct{ *counter }

var _ projector.BatchProjection = batchCounter{}

func (c batchCounter) ApplyBatch(ctx context.Context, tx pgx.Tx, schema string, evs []es.RecordedEvent) error {
	c.batches.Add(1)
	type run struct{ n, last int64 }
	runs := map[string]*run{}
	var order []string
	for _, ev := range evs {
		if ev.Type == unknownType {
			return fmt.Errorf("%w: %s v%d", projector.ErrUnknownEvent, ev.Type, ev.SchemaVersion)
		}
		c.mu.Lock()
		fail := c.failFor[ev.ID]
		c.mu.Unlock()
		if fail {
			return errors.New("poisoned event in the batch")
		}
		if c.slow > 0 {
			time.Sleep(c.slow)
		}
		r := runs[ev.StreamID]
		switch {
		case r == nil:
			runs[ev.StreamID] = &run{n: 1, last: ev.Version}
			order = append(order, ev.StreamID)
		case ev.Version != r.last+1:
			return fmt.Errorf("event %d of %s out of order in the batch", ev.Version, ev.StreamID)
		default:
			r.n, r.last = r.n+1, ev.Version
		}
	}
	ids, ns, lasts := make([]string, len(order)), make([]int64, len(order)), make([]int64, len(order))
	for i, id := range order {
		ids[i], ns[i], lasts[i] = id, runs[id].n, runs[id].last
	}
	table := pgx.Identifier{schema, "stream_counts"}.Sanitize()
	if c.blind {
		_, err := tx.Exec(ctx, `INSERT INTO `+table+` AS t (stream_id, events, last_version)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
			ON CONFLICT (stream_id) DO UPDATE SET events = t.events + EXCLUDED.events, last_version = EXCLUDED.last_version`,
			ids, ns, lasts)
		return err
	}
	// A new row must start at version 1 (events = last_version); an existing one continues
	// where it stopped.
	rows, err := tx.Query(ctx, `INSERT INTO `+table+` AS t (stream_id, events, last_version)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
		ON CONFLICT (stream_id) DO UPDATE SET events = t.events + EXCLUDED.events, last_version = EXCLUDED.last_version
			WHERE t.last_version = EXCLUDED.last_version - EXCLUDED.events
		RETURNING xmax = 0, events, last_version`, ids, ns, lasts)
	if err != nil {
		return err
	}
	var (
		inserted     bool
		events, last int64
		n            int
	)
	_, err = pgx.ForEachRow(rows, []any{&inserted, &events, &last}, func() error {
		n++
		if inserted && events != last {
			return fmt.Errorf("a stream starts at version %d", last-events+1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n != len(ids) {
		return fmt.Errorf("%d of %d streams out of order", len(ids)-n, len(ids))
	}
	return nil
}

// harness is one test's database, JetStream streams, event stores and telemetry.
type harness struct {
	t       *testing.T
	db      *pgtest.DB
	nats    *natstest.Env
	stores  map[string]es.Store
	metrics *sdkmetric.ManualReader
	spans   *tracetest.SpanRecorder
	cfg     projector.Config
}

// newHarness prepares a database with the projector's migrations (and extra ones), and
// for each bounded context a memory event store and a JetStream stream. The contexts' real
// names carry the test's prefix: see ctx.
func newHarness(t *testing.T, contexts []string, extra ...pgmigrate.Set) *harness {
	t.Helper()
	db := pgtest.New(t, append(extra, projector.Migrations())...)
	env := natstest.New(t)
	h := &harness{t: t, db: db, nats: env, stores: map[string]es.Store{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	logReaders := map[string]es.LogReader{}
	for _, name := range contexts {
		c := h.ctx(name)
		s := memstore.New()
		h.stores[c], logReaders[c] = s, s
		sc := natsbus.StreamConfig(c, 1, time.Hour)
		sc.Name = c
		if _, err := env.JS.CreateStream(ctx, sc); err != nil {
			t.Fatalf("create stream %s: %v", c, err)
		}
	}
	h.metrics = sdkmetric.NewManualReader()
	h.spans = tracetest.NewSpanRecorder()
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("PROJECTOR_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h.cfg = projector.Config{
		Pool:             db.Pool,
		JetStream:        env.JS,
		Stores:           logReaders,
		Logger:           logger,
		MeterProvider:    sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.metrics)),
		TracerProvider:   sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans)),
		Propagator:       propagation.TraceContext{},
		StreamName:       func(c string) string { return c },
		BatchSize:        50,
		FetchWait:        200 * time.Millisecond,
		AckWait:          time.Second,
		MaxDeliver:       4,
		RetryDelays:      []time.Duration{10 * time.Millisecond, 20 * time.Millisecond},
		GapDelay:         100 * time.Millisecond,
		RebuildBatchSize: 50,
		LagInterval:      100 * time.Millisecond,
	}
	return h
}

// ctx names a bounded context of the test: its JetStream stream and subjects carry the
// test's prefix.
func (h *harness) ctx(name string) string { return h.nats.Prefix + "_" + name }

// useStore replaces the memory store of a context.
func (h *harness) useStore(name string, s es.Store) {
	h.stores[h.ctx(name)], h.cfg.Stores[h.ctx(name)] = s, s
}

func (h *harness) runtime(projections ...projector.Projection) *projector.Runtime {
	h.t.Helper()
	rt, err := projector.New(h.cfg, projections...)
	if err != nil {
		h.t.Fatal(err)
	}
	return rt
}

// start runs rt until the returned stop is called (or the test ends); stop returns Run's
// result.
func (h *harness) start(rt *projector.Runtime) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	var (
		once sync.Once
		err  error
	)
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				err = errors.New("Run did not return within 20s of cancellation")
			}
		})
		return err
	}
	h.t.Cleanup(func() { _ = stop() })
	return stop
}

// startBuilt starts rt and waits until the projection's first generation is built.
func (h *harness) startBuilt(rt *projector.Runtime, projection string) (stop func() error) {
	h.t.Helper()
	stop = h.start(rt)
	eventually(h.t, 15*time.Second, "projection built", func() (bool, string) {
		p, err := rt.Progress(context.Background(), projection)
		return err == nil && p.ActiveGeneration > 0 && p.State == projector.StateLive, fmt.Sprint(p, err)
	})
	return stop
}

// appendEvents appends n events of type typ to stream in appends of up to three events
// (with the given metadata), and returns them as recorded.
func (h *harness) appendEvents(c, stream string, n int, typ string, meta es.Metadata) []es.RecordedEvent {
	h.t.Helper()
	ctx := context.Background()
	store := h.stores[c]
	var from int64
	if evs, err := store.ReadStreamBackward(ctx, stream, es.StreamEnd, 1); err != nil {
		h.t.Fatal(err)
	} else if len(evs) == 1 {
		from = evs[0].Version
	}
	for left := n; left > 0; {
		k := min(left, 3)
		data := make([]es.EventData, k)
		for i := range data {
			data[i] = es.EventData{Type: typ, Payload: fmt.Appendf(nil, "payload of %s", stream), Metadata: meta}
		}
		if _, err := store.Append(ctx, stream, es.Any, data); err != nil {
			h.t.Fatalf("append to %s: %v", stream, err)
		}
		left -= k
	}
	evs, err := store.ReadStream(ctx, stream, from+1, n)
	if err != nil || len(evs) != n {
		h.t.Fatalf("read back %s: %d events, %v", stream, len(evs), err)
	}
	return evs
}

// publish puts events on JetStream the way the relay does.
func (h *harness) publish(c string, evs ...es.RecordedEvent) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, ev := range evs {
		if _, err := h.nats.JS.PublishMsg(ctx, natsbus.Encode(natsbus.Subject(c, ev), ev)); err != nil {
			h.t.Fatalf("publish: %v", err)
		}
	}
}

// counts reads the sample projection through its read schema.
func counts(ctx context.Context, db *pgxpool.Pool, projection string) (map[string][2]int64, error) {
	rows, err := db.Query(ctx, `SELECT stream_id, events, last_version FROM `+pgx.Identifier{projection, "stream_counts"}.Sanitize())
	if err != nil {
		return nil, err
	}
	out := map[string][2]int64{}
	var (
		id   string
		n, v int64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &n, &v}, func() error {
		out[id] = [2]int64{n, v}
		return nil
	})
	return out, err
}

// expectedCounts is what a fresh build of the sample projection holds: every event of
// every stream of the stores.
func (h *harness) expectedCounts() map[string][2]int64 {
	h.t.Helper()
	out := map[string][2]int64{}
	for _, s := range h.stores {
		var after es.Position
		for {
			evs, err := s.ReadAll(context.Background(), after, 1000)
			if err != nil {
				h.t.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			for _, ev := range evs {
				if ev.Type != changedType {
					continue
				}
				c := out[ev.StreamID]
				out[ev.StreamID] = [2]int64{c[0] + 1, ev.Version}
			}
			after = evs[len(evs)-1].Position
		}
	}
	return out
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s: %s", timeout, what, detail)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// countsReach waits until the projection holds want.
func (h *harness) countsReach(projection string, want map[string][2]int64, timeout time.Duration) {
	h.t.Helper()
	eventually(h.t, timeout, "projection reaches the expected counts", func() (bool, string) {
		got, err := counts(context.Background(), h.db.Pool, projection)
		if err != nil {
			return false, err.Error()
		}
		if len(got) != len(want) {
			return false, fmt.Sprintf("got %d streams, want %d: %v", len(got), len(want), got)
		}
		for k, v := range want {
			if got[k] != v {
				return false, fmt.Sprintf("stream %s: got %v, want %v", k, got[k], v)
			}
		}
		return true, ""
	})
}

// counter sums an Int64 counter's data points whose attributes include attrs.
func (h *harness) counter(name string, attrs map[string]string) int64 {
	h.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.metrics.Collect(context.Background(), &rm); err != nil {
		h.t.Fatal(err)
	}
	var sum int64
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
		next:
			for _, p := range points {
				for k, v := range attrs {
					if got, ok := p.Attributes.Value(attribute.Key(k)); !ok || got.AsString() != v {
						continue next
					}
				}
				sum += p.Value
			}
		}
	}
	return sum
}

// consumerInfo returns the projection's consumer on context c.
func (h *harness) consumerInfo(c string) *jetstream.ConsumerInfo {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cons, err := h.nats.JS.Consumer(ctx, c, "projector_counts")
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return info
}

// inBothApplyModes runs test with the counter as a plain Projection and as a BatchProjection.
func inBothApplyModes(t *testing.T, test func(t *testing.T, batch bool)) {
	for _, batch := range []bool{false, true} {
		name := "Apply"
		if batch {
			name = "ApplyBatch"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, batch)
		})
	}
}
