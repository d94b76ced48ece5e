// Command projector runs the read-model projections (projections/...) on the projector
// runtime: it builds each one from the owning contexts' event stores when it has no active
// generation yet, then feeds it live from their JetStream streams.
//
//	projector                 run every projection until SIGINT/SIGTERM
//	projector migrate         apply the projector's schema and exit (the deploy Job)
//	projector rebuild <name>  rebuild one projection blue/green, printing its progress
//
// It serves /metrics, /healthz (alive) and /readyz (the database answers and every
// projection has an active generation) on STOREFRONT_METRICS_ADDR.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/telemetry"
	"github.com/storefront/storefront/projections/audit"
	"github.com/storefront/storefront/projections/cart"
	"github.com/storefront/storefront/projections/catalog"
	"github.com/storefront/storefront/projections/content"
	"github.com/storefront/storefront/projections/ordering"
	"github.com/storefront/storefront/projections/reviews"
	"github.com/storefront/storefront/projections/support"
)

// Config is the projector's configuration, read once from the environment.
type Config struct {
	// DatabaseURL is the database of the read models and of the projector's registry:
	// STOREFRONT_READ_DATABASE_URL, by default STOREFRONT_DATABASE_URL.
	DatabaseURL string
	// EventsDatabaseURL is where the contexts' event stores are read during rebuilds:
	// STOREFRONT_EVENTS_DATABASE_URL, by default STOREFRONT_DATABASE_URL. In production it
	// names a role granted only USAGE on each context's schema and SELECT on its events
	// table (decision 004); its sessions are read-only in any case.
	EventsDatabaseURL string
	// NATSURL is JetStream (not needed by migrate and rebuild).
	NATSURL string
	// MetricsAddr serves /metrics, /healthz and /readyz; empty: not served.
	MetricsAddr string
	LogLevel    slog.Level
	// Errors reports logged errors to Sentry when SENTRY_DSN is set.
	Errors telemetry.ErrorReports
	// RedisURL (STOREFRONT_REDIS_URL, optional) receives each projection's commit counter,
	// under RedisPrefix (STOREFRONT_REDIS_PREFIX, default "sf:"): caches of the read models
	// key their entries with it (committed.go).
	RedisURL    string
	RedisPrefix string
	// DBMaxConns bounds the read models' pool (STOREFRONT_DB_MAX_CONNS, default 20).
	DBMaxConns int
}

func loadConfig(env *config.Env, needNATS bool) (Config, error) {
	db := env.URL("STOREFRONT_DATABASE_URL", "", "postgres", "postgresql")
	cfg := Config{
		DatabaseURL:       env.URL("STOREFRONT_READ_DATABASE_URL", db, "postgres", "postgresql"),
		EventsDatabaseURL: env.URL("STOREFRONT_EVENTS_DATABASE_URL", db, "postgres", "postgresql"),
		NATSURL:           env.URL("STOREFRONT_NATS_URL", "", "nats", "tls"),
		MetricsAddr:       env.HostPort("STOREFRONT_METRICS_ADDR", ""),
		LogLevel:          env.LogLevel("STOREFRONT_LOG_LEVEL", slog.LevelInfo),
		Errors:            telemetry.ErrorReportsFromEnv(env),
		RedisURL:          env.URL("STOREFRONT_REDIS_URL", "", "redis", "rediss"),
		RedisPrefix:       env.String("STOREFRONT_REDIS_PREFIX", "sf:"),
		DBMaxConns:        env.Int("STOREFRONT_DB_MAX_CONNS", 20, 1, 1000),
	}
	if cfg.DatabaseURL == "" {
		env.Fail("STOREFRONT_DATABASE_URL", "is required (or STOREFRONT_READ_DATABASE_URL)")
	}
	if cfg.EventsDatabaseURL == "" {
		env.Fail("STOREFRONT_DATABASE_URL", "is required (or STOREFRONT_EVENTS_DATABASE_URL)")
	}
	if needNATS && cfg.NATSURL == "" {
		env.Fail("STOREFRONT_NATS_URL", "is required")
	}
	return cfg, env.Err()
}

// projections lists the read models this process runs.
func projections() []projector.Projection {
	return []projector.Projection{catalog.New(), cart.New(), ordering.New(), reviews.New(), content.New(), support.New(), audit.New()}
}

const usage = "usage: projector [migrate | rebuild <projection>]"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case len(os.Args) == 1:
		err = run(ctx)
	case len(os.Args) == 2 && os.Args[1] == "migrate":
		err = migrate(ctx)
	case len(os.Args) == 3 && os.Args[1] == "rebuild":
		err = rebuild(ctx, os.Stdout, os.Args[2])
	default:
		err = errors.New(usage)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "projector:", err)
		os.Exit(1)
	}
}

func migrate(ctx context.Context) error {
	cfg, err := loadConfig(config.FromOS(), false)
	if err != nil {
		return err
	}
	return pgmigrate.Apply(ctx, telemetry.NewLogger(os.Stderr, "projector", cfg.LogLevel), cfg.DatabaseURL, projector.Migrations())
}

// deps are what both run and rebuild open, closed by close in reverse order.
type deps struct {
	log    *slog.Logger
	tel    *telemetry.Telemetry
	pool   *pgxpool.Pool
	events *pgxpool.Pool
	stores map[string]es.LogReader
	// counters is nil without Redis.
	counters *committedCounters
	closers  []func()
}

func (d *deps) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

func open(ctx context.Context, cfg Config) (_ *deps, err error) {
	d := &deps{stores: map[string]es.LogReader{}}
	log, flush, err := telemetry.WithErrorReports(telemetry.NewLogger(os.Stderr, "projector", cfg.LogLevel), "projector", cfg.Errors)
	if err != nil {
		return nil, err
	}
	d.log = log
	d.closers = append(d.closers, func() { flush(2 * time.Second) })
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if d.tel, err = telemetry.Setup(ctx, "projector"); err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() { _ = d.tel.Shutdown(context.Background()) })
	if err := pgmigrate.Apply(ctx, d.log, cfg.DatabaseURL, projector.Migrations()); err != nil {
		return nil, err
	}
	if d.pool, err = postgres.NewPool(ctx, postgres.PoolConfig{URL: cfg.DatabaseURL, MaxConns: int32(cfg.DBMaxConns),
		MinConns: int32(min(2, cfg.DBMaxConns))}); err != nil {
		return nil, err
	}
	d.closers = append(d.closers, d.pool.Close)
	if d.events, err = postgres.NewReadOnlyPool(ctx, cfg.EventsDatabaseURL, 8); err != nil {
		return nil, fmt.Errorf("event stores: %w", err)
	}
	d.closers = append(d.closers, d.events.Close)
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("STOREFRONT_REDIS_URL: %w", err)
		}
		rdb := redis.NewClient(opts)
		d.closers = append(d.closers, func() { _ = rdb.Close() })
		d.counters = newCommittedCounters(rdb, cfg.RedisPrefix, d.log)
	}
	for _, p := range projections() {
		for _, c := range p.Contexts() {
			// Each context's event store lives in the schema named after it.
			s, err := postgres.New(d.events, c)
			if err != nil {
				return nil, err
			}
			d.stores[c] = logReader{s}
		}
	}
	return d, nil
}

// logReader narrows an event store to the read API the projector may use (decision 004).
type logReader struct{ es.LogReader }

func (d *deps) runtime(js jetstream.JetStream) (*projector.Runtime, error) {
	cfg := projector.Config{
		Pool: d.pool, JetStream: js, Stores: d.stores, Logger: d.log,
		MeterProvider: d.tel.Meter, TracerProvider: d.tel.Tracer, Propagator: d.tel.Propagator,
	}
	if d.counters != nil {
		cfg.Committed = d.counters.committed
	}
	return projector.New(cfg, projections()...)
}

func run(ctx context.Context) error {
	cfg, err := loadConfig(config.FromOS(), true)
	if err != nil {
		return err
	}
	d, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.close()
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("projector"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("JetStream: %w", err)
	}
	rt, err := d.runtime(js)
	if err != nil {
		return err
	}

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := rt.Run(ctx); err != nil {
			return fmt.Errorf("projections: %w", err)
		}
		return nil
	})
	if cfg.MetricsAddr != "" {
		g.Go(func() error { return serve(ctx, cfg.MetricsAddr, d, rt) })
	}
	if d.counters != nil {
		g.Go(func() error {
			d.counters.retry(ctx)
			return nil
		})
	}
	d.log.InfoContext(ctx, "projector running", "projections", names())
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func names() []string {
	var out []string
	for _, p := range projections() {
		out = append(out, p.Name())
	}
	return out
}

// serve serves the metrics and the health checks on addr until ctx ends.
func serve(ctx context.Context, addr string, d *deps, rt *projector.Runtime) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", d.tel.MetricsHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready(r.Context(), d.pool, rt); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics server on %s: %w", addr, err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// ready: the database answers and every projection has an active generation (its first
// build is done), so its readers find their views.
func ready(ctx context.Context, pool *pgxpool.Pool, rt *projector.Runtime) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := pool.Ping(ctx); err != nil {
		return errors.New("database unreachable")
	}
	for _, name := range names() {
		p, err := rt.Progress(ctx, name)
		if err != nil || p.ActiveGeneration == 0 {
			return fmt.Errorf("projection %s not built yet", name)
		}
	}
	return nil
}

// rebuild rebuilds one projection blue/green and prints its progress every second. A live
// projector keeps serving (and feeding) the active generation meanwhile.
func rebuild(ctx context.Context, out io.Writer, name string) error {
	cfg, err := loadConfig(config.FromOS(), false)
	if err != nil {
		return err
	}
	d, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.close()
	rt, err := d.runtime(nil)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	started := time.Now()
	go func() { done <- rt.Rebuild(ctx, name) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if errors.Is(err, projector.ErrUnknownProjection) {
				return fmt.Errorf("%w (projections: %s)", err, strings.Join(names(), ", "))
			}
			if err != nil {
				return err
			}
			p, err := rt.Progress(context.WithoutCancel(ctx), name)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: generation %d switched in after %s (%d events)\n", name, p.ActiveGeneration,
				time.Since(started).Round(time.Millisecond), p.Applied)
			return nil
		case <-tick.C:
			if p, err := rt.Progress(ctx, name); err == nil && p.State == projector.StateRebuilding {
				fmt.Fprintln(out, progressLine(p))
			}
		}
	}
}

func progressLine(p projector.Progress) string {
	pct := 0.0
	if p.Total > 0 {
		pct = 100 * float64(p.Position) / float64(p.Total)
	}
	return fmt.Sprintf("%s: rebuilding generation %d: %d/%d (%.0f%%), %d events, %.0f events/s, ETA %.0fs",
		p.Projection, p.BuildingGeneration, p.Position, p.Total, pct, p.Applied, p.EventsPerSecond, p.ETASeconds)
}
