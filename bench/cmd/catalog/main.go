// Command catalog benchmarks the catalog's read side on a fleet started as `make run` starts
// it, loaded with a generated catalog of -products products through the catalog's gRPC
// commands (services/catalog/demo), and prints BENCH lines
// (docs/decisions/013-catalog-benchmarks-and-cache.md):
//
//   - catalog.search.50conns (+ .p50, .p99): a full-text search with a category filter
//     through the REST edge at 50 connections vs the same SQL (projections/catalog.Queries)
//     run by 50 goroutines in this process; goal ≥ 0.5×.
//   - catalog.rebuild.rate: rebuilding the catalog read model from the catalog's events
//     (projector.Runtime.Rebuild) vs a raw keyset scan of the same events table; goal ≥ 0.3×.
//   - catalog.rebuild.failed_reads and catalog.rebuild.seconds: a blue/green rebuild asked for
//     through the operators' API (POST /admin/projections/catalog_products/rebuild) under read
//     load through the edge: failed requests (goal 0) and its seconds against a budget;
//     catalog.rebuild.api: its events/s vs the same read model built set-based from the same
//     events (decode once, COPY, one INSERT … SELECT per table, the same indexes), goal ≥ 0.5×;
//     catalog.rebuild.progress_backwards: API progress samples that went back (goal 0).
//   - catalog.cache.product / catalog.cache.search: the Redis page cache (an identical twin of
//     the catalog and the edge, cache on) vs the fleet's (cache off), same requests.
//
// Load comes from this process and goes to 127.0.0.1 only. Lines starting with # explain.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/compare"
	"github.com/storefront/storefront/bench/internal/fleet"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	"github.com/storefront/storefront/services/catalog/demo"
)

// The fleet's admin, who asks for the rebuild of figure (c) through the operators' API.
const (
	benchAdminEmail    = "bench-admin@storefront.test"
	benchAdminPassword = "operator-rebuilds-42"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench catalog:", err)
		os.Exit(1)
	}
}

type config struct {
	products      int
	seed          int64
	loadWorkers   int
	conns         int
	readConns     int
	readRate      float64
	duration      time.Duration
	rounds        int
	warmup        time.Duration
	rebuildRounds int
	timeout       time.Duration
	only          string
	cpuprofile    string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	var cfg config
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	fs.IntVar(&cfg.products, "products", 100_000, "generated products to load")
	fs.Int64Var(&cfg.seed, "seed", 1, "seed of the generated catalog")
	fs.IntVar(&cfg.loadWorkers, "load-workers", 16, "CreateProduct calls in flight while loading")
	fs.IntVar(&cfg.conns, "conns", 50, "connections (and SQL goroutines) of the search and cache figures")
	fs.IntVar(&cfg.readConns, "read-conns", 16, "connections of the read load during the blue/green rebuild")
	fs.Float64Var(&cfg.readRate, "read-rate", 200, "requests/s of the read load during the blue/green rebuild (0: as fast as -read-conns go)")
	fs.DurationVar(&cfg.duration, "duration", 12*time.Second, "measured time of each throughput figure")
	fs.IntVar(&cfg.rounds, "rounds", 3, "slices each figure's time is cut into, alternating with the figure it is compared with")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured time before each slice")
	fs.IntVar(&cfg.rebuildRounds, "rebuild-rounds", 2, "rebuilds and raw scans of catalog.rebuild.rate (best counts)")
	fs.DurationVar(&cfg.timeout, "timeout", 40*time.Minute, "bound of the whole run")
	fs.StringVar(&cfg.only, "only", "search,rebuild,switch,cache", "figures to run (comma-separated)")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write this process's CPU profile (load generator, SQL side, rebuilds) here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.products < 1000 || cfg.rounds < 1 || cfg.duration <= 0 || cfg.conns < 1 || cfg.readConns < 1 || cfg.rebuildRounds < 1 {
		return errors.New("-products ≥ 1000; -rounds, -duration, -conns, -read-conns and -rebuild-rounds positive")
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	started := time.Now()
	root, err := fleet.WorkspaceRoot()
	if err != nil {
		return err
	}
	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	fmt.Fprintln(stderr, "building and starting the fleet")
	f, err := fleet.Start(ctx, root, fleet.Options{Env: []string{
		// Budgets no benchmark reaches: the figures measure the work, not the limiter's 429s.
		"STOREFRONT_RATE_LIMIT_AUTH=1000000000/1s",
		"STOREFRONT_RATE_LIMIT_API=1000000000/1s",
		"STOREFRONT_RATE_LIMIT_ADMIN=1000000000/1s",
		"STOREFRONT_DEMO_DATA=false",
		// The operator who asks for the rebuild through the API (figure c).
		"STOREFRONT_ADMIN_EMAIL=" + benchAdminEmail, "STOREFRONT_ADMIN_PASSWORD=" + benchAdminPassword,
		// The fleet's catalog serves without the page cache; the twin (cache figures) with it.
		"STOREFRONT_CATALOG_CACHE=false",
	}})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if serr := f.Stop(sctx); serr != nil {
			err = errors.Join(err, fmt.Errorf("stop the fleet: %w", serr))
		}
	}()
	fmt.Fprintf(stderr, "fleet ready at %s (%s)\n", f.BaseURL, time.Since(started).Round(time.Second))

	b := &bench{cfg: cfg, fleet: f, out: stdout, log: stderr, procs: compare.Processes{Self: os.Getpid(), Launcher: f.PID()},
		logSeen: map[string]int{}}
	defer b.close()
	if err := b.setUp(ctx); err != nil {
		return fmt.Errorf("%w\nfleet log (tail):\n%s", err, f.LogTail(4096))
	}
	for _, step := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"search", b.search},
		{"rebuild", b.rebuildRate},
		{"switch", b.rebuildUnderLoad},
		{"cache", b.cache},
	} {
		if !b.wants(step.name) {
			continue
		}
		b.note("%s: machine load before: %s", step.name, loadAvg())
		err := step.run(ctx)
		b.pool.Reset() // give the connections back: PostgreSQL's are few
		b.printErrors(f.LogPath, "fleet")
		if err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
	}
	b.note("machine load at the end: %s; took %s", loadAvg(), time.Since(started).Round(time.Second))
	for _, r := range b.results {
		benchline.Print(stdout, r)
	}
	return nil
}

// bench holds what the figures share: the fleet, its database, the loaded catalog.
type bench struct {
	cfg     config
	fleet   *fleet.Fleet
	out     io.Writer
	log     io.Writer
	procs   compare.Processes
	pool    *pgxpool.Pool // the fleet's database, conns+2 connections
	results []benchline.Result
	closers []func()

	logSeen     map[string]int // bytes of each log file printErrors has seen
	catalogAddr string
	events      int64    // rows of catalog.events after the load
	ids, slugs  []string // a sample of the loaded products
	searches    []search // the search requests of figure (a)
}

func (b *bench) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

func (b *bench) wants(name string) bool {
	for _, s := range splitComma(b.cfg.only) {
		if s == name {
			return true
		}
	}
	return false
}

func (b *bench) note(format string, args ...any) {
	fmt.Fprintf(b.out, "# "+format+"\n", args...)
}

func (b *bench) report(r benchline.Result) { b.results = append(b.results, r) }

// setUp loads the generated catalog through the catalog's gRPC commands and waits until the
// read model holds every product.
func (b *bench) setUp(ctx context.Context) error {
	var err error
	pc, err := pgxpool.ParseConfig(b.fleet.DatabaseURL)
	if err != nil {
		return err
	}
	// PostgreSQL allows 100 connections here; the fleet, the twin and other programs need theirs.
	pc.MaxConns = int32(b.cfg.conns + 2)
	pc.MaxConnIdleTime = 10 * time.Second
	if b.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return err
	}
	b.closers = append(b.closers, b.pool.Close)
	if b.catalogAddr, err = b.fleet.Getenv("catalog", "STOREFRONT_CATALOG_ADDR"); err != nil {
		return err
	}
	conn, err := grpc.NewClient(b.catalogAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()

	products := demo.Generate(b.cfg.products, b.cfg.seed)
	b.note("loading %d generated products (seed %d) through the catalog's gRPC commands, %d workers; machine load %s",
		len(products), b.cfg.seed, b.cfg.loadWorkers, loadAvg())
	lag := b.sampleReadModel(ctx, time.Now())
	res, err := demo.Load(demo.AdminContext(ctx), catalogv1.NewCatalogServiceClient(conn), demo.Categories(), products,
		demo.Options{Workers: b.cfg.loadWorkers, Log: slog.New(slog.NewTextHandler(b.log, nil)), ProgressEvery: 20_000})
	if err != nil {
		lag.stop()
		return fmt.Errorf("load: %w", err)
	}
	b.note("load: %d products created (%d existed) in %s = %.0f products/s",
		res.ProductsCreated, res.ProductsExisting, res.Took.Round(time.Millisecond), float64(len(products))/res.Took.Seconds())
	if err := b.waitReadModel(ctx, len(products), 10*time.Minute); err != nil {
		lag.stop()
		return err
	}
	lag.stop()
	lag.print(b)
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM catalog.events`).Scan(&b.events); err != nil {
		return err
	}
	rows, err := b.pool.Query(ctx, `SELECT id::text, slug FROM catalog_products.products WHERE status = 'active' ORDER BY md5(id::text) LIMIT 2000`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, slug string
		if err := rows.Scan(&id, &slug); err != nil {
			rows.Close()
			return err
		}
		b.ids, b.slugs = append(b.ids, id), append(b.slugs, slug)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Fresh statistics and visibility map, as a settled production table would have.
	if _, err := b.pool.Exec(ctx, `VACUUM (ANALYZE) catalog.events`); err != nil {
		return err
	}
	return b.analyzeReadModel(ctx)
}

// analyzeReadModel vacuums and analyzes the active generation's tables.
func (b *bench) analyzeReadModel(ctx context.Context) error {
	var gen int
	if err := b.pool.QueryRow(ctx, `SELECT active_generation FROM projector.projections WHERE name = 'catalog_products'`).Scan(&gen); err != nil {
		return fmt.Errorf("active generation: %w", err)
	}
	for _, t := range []string{"products", "categories"} {
		if _, err := b.pool.Exec(ctx, fmt.Sprintf(`VACUUM (ANALYZE) catalog_products_g%d.%s`, gen, t)); err != nil {
			return err
		}
	}
	return nil
}

// printErrors prints the error lines a log file gained since the last call (at most 10),
// so that a failed request shows its cause.
func (b *bench) printErrors(path, who string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	from := b.logSeen[path]
	b.logSeen[path] = len(data)
	if from > len(data) {
		from = 0
	}
	n := 0
	for _, line := range strings.Split(string(data[from:]), "\n") {
		if !strings.Contains(line, `"level":"ERROR"`) && !strings.Contains(line, "panic") {
			continue
		}
		if n++; n <= 10 {
			b.note("%s log: %s", who, line)
		}
	}
	if n > 10 {
		b.note("%s log: ... %d error lines in all", who, n)
	}
}

// waitReadModel waits until the read model holds n active products.
func (b *bench) waitReadModel(ctx context.Context, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var got int
		err := b.pool.QueryRow(ctx, `SELECT count(*) FROM catalog_products.products`).Scan(&got)
		if err == nil && got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the read model holds %d of %d products after %s (last error: %v)", got, n, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c config) compare() compare.Config {
	return compare.Config{Warmup: c.warmup, Duration: c.duration, Rounds: c.rounds}
}
