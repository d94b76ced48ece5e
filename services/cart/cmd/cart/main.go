// Command cart serves the cart context over gRPC: each user's cart and wishlist, priced
// from the cart's own read model of the catalog, and the checkout calls of the ordering
// context.
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
	"golang.org/x/sync/errgroup"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/es/esotel"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/relay"
	"github.com/storefront/storefront/platform/telemetry"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
	"github.com/storefront/storefront/services/cart/internal/adapters"
	"github.com/storefront/storefront/services/cart/internal/app"
	"github.com/storefront/storefront/services/cart/internal/domain"
	"github.com/storefront/storefront/services/cart/internal/ports"
)

// schema is the cart's PostgreSQL schema: its event store and relay checkpoint.
const schema = "cart"

// storeCurrency is the store's one currency (API.md: "One currency per store (USD default)").
const storeCurrency = "USD"

// Config is the cart's configuration, read once from the environment.
type Config struct {
	GRPCAddr    string
	MetricsAddr string
	DatabaseURL string
	// ReadDatabaseURL is the database of the read models (projections/cart's read schema
	// cart_products): STOREFRONT_READ_DATABASE_URL, by default STOREFRONT_DATABASE_URL. When
	// they are the same, a cart read is one round trip (decision 015).
	ReadDatabaseURL string
	NATSURL         string
	Replicas        int
	LogLevel        slog.Level
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{
		GRPCAddr:    env.HostPort("STOREFRONT_CART_ADDR", "127.0.0.1:9103"),
		MetricsAddr: env.HostPort("STOREFRONT_METRICS_ADDR", ""),
		DatabaseURL: env.URL("STOREFRONT_DATABASE_URL", "", "postgres", "postgresql"),
		NATSURL:     env.URL("STOREFRONT_NATS_URL", "", "nats", "tls"),
		Replicas:    env.Int("STOREFRONT_STREAM_REPLICAS", 1, 1, 5),
	}
	cfg.ReadDatabaseURL = env.URL("STOREFRONT_READ_DATABASE_URL", cfg.DatabaseURL, "postgres", "postgresql")
	cfg.LogLevel = env.LogLevel("STOREFRONT_LOG_LEVEL", slog.LevelInfo)
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
		// `cart migrate` applies the schema and exits: the migration Job of deploy/k8s.
		// Serving also migrates (idempotently, under an advisory lock), so it is optional.
		err = migrate(ctx)
	case len(os.Args) > 1:
		err = fmt.Errorf("usage: cart [migrate]")
	default:
		err = run(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cart:", err)
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
	log := telemetry.NewLogger(os.Stderr, "cart", slog.LevelInfo)
	return pgmigrate.Apply(ctx, log, url, migrations()...)
}

// migrations are the cart's schema: its event store and the relay's checkpoint. The product
// read model's tables belong to projections/cart.
func migrations() []pgmigrate.Set {
	return []pgmigrate.Set{postgres.Migrations(schema), relay.Migrations(schema)}
}

func run(ctx context.Context) error {
	cfg, err := loadConfig(config.FromOS())
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(os.Stderr, "cart", cfg.LogLevel)
	tel, err := telemetry.Setup(ctx, "cart")
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

	// Names, prices and stock come from the cart's product read model, which the projector
	// (projections/cmd/projector) builds from the catalog's events; until its first build the
	// reads answer 503.
	readPool, sameDatabase := pool, cfg.ReadDatabaseURL == cfg.DatabaseURL
	if !sameDatabase {
		if readPool, err = postgres.NewPool(ctx, postgres.PoolConfig{URL: cfg.ReadDatabaseURL}); err != nil {
			return fmt.Errorf("read-model database: %w", err)
		}
		defer readPool.Close()
	}
	products := adapters.ReadModel{Pool: readPool}

	storeOpts := []aggregate.Option{aggregate.WithPropagator(tel.Propagator), aggregate.WithLogger(log)}
	carts := aggregate.NewStore(store, registry, domain.NewCart, storeOpts...)
	wishlists := aggregate.NewStore(store, registry, domain.NewWishlist, storeOpts...)
	application := app.New(app.Deps{
		Carts:         carts,
		Wishlists:     wishlists,
		CartReader:    adapters.NewVersionedReader(carts, domain.CartStream, pool, pgStore.StreamVersionSQL(), products, sameDatabase),
		WishlistReads: adapters.NewVersionedReader(wishlists, domain.WishlistStream, pool, pgStore.StreamVersionSQL(), products, sameDatabase),
		Products:      products,
		Clock:         time.Now,
		Currency:      storeCurrency,
		Log:           log,
	})

	nc, err := nats.Connect(cfg.NATSURL, nats.Name("cart"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Drain()
	publisher, err := relay.New(relay.Config{Context: "cart", Schema: schema, StreamReplicas: cfg.Replicas},
		relay.Deps{Log: log, Store: store, DB: pool, NATS: nc, Meter: tel.Meter, Tracer: tel.Tracer, Propagator: tel.Propagator})
	if err != nil {
		return err
	}

	srv := grpcx.NewServer(log, tel, nil)
	cartv1.RegisterCartServiceServer(srv, ports.GRPC{App: application})

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
