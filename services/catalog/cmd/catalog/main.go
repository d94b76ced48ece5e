// Command catalog serves the catalog context over gRPC: products, categories, stock and the
// reservations of checkout.
package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/service"
	"github.com/storefront/storefront/platform/storage"
	readmodel "github.com/storefront/storefront/projections/catalog"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	"github.com/storefront/storefront/services/catalog/internal/adapters"
	"github.com/storefront/storefront/services/catalog/internal/app"
	"github.com/storefront/storefront/services/catalog/internal/domain"
	"github.com/storefront/storefront/services/catalog/internal/imaging"
	"github.com/storefront/storefront/services/catalog/internal/ports"
	"google.golang.org/grpc"
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
	service.Base
	// ReadDatabaseURL is the database of the read models (projections/catalog's read
	// schema), which the queries read: STOREFRONT_READ_DATABASE_URL, by default the same
	// database as STOREFRONT_DATABASE_URL.
	ReadDatabaseURL string
	// RedisURL (STOREFRONT_REDIS_URL, optional) holds the page cache, under RedisPrefix
	// (STOREFRONT_REDIS_PREFIX, default "sf:"). Cache (STOREFRONT_CATALOG_CACHE, default true)
	// turns it off; CacheTTL (STOREFRONT_CATALOG_CACHE_TTL, default 5m) is how long an entry
	// lives (decision 013).
	RedisURL    string
	RedisPrefix string
	Cache       bool
	CacheTTL    time.Duration
	// Media is where uploaded pictures go (package storage: STOREFRONT_S3_* or
	// STOREFRONT_MEDIA_DIR), and MediaURL the public prefix of their keys
	// (STOREFRONT_MEDIA_PUBLIC_URL, default STOREFRONT_PUBLIC_URL + "/media/").
	Media    storage.Config
	MediaURL string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{Base: service.LoadBase(env, schema, "127.0.0.1:9102")}
	cfg.ReadDatabaseURL = env.URL("STOREFRONT_READ_DATABASE_URL", cfg.DatabaseURL, "postgres", "postgresql")
	cfg.RedisURL = env.URL("STOREFRONT_REDIS_URL", "", "redis", "rediss")
	cfg.RedisPrefix = env.String("STOREFRONT_REDIS_PREFIX", "sf:")
	cfg.Cache = env.Bool("STOREFRONT_CATALOG_CACHE", true)
	cfg.CacheTTL = env.Duration("STOREFRONT_CATALOG_CACHE_TTL", 5*time.Minute)
	if cfg.CacheTTL <= 0 {
		env.Fail("STOREFRONT_CATALOG_CACHE_TTL", "must be positive")
	}
	cfg.Media = storage.ConfigFromEnv(env)
	public := strings.TrimSuffix(env.URL("STOREFRONT_PUBLIC_URL", "http://127.0.0.1:8080", "http", "https"), "/")
	cfg.MediaURL = env.URL("STOREFRONT_MEDIA_PUBLIC_URL", public+"/media/", "http", "https")
	if !strings.HasSuffix(cfg.MediaURL, "/") {
		cfg.MediaURL += "/"
	}
	return cfg, env.Err()
}

// The read model's tables belong to projections/catalog; the catalog's schema is its event
// store and relay checkpoint.
func main() { service.Main(schema, service.Migrations(schema), run) }

func run(ctx context.Context) error {
	cfg, err := loadConfig(config.FromOS())
	if err != nil {
		return err
	}
	p, err := service.Open(ctx, cfg.Base, service.Migrations(schema))
	if err != nil {
		return err
	}
	defer p.Close()
	log, pool, store := p.Log, p.Pool, p.Store
	registry := domain.Registry()

	// The queries read the catalog read model, which the projector (projections/cmd/projector)
	// builds and feeds; until its first build they answer 503.
	readPool := pool
	if cfg.ReadDatabaseURL != cfg.DatabaseURL {
		if readPool, err = postgres.NewPool(ctx, cfg.Base.PoolConfig(cfg.ReadDatabaseURL)); err != nil {
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

	media, closeMedia, err := storage.Open(ctx, cfg.Media)
	if err != nil {
		return err
	}
	defer closeMedia()
	log.Info("product pictures", "store", cfg.Media.Describe(), "url", cfg.MediaURL)

	storeOpts := p.StoreOptions()
	application := app.New(app.Deps{
		Products:     aggregate.NewStore(store, registry, domain.NewProduct, append(storeOpts, aggregate.WithRetries(productRetries))...),
		Categories:   aggregate.NewStore(store, registry, domain.NewCategory, storeOpts...),
		Reservations: aggregate.NewStore(store, registry, domain.NewReservation, storeOpts...),
		Owners:       adapters.ClaimOwners{Claims: store},
		Reader:       reader,
		Media:        media,
		Clock:        time.Now,
		Currency:     storeCurrency,
		Log:          log,
	})

	// An upload carries the picture itself: up to 10 MiB plus the request's other fields.
	srv := p.Server(nil, grpc.MaxRecvMsgSize(imaging.MaxBytes+64<<10))
	catalogv1.RegisterCatalogServiceServer(srv, ports.GRPC{App: application, MediaURL: cfg.MediaURL})
	return p.Serve(ctx, srv, domain.PrivateEventTypes())
}
