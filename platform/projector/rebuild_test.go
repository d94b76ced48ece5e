package projector_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/projector"
)

func TestRebuild_WhileLive_SwitchesWithoutAFailedRead(t *testing.T) {
	inBothApplyModes(t, testRebuildWhileLiveSwitchesWithoutAFailedRead)
}

func testRebuildWhileLiveSwitchesWithoutAFailedRead(t *testing.T, batch bool) {
	h := newHarness(t, []string{"catalog"})
	bc := h.ctx("catalog")
	proj := newCounter(bc)
	proj.slow = 100 * time.Microsecond
	rt := h.runtime(proj.as(batch))
	h.startBuilt(rt, "counts")
	const streams = 20
	for i := range streams {
		h.publish(bc, h.appendEvents(bc, fmt.Sprintf("product-%02d", i), 50, changedType, es.Metadata{})...)
	}
	h.countsReach("counts", h.expectedCounts(), 20*time.Second)

	ctx := context.Background()
	var (
		wg                      sync.WaitGroup
		stopReaders, stopWriter = make(chan struct{}), make(chan struct{})
		reads, failures, shrank atomic.Int64
		lastErr                 atomic.Value
	)
	// Readers query the read schema continuously, each checking that what it sees never
	// shrinks (the new generation is never behind the old one).
	for range 4 {
		wg.Go(func() {
			var prev int64
			for {
				select {
				case <-stopReaders:
					return
				default:
				}
				var rows, events int64
				err := h.db.Pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(events), 0)::bigint FROM counts.stream_counts`).Scan(&rows, &events)
				reads.Add(1)
				if err != nil {
					failures.Add(1)
					lastErr.Store(err.Error())
					continue
				}
				if events < prev {
					shrank.Add(1)
				}
				prev = events
			}
		})
	}
	// A writer keeps appending and publishing while the rebuild runs.
	var writer sync.WaitGroup
	writer.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stopWriter:
				return
			case <-time.After(10 * time.Millisecond):
			}
			h.publish(bc, h.appendEvents(bc, fmt.Sprintf("product-%02d", rand.IntN(streams+5)), 1+i%3, changedType, es.Metadata{})...)
		}
	})
	// The progress as an operator would poll it.
	var (
		seen     []projector.Progress
		seenMu   sync.Mutex
		stopPoll = make(chan struct{})
		poller   sync.WaitGroup
	)
	poller.Go(func() {
		for {
			select {
			case <-stopPoll:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if p, err := rt.Progress(ctx, "counts"); err == nil && p.State == projector.StateRebuilding {
				seenMu.Lock()
				seen = append(seen, p)
				seenMu.Unlock()
			}
		}
	})

	time.Sleep(100 * time.Millisecond)
	if err := rt.Rebuild(ctx, "counts"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	close(stopWriter)
	writer.Wait()
	close(stopPoll)
	poller.Wait()
	h.countsReach("counts", h.expectedCounts(), 20*time.Second)
	close(stopReaders)
	wg.Wait()

	if n := failures.Load(); n != 0 {
		t.Errorf("%d of %d reads failed; last: %v", n, reads.Load(), lastErr.Load())
	}
	if shrank.Load() != 0 {
		t.Errorf("%d reads saw fewer events than the read before", shrank.Load())
	}
	if reads.Load() < 20 {
		t.Errorf("only %d reads", reads.Load())
	}
	t.Logf("%d reads during the rebuild", reads.Load())

	// Progress was reported while rebuilding, and the rebuild ended live on generation 2.
	var progressed bool
	for _, p := range seen {
		if p.BuildingGeneration == 2 && p.ActiveGeneration == 1 && p.Position > 0 && p.Total >= p.Position &&
			p.EventsPerSecond > 0 && p.ETASeconds >= 0 && !p.StartedAt.IsZero() {
			progressed = true
		}
	}
	if !progressed {
		t.Errorf("no rebuilding progress with position, total, rate and ETA seen among %d: %+v", len(seen), seen)
	}
	p, err := rt.Progress(ctx, "counts")
	if err != nil || p.State != projector.StateLive || p.ActiveGeneration != 2 || p.BuildingGeneration != 0 ||
		p.Position == 0 || p.Position != p.Total || p.SwitchedAt.IsZero() {
		t.Errorf("after the rebuild: %+v, %v", p, err)
	}
	assertGenerations(t, h, "counts", 2)
	if parked, err := rt.Parked(ctx, "counts"); err != nil || len(parked) != 0 {
		t.Errorf("parked %+v, %v", parked, err)
	}

	// A fresh build gives the same read model.
	before, err := counts(ctx, h.db.Pool, "counts")
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Rebuild(ctx, "counts"); err != nil {
		t.Fatal(err)
	}
	assertGenerations(t, h, "counts", 3)
	h.countsReach("counts", before, 5*time.Second)
}

// assertGenerations checks that only the active generation's schema is left and that the
// views read it.
func assertGenerations(t *testing.T, h *harness, projection string, active int) {
	t.Helper()
	ctx := context.Background()
	rows, err := h.db.Pool.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 || '%' ORDER BY 1`, projection)
	if err != nil {
		t.Fatal(err)
	}
	var schemas []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		schemas = append(schemas, s)
	}
	if want := []string{projection, fmt.Sprintf("%s_g%d", projection, active)}; fmt.Sprint(schemas) != fmt.Sprint(want) {
		t.Errorf("schemas %v, want %v", schemas, want)
	}
	var def string
	if err := h.db.Pool.QueryRow(ctx, `SELECT definition FROM pg_views WHERE schemaname = $1 AND viewname = 'stream_counts'`, projection).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, fmt.Sprintf("%s_g%d.stream_counts", projection, active)) {
		t.Errorf("view reads %q, want generation %d", def, active)
	}
}

func TestRebuild_FromSeveralStores_ResumesAfterInterruption(t *testing.T) {
	inBothApplyModes(t, testRebuildFromSeveralStoresResumesAfterInterruption)
}

func testRebuildFromSeveralStoresResumesAfterInterruption(t *testing.T, batch bool) {
	h := newHarness(t, []string{"catalog", "reviews"}, postgres.Migrations("catalog_es"))
	pg, err := postgres.New(h.db.Pool, "catalog_es")
	if err != nil {
		t.Fatal(err)
	}
	h.useStore("catalog", pg)
	catalog, reviews := h.ctx("catalog"), h.ctx("reviews")
	for i := range 6 {
		h.appendEvents(catalog, fmt.Sprintf("product-%d", i), 40, changedType, es.Metadata{})
		h.appendEvents(reviews, fmt.Sprintf("review-%d", i), 20, changedType, es.Metadata{})
	}
	proj := newCounter(catalog, reviews)
	proj.slow = 2 * time.Millisecond
	rt := h.runtime(proj.as(batch)) // no Run: JetStream plays no part in a rebuild

	// Interrupt the first build after some batches have committed; a concurrent rebuild is
	// refused meanwhile.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- rt.Rebuild(ctx, "counts") }()
	eventually(t, 15*time.Second, "rebuild under way", func() (bool, string) {
		p, err := rt.Progress(context.Background(), "counts")
		return err == nil && p.State == projector.StateRebuilding && p.Position > 0, fmt.Sprint(p, err)
	})
	if err := rt.Rebuild(context.Background(), "counts"); !errors.Is(err, projector.ErrRebuildRunning) {
		t.Errorf("concurrent Rebuild = %v, want ErrRebuildRunning", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Rebuild = %v, want context.Canceled", err)
	}
	p, err := rt.Progress(context.Background(), "counts")
	if err != nil || p.State != projector.StateFailed || p.BuildingGeneration != 1 || p.ActiveGeneration != 0 ||
		p.Applied == 0 || p.Applied >= 360 || !strings.Contains(p.Error, "context canceled") {
		t.Fatalf("after the interruption: %+v, %v", p, err)
	}

	proj.slow = 0
	if err := rt.Rebuild(context.Background(), "counts"); err != nil {
		t.Fatal(err)
	}
	p, err = rt.Progress(context.Background(), "counts")
	if err != nil || p.State != projector.StateLive || p.ActiveGeneration != 1 || p.Applied != 360 {
		t.Fatalf("after resuming: %+v, %v (want generation 1 resumed and every event read once)", p, err)
	}
	h.countsReach("counts", h.expectedCounts(), 5*time.Second)
	if parked, err := rt.Parked(context.Background(), "counts"); err != nil || len(parked) != 0 {
		t.Errorf("parked %+v, %v", parked, err)
	}
	assertGenerations(t, h, "counts", 1)
}

func TestRebuild_PoisonedEvent_BlocksItsStreamAcrossBatches(t *testing.T) {
	inBothApplyModes(t, testRebuildPoisonedEventBlocksItsStreamAcrossBatches)
}

func testRebuildPoisonedEventBlocksItsStreamAcrossBatches(t *testing.T, batch bool) {
	h := newHarness(t, []string{"catalog"})
	h.cfg.RebuildBatchSize = 7 // the blocked stream spans several batches
	bc := h.ctx("catalog")
	bad := h.appendEvents(bc, "product-bad", 30, changedType, es.Metadata{})
	h.appendEvents(bc, "product-good", 30, changedType, es.Metadata{})
	proj := newCounter(bc)
	proj.poison(bad[4].ID)
	rt := h.runtime(proj.as(batch))
	if err := rt.Rebuild(context.Background(), "counts"); err != nil {
		t.Fatal(err)
	}
	h.countsReach("counts", map[string][2]int64{"product-bad": {4, 4}, "product-good": {30, 30}}, 5*time.Second)
	parked, err := rt.Parked(context.Background(), "counts")
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 26 {
		t.Fatalf("%d parked, want 26 (version 5 and the 25 after it)", len(parked))
	}
	for i, p := range parked {
		want := projector.ReasonStreamBlocked
		if i == 0 {
			want = projector.ReasonHandlerFailed
		}
		if p.StreamID != "product-bad" || p.Version != int64(5+i) || p.Reason != want {
			t.Errorf("parked[%d] = %s v%d %s, want product-bad v%d %s", i, p.StreamID, p.Version, p.Reason, 5+i, want)
		}
	}
	if n := proj.batches.Load(); batch != (n > 0) {
		t.Errorf("ApplyBatch called %d times, want calls only for a BatchProjection", n)
	}

	// The live consumer continues on the rebuilt generation: the stream stays blocked there.
	h.start(rt)
	h.publish(bc, h.appendEvents(bc, "product-bad", 1, changedType, es.Metadata{})...)
	eventually(t, 15*time.Second, "the live event parked behind the block", func() (bool, string) {
		p, err := rt.Parked(context.Background(), "counts")
		return err == nil && len(p) == 27 && p[26].Version == 31 && p[26].Reason == projector.ReasonStreamBlocked, fmt.Sprint(len(p), err)
	})
}

// indexedCounter is the counter with a deferred index; it records whether the index
// existed whenever it applied an event.
type indexedCounter struct {
	*counter
	mu                  sync.Mutex
	withIdx, withoutIdx int
}

func (c *indexedCounter) Indexes(string) string {
	return `CREATE INDEX IF NOT EXISTS stream_counts_by_events ON stream_counts (events)`
}

func (c *indexedCounter) Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, schema+".stream_counts_by_events").Scan(&exists); err != nil {
		return err
	}
	c.mu.Lock()
	if exists {
		c.withIdx++
	} else {
		c.withoutIdx++
	}
	c.mu.Unlock()
	return c.counter.Apply(ctx, tx, schema, ev)
}

func TestRebuild_CreatesDeferredIndexesAfterCatchingUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"catalog"})
	bc := h.ctx("catalog")
	h.appendEvents(bc, "product-1", 20, changedType, es.Metadata{})
	proj := &indexedCounter{counter: newCounter(bc)}
	var _ projector.IndexedProjection = proj
	rt := h.runtime(proj)
	h.startBuilt(rt, "counts")
	h.publish(bc, h.appendEvents(bc, "product-1", 5, changedType, es.Metadata{})...)
	h.countsReach("counts", h.expectedCounts(), 15*time.Second)

	proj.mu.Lock()
	with, without := proj.withIdx, proj.withoutIdx
	proj.mu.Unlock()
	if without != 20 || with != 5 {
		t.Errorf("applied %d events without the index and %d with it; want the 20 of the build without, the 5 live ones with", without, with)
	}
	var n int
	if err := h.db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM pg_indexes WHERE schemaname = 'counts_g1' AND indexname = 'stream_counts_by_events'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("index in the active generation: %d, %v", n, err)
	}
}

// TestRun_ChangedDefinition_RebuildsBlueGreenAtStart: a projector whose projection reads one
// more context than the active generation was built from (an upgrade) rebuilds it from every
// store at start; a restart with the same definition rebuilds nothing.
func TestRun_ChangedDefinition_RebuildsBlueGreenAtStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []string{"catalog", "reviews"})
	cc, rc := h.ctx("catalog"), h.ctx("reviews")
	h.appendEvents(cc, "product-1", 5, changedType, es.Metadata{})
	h.appendEvents(rc, "review-1", 3, changedType, es.Metadata{})

	stop := h.startBuilt(h.runtime(newCounter(cc)), "counts")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got, err := counts(context.Background(), h.db.Pool, "counts"); err != nil || len(got) != 1 {
		t.Fatalf("first generation: %v, %v; want product-1 only", got, err)
	}

	rt := h.runtime(newCounter(cc, rc))
	stop = h.start(rt)
	eventually(t, 15*time.Second, "rebuilt with both contexts", func() (bool, string) {
		p, err := rt.Progress(context.Background(), "counts")
		return err == nil && p.ActiveGeneration == 2 && p.State == projector.StateLive, fmt.Sprint(p, err)
	})
	h.countsReach("counts", h.expectedCounts(), 15*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	rt = h.runtime(newCounter(cc, rc))
	stop = h.start(rt)
	h.publish(cc, h.appendEvents(cc, "product-1", 2, changedType, es.Metadata{})...)
	h.countsReach("counts", h.expectedCounts(), 15*time.Second)
	if p, err := rt.Progress(context.Background(), "counts"); err != nil || p.ActiveGeneration != 2 {
		t.Fatalf("a restart with the same definition: %v, %v; want generation 2 still", p, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
