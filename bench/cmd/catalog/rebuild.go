package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/compare"
	"github.com/storefront/storefront/bench/internal/load"
	"github.com/storefront/storefront/bench/internal/pgwait"
	"github.com/storefront/storefront/bench/internal/proccpu"
	"github.com/storefront/storefront/bench/internal/workload"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/projector"
	readmodel "github.com/storefront/storefront/projections/catalog"
)

// Goals of figures (b) and (c).
const (
	rebuildGoal = 0.3
	// apiRebuildGoal: a rebuild asked for through the operators' API against the same read
	// model built set-based (issue 19).
	apiRebuildGoal = 0.5
	// rebuildBudgetPerProduct is the budget of catalog.rebuild.seconds: a minute per 100k
	// products, so that an operator's `projector rebuild catalog_products` of a large catalog
	// fits a deploy window, and far below the time the catalog takes to load them (decision 012).
	rebuildBudgetPerProduct = 600 * time.Microsecond
	pageSize                = 1000
)

// rebuilder is a projector runtime set up as projections/cmd/projector sets it up: the read
// models' pool, and the catalog's event store read through es.LogReader in read-only sessions.
type rebuilder struct {
	rt     *projector.Runtime
	events *pgxpool.Pool
	rm     *pgxpool.Pool
}

// logReader narrows the store to the read API the projector uses (decision 004).
type logReader struct{ es.LogReader }

func (b *bench) newRebuilder(ctx context.Context, projections ...projector.Projection) (*rebuilder, error) {
	r := &rebuilder{}
	var err error
	if r.rm, err = postgres.NewPool(ctx, postgres.PoolConfig{URL: b.fleet.DatabaseURL}); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(b.fleet.DatabaseURL)
	if err != nil {
		r.close()
		return nil, err
	}
	pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pc.MinConns, pc.MaxConns = 1, 8
	if r.events, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		r.close()
		return nil, err
	}
	store, err := postgres.New(r.events, readmodel.Context)
	if err != nil {
		r.close()
		return nil, err
	}
	if r.rt, err = projector.New(projector.Config{
		Pool:   r.rm,
		Stores: map[string]es.LogReader{readmodel.Context: logReader{store}},
	}, projections...); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *rebuilder) close() {
	if r.events != nil {
		r.events.Close()
	}
	if r.rm != nil {
		r.rm.Close()
	}
}

// timedRebuild rebuilds name and returns its progress and how long the read phase (until
// every event was applied) and the whole rebuild (indexes and switch included) took.
func (r *rebuilder) timedRebuild(ctx context.Context, name string, events int64) (prog projector.Progress, caughtUp, took time.Duration, err error) {
	start := time.Now()
	var caught atomic.Int64
	pctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for pctx.Err() == nil {
			if p, err := r.rt.Progress(pctx, name); err == nil && p.State == projector.StateRebuilding && p.Applied >= events {
				caught.CompareAndSwap(0, int64(time.Since(start)))
			}
			select {
			case <-pctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	err = r.rt.Rebuild(ctx, name)
	took = time.Since(start)
	stop()
	wg.Wait()
	if err != nil {
		return prog, 0, 0, err
	}
	prog, err = r.rt.Progress(ctx, name)
	return prog, time.Duration(caught.Load()), took, err
}

// rebuildRate is figure (b): Runtime.Rebuild of projections/catalog from the catalog's
// events vs a raw keyset scan of the same events table, best of -rebuild-rounds each,
// interleaved.
func (b *bench) rebuildRate(ctx context.Context) error {
	r, err := b.newRebuilder(ctx, readmodel.New(), noop{})
	if err != nil {
		return err
	}
	defer r.close()
	var bestRaw, bestOurs, bestNoop float64
	for round := range b.cfg.rebuildRounds {
		n, took, err := workload.RawScan(ctx, b.pool, pgx.Identifier{readmodel.Context, "events"}, pageSize)
		if err != nil {
			return err
		}
		if n != b.events {
			return fmt.Errorf("the raw scan read %d rows, the table holds %d", n, b.events)
		}
		bestRaw = max(bestRaw, float64(n)/took.Seconds())
		b.note("rebuild: round %d: raw keyset scan of catalog.events, pages of %d: %d rows in %s = %.0f rows/s",
			round+1, pageSize, n, took.Round(time.Millisecond), float64(n)/took.Seconds())

		before := proccpu.Take()
		waits := pgwait.Start(ctx, b.pool, readmodel.Name+"_g", 20*time.Millisecond)
		prog, caughtUp, took, err := r.timedRebuild(ctx, readmodel.Name, b.events)
		seen := waits.Stop()
		after := proccpu.Take()
		if err != nil {
			return err
		}
		rate := float64(prog.Applied) / took.Seconds()
		bestOurs = max(bestOurs, rate)
		b.note("rebuild: round %d: Runtime.Rebuild(%s) to generation %d: %d events in %s = %.0f events/s; all applied after %s, then indexes + switch %s",
			round+1, readmodel.Name, prog.ActiveGeneration, prog.Applied, took.Round(time.Millisecond), rate,
			caughtUp.Round(time.Millisecond), (took - caughtUp).Round(time.Millisecond))
		b.note("rebuild: round %d: CPU per 1000 events:%s", round+1, compare.CPUPerOp(b.procs.Usage(before, after), float64(prog.Applied)/1000))
		b.note("rebuild: round %d: the read model's sessions: %s", round+1, seen)

		prog, _, took, err = r.timedRebuild(ctx, noop{}.Name(), b.events)
		if err != nil {
			return err
		}
		bestNoop = max(bestNoop, float64(prog.Applied)/took.Seconds())
		b.note("rebuild: round %d: diagnosis: the same runtime with a projection that writes nothing: %d events in %s = %.0f events/s",
			round+1, prog.Applied, took.Round(time.Millisecond), float64(prog.Applied)/took.Seconds())
	}
	if err := b.diagnoseApply(ctx); err != nil {
		return err
	}
	if err := b.analyzeReadModel(ctx); err != nil {
		return err
	}
	b.report(benchline.Result{Name: "catalog.rebuild.rate", Ours: bestOurs, Limit: bestRaw, Unit: "events/s", Goal: rebuildGoal})
	return nil
}

// rebuildUnderLoad is figure (c): a blue/green rebuild of the catalog read model while
// -read-conns connections read through the edge (search pages, filtered lists, product
// pages by id and by slug); every failed or non-200 response counts, from 2 s before the
// rebuild starts until 2 s after it switched.
func (b *bench) rebuildUnderLoad(ctx context.Context) error {
	if len(b.searches) == 0 {
		b.searches = searchTerms()
	}
	var urls []string
	for i := range 200 {
		urls = append(urls, b.fleet.BaseURL+"/api/v1/products/"+b.ids[i%len(b.ids)])
		urls = append(urls, b.fleet.BaseURL+"/api/v1/products/"+b.slugs[(i+7)%len(b.slugs)])
		if i%4 == 0 {
			s := b.searches[(i/4)%len(b.searches)]
			urls = append(urls, b.fleet.BaseURL+s.path())
			urls = append(urls, b.fleet.BaseURL+"/api/v1/products?category="+s.category+"&in_stock=true&sort=price_asc&page=2&per_page=20")
		}
	}
	token, err := b.adminToken(ctx)
	if err != nil {
		return err
	}

	client := load.NewClient(b.cfg.readConns)
	op := getter(client, urls)
	type failure struct {
		at  time.Duration
		err error
	}
	var (
		mu       sync.Mutex
		failures []failure
		lat      = map[string][]time.Duration{}
		phase    atomic.Value
		ok       atomic.Int64
		wg       sync.WaitGroup
	)
	phase.Store("before")
	lctx, stopLoad := context.WithCancel(ctx)
	t0 := time.Now()
	// The workers stop between requests: a request cancelled by the benchmark would be
	// logged by the edge as a failure that no visitor saw. With -read-rate they take turns
	// from a ticker: a busy shop's steady traffic, not a saturating loop.
	var stopping atomic.Bool
	defer stopLoad()
	var turns chan struct{}
	if b.cfg.readRate > 0 {
		turns = make(chan struct{}, b.cfg.readConns)
		wg.Go(func() {
			t := time.NewTicker(time.Duration(float64(time.Second) / b.cfg.readRate))
			defer t.Stop()
			for !stopping.Load() && lctx.Err() == nil {
				<-t.C
				select {
				case turns <- struct{}{}:
				default: // every worker is busy: the load falls behind, as a closed loop would
				}
			}
			close(turns)
		})
	}
	for w := range b.cfg.readConns {
		wg.Go(func() {
			for !stopping.Load() && lctx.Err() == nil {
				if turns != nil {
					if _, ok := <-turns; !ok {
						return
					}
				}
				began := time.Now()
				err := op(lctx, w)
				d := time.Since(began)
				if lctx.Err() != nil {
					return
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, failure{at: time.Since(t0), err: err})
				} else {
					ok.Add(1)
					p := phase.Load().(string)
					lat[p] = append(lat[p], d)
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(2 * time.Second)
	phase.Store("during")
	rebuildAt := time.Since(t0)
	before := proccpu.Take()
	took, samples, backwards, rerr := b.apiRebuild(ctx, token)
	after := proccpu.Take()
	phase.Store("after")
	time.Sleep(2 * time.Second)
	stopping.Store(true)
	wg.Wait()
	if rerr != nil {
		return rerr
	}
	mu.Lock()
	defer mu.Unlock()
	total := ok.Load() + int64(len(failures))
	b.note("switch: %d reads (%.0f/s, -read-rate %.0f) by %d connections from 2 s before to 2 s after the rebuild; %d failed",
		total, float64(total)/time.Since(t0).Seconds(), b.cfg.readRate, b.cfg.readConns, len(failures))
	for i, f := range failures {
		if i == 5 {
			break
		}
		b.note("switch: failure at %s (rebuild started at %s, took %s): %v", f.at.Round(time.Millisecond),
			rebuildAt.Round(time.Millisecond), took.Round(time.Millisecond), f.err)
	}
	for _, p := range []string{"before", "during", "after"} {
		ds := lat[p]
		slices.Sort(ds)
		if len(ds) == 0 {
			continue
		}
		b.note("switch: reads %s the rebuild: n=%d p50=%s p99=%s max=%s", p, len(ds), ds[len(ds)/2].Round(time.Microsecond),
			ds[min(len(ds)-1, len(ds)*99/100)].Round(time.Microsecond), ds[len(ds)-1].Round(time.Millisecond))
	}
	ours := float64(b.events) / took.Seconds()
	b.note("switch: POST /admin/projections/%s/rebuild under read load: %d events read and switched in %s after the request = %.0f events/s (the projector runs it; the request reaches it within a second)",
		readmodel.Name, b.events, took.Round(time.Millisecond), ours)
	b.note("switch: progress sampled %d times through GET /admin/projections while rebuilding; %d went back", samples, backwards)
	b.note("switch: CPU during the rebuild, per 1000 events:%s", compare.CPUPerOp(b.procs.Usage(before, after), float64(b.events)/1000))
	if err := b.analyzeReadModel(ctx); err != nil {
		return err
	}
	// The rate figure compares like with like: the API's rebuild and the set-based build,
	// each on an otherwise idle fleet (the read load above shares PostgreSQL's CPU with the
	// rebuild, which is what failed_reads and seconds are about).
	quiet, qSamples, qBackwards, err := b.apiRebuild(ctx, token)
	if err != nil {
		return err
	}
	samples, backwards = samples+qSamples, backwards+qBackwards
	oursQuiet := float64(b.events) / quiet.Seconds()
	b.note("switch: the same request without read load: switched in %s after the request = %.0f events/s", quiet.Round(time.Millisecond), oursQuiet)
	n, setTook, err := b.setBasedBuild(ctx)
	if err != nil {
		return err
	}
	limit := float64(n) / setTook.Seconds()
	b.note("switch: limit: the same products and categories built set-based from the same %d events (scan + decode + COPY to staging, one INSERT … SELECT per table, the same indexes), no read load, in %s = %.0f events/s",
		n, setTook.Round(time.Millisecond), limit)
	b.report(benchline.Result{Name: "catalog.rebuild.api", Ours: oursQuiet, Limit: limit, Unit: "events/s", Goal: apiRebuildGoal})
	b.report(benchline.Result{Name: "catalog.rebuild.progress_backwards", Ours: float64(backwards), Limit: float64(samples),
		Unit: "samples", Goal: 0, LowerIsBetter: true})
	budget := time.Duration(b.cfg.products) * rebuildBudgetPerProduct
	b.report(benchline.Result{Name: "catalog.rebuild.failed_reads", Ours: float64(len(failures)), Limit: float64(total),
		Unit: "requests", Goal: 0, LowerIsBetter: true})
	b.report(benchline.Result{Name: "catalog.rebuild.seconds", Ours: took.Seconds(), Limit: budget.Seconds(), Unit: "s", Goal: 1,
		LowerIsBetter: true})
	return nil
}

// noop is a projection over the catalog's events that writes nothing: a rebuild of it is the
// runtime's and the store's own cost.
type noop struct{}

func (noop) Name() string                                                  { return "bench_catalog_noop" }
func (noop) Contexts() []string                                            { return []string{readmodel.Context} }
func (noop) DDL(string) string                                             { return "CREATE TABLE nothing (x int)" }
func (noop) Apply(context.Context, pgx.Tx, string, es.RecordedEvent) error { return nil }
func (noop) ApplyBatch(context.Context, pgx.Tx, string, []es.RecordedEvent) error {
	return nil
}

// diagnoseApply measures, on the server alone (no client, no events to decode), what
// materialising the products table costs: copying the rows into a table of the same shape
// with and without the generated search vector, and computing each part of the vector.
// It is the floor of any rebuild that builds this table.
func (b *bench) diagnoseApply(ctx context.Context) error {
	var gen int
	if err := b.pool.QueryRow(ctx, `SELECT active_generation FROM projector.projections WHERE name = $1`, readmodel.Name).Scan(&gen); err != nil {
		return err
	}
	src := pgx.Identifier{fmt.Sprintf("%s_g%d", readmodel.Name, gen), "products"}.Sanitize()
	cols := `id, sku, name, slug, description, category, brand, price_minor, currency, specs, images, on_hand, stock,
		rating_average, rating_count, status, created_at, updated_at`
	// One session without parallel workers: a rebuild applies in one session too.
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET max_parallel_workers_per_gather = 0`); err != nil {
		return err
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), `RESET max_parallel_workers_per_gather`) }()
	timed := func(sql string) (time.Duration, error) {
		start := time.Now()
		_, err := conn.Exec(ctx, sql)
		return time.Since(start), err
	}
	steps := []struct{ what, sql string }{
		{"CREATE SCHEMA", `DROP SCHEMA IF EXISTS bench_scratch CASCADE; CREATE SCHEMA bench_scratch`},
		// Only the primary keys, as while a rebuild applies (the other indexes are deferred).
		{"tables", `CREATE TABLE bench_scratch.full (LIKE ` + src + ` INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED);
			ALTER TABLE bench_scratch.full ADD PRIMARY KEY (id);
			CREATE TABLE bench_scratch.plain (LIKE ` + src + ` INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
			ALTER TABLE bench_scratch.plain DROP COLUMN search, ADD PRIMARY KEY (id)`},
		{"insert with the search vector", `INSERT INTO bench_scratch.full (` + cols + `) SELECT ` + cols + ` FROM ` + src},
		{"insert without it", `INSERT INTO bench_scratch.plain (` + cols + `) SELECT ` + cols + ` FROM ` + src},
		{"to_tsvector(name)", `SELECT sum(length(to_tsvector('english', name))) FROM ` + src},
		{"to_tsvector(brand)", `SELECT sum(length(to_tsvector('english', brand))) FROM ` + src},
		{"to_tsvector(description)", `SELECT sum(length(to_tsvector('english', description))) FROM ` + src},
		{"jsonb_to_tsvector(specs)", `SELECT sum(length(jsonb_to_tsvector('english', specs, '["string"]'))) FROM ` + src},
		{"the whole vector expression", `SELECT sum(length(
			setweight(to_tsvector('english'::regconfig, name), 'A') ||
			setweight(to_tsvector('english'::regconfig, brand), 'B') ||
			setweight(to_tsvector('english'::regconfig, description), 'C') ||
			setweight(jsonb_to_tsvector('english'::regconfig, specs, '["string"]'), 'D'))) FROM ` + src},
		{"insert with a stored copy of the vector (no computing)", `CREATE TABLE bench_scratch.copied AS SELECT * FROM bench_scratch.plain WITH NO DATA;
			ALTER TABLE bench_scratch.copied ADD COLUMN search tsvector, ADD PRIMARY KEY (id);
			INSERT INTO bench_scratch.copied (` + cols + `, search) SELECT ` + cols + `, search FROM ` + src},
		{"scan only", `SELECT sum(length(description)) FROM ` + src},
	}
	var parts []string
	for _, s := range steps {
		took, err := timed(s.sql)
		if err != nil {
			return fmt.Errorf("diagnosis %s: %w", s.what, err)
		}
		if s.what == "CREATE SCHEMA" || s.what == "tables" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.1f µs", s.what, float64(took.Microseconds())/float64(b.cfg.products)))
	}
	var avg float64
	if err := b.pool.QueryRow(ctx, `SELECT avg(pg_column_size(search)) FROM `+src).Scan(&avg); err != nil {
		return err
	}
	b.note("rebuild: diagnosis: server-side cost per product (one session, no client): %s; the stored vector averages %.0f bytes", joinParts(parts), avg)
	if _, err := b.pool.Exec(ctx, `DROP SCHEMA bench_scratch CASCADE`); err != nil {
		return err
	}
	return nil
}

func joinParts(p []string) string {
	out := ""
	for i, s := range p {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}
