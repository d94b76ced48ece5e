// Command catalog serves the catalog context over gRPC: products, categories, stock and the
// reservations of checkout.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/es/esotel"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/relay"
	"github.com/storefront/storefront/platform/telemetry"
	readmodel "github.com/storefront/storefront/projections/catalog"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	"github.com/storefront/storefront/services/catalog/internal/adapters"
	"github.com/storefront/storefront/services/catalog/internal/app"
	"github.com/storefront/storefront/services/catalog/internal/domain"
	"github.com/storefront/storefront/services/catalog/internal/ports"
)

// schema is the catalog's PostgreSQL schema: its event store, claims and relay checkpoint.
const schema = "catalog"

// storeCurrency is the store's one currency (API.md: "One currency per store (USD default)").
const storeCurrency = "USD"

// productRetries is how often a command on a product starts over after another writer got
// there first. Checkout reservations of a popular product contend on its stream; each
// retry reloads it, so a generous bound keeps them from surfacing as Aborted.
const productRetries = 30

// Config is the catalog's configuration, read once from the environment.
type Config struct {
	GRPCAddr    string
	MetricsAddr string
	DatabaseURL string
	// ReadDatabaseURL is the database of the read models (projections/catalog's read
	// schema), which the queries read: STOREFRONT_READ_DATABASE_URL, by default the same
	// database as STOREFRONT_DATABASE_URL.
	ReadDatabaseURL string
	NATSURL         string
	Replicas        int
	LogLevel        slog.Level
	// RedisURL (STOREFRONT_REDIS_URL, optional) holds the page cache, under RedisPrefix
	// (STOREFRONT_REDIS_PREFIX, default "sf:"). Cache (STOREFRONT_CATALOG_CACHE, default true)
	// turns it off; CacheTTL (STOREFRONT_CATALOG_CACHE_TTL, default 5m) is how long an entry
	// lives (decision 013).
	RedisURL    string
	RedisPrefix string
	Cache       bool
	CacheTTL    time.Duration
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{
		GRPCAddr:    env.HostPort("STOREFRONT_CATALOG_ADDR", "127.0.0.1:9102"),
		MetricsAddr: env.HostPort("STOREFRONT_METRICS_ADDR", ""),
		DatabaseURL: env.URL("STOREFRONT_DATABASE_URL", "", "postgres", "postgresql"),
		NATSURL:     env.URL("STOREFRONT_NATS_URL", "", "nats", "tls"),
		Replicas:    env.Int("STOREFRONT_STREAM_REPLICAS", 1, 1, 5),
	}
	cfg.ReadDatabaseURL = env.URL("STOREFRONT_READ_DATABASE_URL", cfg.DatabaseURL, "postgres", "postgresql")
	cfg.LogLevel = env.LogLevel("STOREFRONT_LOG_LEVEL", slog.LevelInfo)
	cfg.RedisURL = env.URL("STOREFRONT_REDIS_URL", "", "redis", "rediss")
	cfg.RedisPrefix = env.String("STOREFRONT_REDIS_PREFIX", "sf:")
	cfg.Cache = env.Bool("STOREFRONT_CATALOG_CACHE", true)
	cfg.CacheTTL = env.Duration("STOREFRONT_CATALOG_CACHE_TTL", 5*time.Minute)
	if cfg.CacheTTL <= 0 {
		env.Fail("STOREFRONT_CATALOG_CACHE_TTL", "must be positive")
	}
	if cfg.DatabaseURL == "" {
		env.Fail("STOREFRONT_DATABASE_URL", "is required")
	}
	if cfg.NATSURL == "" {
		env.Fail("STOREFRONT_NATS_URL", "is required")
	}
	return cfg, env.Err()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case len(os.Args) == 2 && os.Args[1] == "migrate":
		// `catalog migrate` applies the schema and exits: the migration Job of deploy/k8s.
		// Serving also migrates (idempotently, under an advisory lock), so it is optional.
		err = migrate(ctx)
	case len(os.Args) > 1:
		err = fmt.Errorf("usage: catalog [migrate]")
	default:
		err = run(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "catalog:", err)
		os.Exit(1)
	}
}

func migrate(ctx context.Context) error {
	env := config.FromOS()
	url := env.URL("STOREFRONT_DATABASE_URL", "", "postgres", "postgresql")
	if url == "" {
		env.Fail("STOREFRONT_DATABASE_URL", "is required")
	}
	if err := env.Err(); err != nil {
		return err
	}
	log := telemetry.NewLogger(os.Stderr, "catalog", slog.LevelInfo)
	return pgmigrate.Apply(ctx, log, url, migrations()...)
}

// migrations are the catalog's schema: its event store and the relay's checkpoint. The read
// model's tables belong to projections/catalog.
func migrations() []pgmigrate.Set {
	return []pgmigrate.Set{postgres.Migrations(schema), relay.Migrations(schema)}
}

func run(ctx context.Context) error {
	cfg, err := loadConfig(config.FromOS())
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(os.Stderr, "catalog", cfg.LogLevel)
	tel, err := telemetry.Setup(ctx, "catalog")
	if err != nil {
		return err
	}
	defer tel.Shutdown(context.Background())

	if err := pgmigrate.Apply(ctx, log, cfg.DatabaseURL, migrations()...); err != nil {
		return err
	}
	pool, err := postgres.NewPool(ctx, postgres.PoolConfig{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer pool.Close()
	pgStore, err := postgres.New(pool, schema)
	if err != nil {
		return err
	}
	defer pgStore.Close() // before the pool closes
	store, err := esotel.Instrument(pgStore, schema, tel.Meter, tel.Tracer)
	if err != nil {
		return err
	}
	registry := domain.Registry()

	// The queries read the catalog read model, which the projector (projections/cmd/projector)
	// builds and feeds; until its first build they answer 503.
	readPool := pool
	if cfg.ReadDatabaseURL != cfg.DatabaseURL {
		if readPool, err = postgres.NewPool(ctx, postgres.PoolConfig{URL: cfg.ReadDatabaseURL}); err != nil {
			return fmt.Errorf("read-model database: %w", err)
		}
		defer readPool.Close()
	}

	var reader app.ProductReader = adapters.ReadModel{Queries: readmodel.NewQueries(readPool)}
	switch {
	case !cfg.Cache:
		log.Info("catalog page cache off (STOREFRONT_CATALOG_CACHE)")
	case cfg.RedisURL == "":
		log.Warn("no STOREFRONT_REDIS_URL: product and list pages are not cached")
	default:
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("STOREFRONT_REDIS_URL: %w", err)
		}
		rdb := redis.NewClient(opts)
		defer rdb.Close()
		reader = &adapters.PageCache{Next: reader, Redis: rdb, Prefix: cfg.RedisPrefix, TTL: cfg.CacheTTL, Log: log}
		log.Info("catalog page cache on", "ttl", cfg.CacheTTL)
	}

	storeOpts := []aggregate.Option{aggregate.WithPropagator(tel.Propagator), aggregate.WithLogger(log)}
	application := app.New(app.Deps{
		Products:     aggregate.NewStore(store, registry, domain.NewProduct, append(storeOpts, aggregate.WithRetries(productRetries))...),
		Categories:   aggregate.NewStore(store, registry, domain.NewCategory, storeOpts...),
		Reservations: aggregate.NewStore(store, registry, domain.NewReservation, storeOpts...),
		Owners:       adapters.ClaimOwners{Claims: store},
		Reader:       reader,
		Clock:        time.Now,
		Currency:     storeCurrency,
		Log:          log,
	})

	nc, err := nats.Connect(cfg.NATSURL, nats.Name("catalog"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Drain()
	publisher, err := relay.New(relay.Config{Context: "catalog", Schema: schema, StreamReplicas: cfg.Replicas, PrivateTypes: domain.PrivateEventTypes()},
		relay.Deps{Log: log, Store: store, DB: pool, NATS: nc, Meter: tel.Meter, Tracer: tel.Tracer, Propagator: tel.Propagator})
	if err != nil {
		return err
	}

	srv := grpcx.NewServer(log, tel, nil)
	catalogv1.RegisterCatalogServiceServer(srv, ports.GRPC{App: application})

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(ctx, cfg.GRPCAddr) })
	g.Go(func() error { return publisher.Run(ctx) })
	if cfg.MetricsAddr != "" {
		g.Go(func() error { return tel.ServeMetrics(ctx, cfg.MetricsAddr) })
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
