// Package service is the bootstrap every service's main shares: the command line (serve, or
// `migrate` for the deploy Job), the configuration every service reads, and the
// infrastructure in the order each needs it — logger, telemetry, schema, pool, event store
// (instrumented), NATS — then the relay, the gRPC server and the metrics endpoint under one
// errgroup. A service's main adds only what is its own (docs/new-service.md).
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/es/esotel"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/relay"
	"github.com/storefront/storefront/platform/telemetry"
)

// Base is the configuration every service reads.
type Base struct {
	// Name is the service's and its bounded context's name ("cart"); Schema its PostgreSQL
	// schema (the same name).
	Name        string
	GRPCAddr    string
	MetricsAddr string
	DatabaseURL string
	NATSURL     string
	Replicas    int
	// DBMaxConns bounds each of the process's PostgreSQL pools (STOREFRONT_DB_MAX_CONNS,
	// default 20): the fleet's processes share the server's max_connections.
	DBMaxConns int
	LogLevel   slog.Level
	// Errors reports logged errors to Sentry when SENTRY_DSN is set.
	Errors telemetry.ErrorReports
}

// LoadBase reads the common variables from env: STOREFRONT_<NAME>_ADDR (default addr),
// STOREFRONT_METRICS_ADDR, STOREFRONT_DATABASE_URL and STOREFRONT_NATS_URL (required),
// STOREFRONT_STREAM_REPLICAS and STOREFRONT_LOG_LEVEL. Failures are recorded in env, which
// the caller checks with env.Err() after reading its own variables.
func LoadBase(env *config.Env, name, addr string) Base {
	b := Base{
		Name:        name,
		GRPCAddr:    env.HostPort("STOREFRONT_"+strings.ToUpper(name)+"_ADDR", addr),
		MetricsAddr: env.HostPort("STOREFRONT_METRICS_ADDR", ""),
		DatabaseURL: env.URL("STOREFRONT_DATABASE_URL", "", "postgres", "postgresql"),
		NATSURL:     env.URL("STOREFRONT_NATS_URL", "", "nats", "tls"),
		Replicas:    env.Int("STOREFRONT_STREAM_REPLICAS", 1, 1, 5),
		DBMaxConns:  env.Int("STOREFRONT_DB_MAX_CONNS", 20, 1, 1000),
	}
	b.LogLevel = env.LogLevel("STOREFRONT_LOG_LEVEL", slog.LevelInfo)
	b.Errors = telemetry.ErrorReportsFromEnv(env)
	if b.DatabaseURL == "" {
		env.Fail("STOREFRONT_DATABASE_URL", "is required")
	}
	if b.NATSURL == "" {
		env.Fail("STOREFRONT_NATS_URL", "is required")
	}
	return b
}

// PoolConfig sizes a pool of the process on url: at most DBMaxConns connections, and no more
// kept idle than that allows.
func (b Base) PoolConfig(url string) postgres.PoolConfig {
	n := int32(max(b.DBMaxConns, 1))
	return postgres.PoolConfig{URL: url, MaxConns: n, MinConns: min(2, n)}
}

// Migrations returns a service's schema: its event store and the relay's checkpoint in the
// schema named after it, then extra sets of its own.
func Migrations(name string, extra ...pgmigrate.Set) []pgmigrate.Set {
	return append([]pgmigrate.Set{postgres.Migrations(name), relay.Migrations(name)}, extra...)
}

// Main runs a service's command line until SIGINT or SIGTERM and exits non-zero on failure:
// without arguments it serves (run); `<name> migrate` applies migrations and exits (the
// migration Job of deploy/k8s; serving also migrates, idempotently, under an advisory lock).
func Main(name string, migrations []pgmigrate.Set, run func(context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	switch {
	case len(os.Args) == 2 && os.Args[1] == "migrate":
		err = migrate(ctx, name, migrations)
	case len(os.Args) > 1:
		err = fmt.Errorf("usage: %s [migrate]", name)
	default:
		err = run(ctx)
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func migrate(ctx context.Context, name string, migrations []pgmigrate.Set) error {
	env := config.FromOS()
	url := env.URL("STOREFRONT_DATABASE_URL", "", "postgres", "postgresql")
	if url == "" {
		env.Fail("STOREFRONT_DATABASE_URL", "is required")
	}
	if err := env.Err(); err != nil {
		return err
	}
	return pgmigrate.Apply(ctx, telemetry.NewLogger(os.Stderr, name, slog.LevelInfo), url, migrations...)
}

// Process is the infrastructure a service runs on.
type Process struct {
	Base Base
	Log  *slog.Logger
	Tel  *telemetry.Telemetry
	// Pool is the service's database; Events its event store there, and Store the same
	// instrumented (what aggregates and the relay use).
	Pool   *pgxpool.Pool
	Events *postgres.Store
	Store  *esotel.Store
	NATS   *nats.Conn

	closers []func()
}

// Open sets up logging and telemetry, applies the migrations, and opens the pool, the event
// store and the NATS connection. Close releases them, last opened first.
func Open(ctx context.Context, b Base, migrations []pgmigrate.Set) (_ *Process, err error) {
	p := &Process{Base: b}
	log, flush, err := telemetry.WithErrorReports(telemetry.NewLogger(os.Stderr, b.Name, b.LogLevel), b.Name, b.Errors)
	if err != nil {
		return nil, err
	}
	p.Log = log
	p.closers = append(p.closers, func() { flush(2 * time.Second) })
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	if p.Tel, err = telemetry.Setup(ctx, b.Name); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, func() { _ = p.Tel.Shutdown(context.Background()) })
	if err = pgmigrate.Apply(ctx, p.Log, b.DatabaseURL, migrations...); err != nil {
		return nil, err
	}
	if p.Pool, err = postgres.NewPool(ctx, b.PoolConfig(b.DatabaseURL)); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.Pool.Close)
	if p.Events, err = postgres.New(p.Pool, b.Name); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.Events.Close) // before the pool closes
	if p.Store, err = esotel.Instrument(p.Events, b.Name, p.Tel.Meter, p.Tel.Tracer); err != nil {
		return nil, err
	}
	if p.NATS, err = nats.Connect(b.NATSURL, nats.Name(b.Name), nats.MaxReconnects(-1)); err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	p.closers = append(p.closers, func() { _ = p.NATS.Drain() })
	err = p.Tel.WatchDependencies(map[string]func(context.Context) error{
		"postgres": p.Pool.Ping,
		"nats": func(context.Context) error {
			if !p.NATS.IsConnected() {
				return errors.New("not connected")
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Close releases what Open opened, last opened first.
func (p *Process) Close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
	p.closers = nil
}

// ReadPool returns the pool of the read models' database at url: the service's own pool when
// url is its database, else a new pool, which Close closes.
func (p *Process) ReadPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	if url == "" || url == p.Base.DatabaseURL {
		return p.Pool, nil
	}
	pool, err := postgres.NewPool(ctx, p.Base.PoolConfig(url))
	if err != nil {
		return nil, fmt.Errorf("read-model database: %w", err)
	}
	p.closers = append(p.closers, pool.Close)
	return pool, nil
}

// StoreOptions are the options of the service's aggregate stores: trace context into the
// events' metadata, and the service's logger.
func (p *Process) StoreOptions(extra ...aggregate.Option) []aggregate.Option {
	return append([]aggregate.Option{aggregate.WithPropagator(p.Tel.Propagator), aggregate.WithLogger(p.Log)}, extra...)
}

// Server returns the service's gRPC server (grpcx: telemetry, recovery, error mapping,
// health); register the service's implementation on it, then Serve.
func (p *Process) Server(auth grpcx.Authenticator, opts ...grpc.ServerOption) *grpcx.Server {
	return grpcx.NewServer(p.Log, p.Tel, auth, opts...)
}

// Serve runs, until ctx ends or one of them fails: the relay publishing the service's events
// (privateTypes stay inside), the gRPC server, the metrics endpoint when configured, and the
// service's own tasks.
func (p *Process) Serve(ctx context.Context, srv *grpcx.Server, privateTypes []string, tasks ...func(context.Context) error) error {
	publisher, err := relay.New(relay.Config{Context: p.Base.Name, Schema: p.Base.Name, StreamReplicas: p.Base.Replicas, PrivateTypes: privateTypes},
		relay.Deps{Log: p.Log, Store: p.Store, DB: p.Pool, NATS: p.NATS, Meter: p.Tel.Meter, Tracer: p.Tel.Tracer, Propagator: p.Tel.Propagator})
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(ctx, p.Base.GRPCAddr) })
	g.Go(func() error { return publisher.Run(ctx) })
	if p.Base.MetricsAddr != "" {
		g.Go(func() error { return p.Tel.ServeMetrics(ctx, p.Base.MetricsAddr) })
	}
	for _, task := range tasks {
		g.Go(func() error { return task(ctx) })
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
