// Command cart serves the cart context over gRPC: each user's cart and wishlist, priced
// from the cart's own read model of the catalog, and the checkout calls of the ordering
// context.
package main

import (
	"context"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/service"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
	"github.com/storefront/storefront/services/cart/internal/adapters"
	"github.com/storefront/storefront/services/cart/internal/app"
	"github.com/storefront/storefront/services/cart/internal/domain"
	"github.com/storefront/storefront/services/cart/internal/ports"
)

// name is the service's, its bounded context's and its PostgreSQL schema's name.
const name = "cart"

// storeCurrency is the store's one currency (API.md: "One currency per store (USD default)").
const storeCurrency = "USD"

// Config is the cart's configuration, read once from the environment.
type Config struct {
	service.Base
	// ReadDatabaseURL is the database of the read models (projections/cart's read schema
	// cart_products): STOREFRONT_READ_DATABASE_URL, by default STOREFRONT_DATABASE_URL. When
	// they are the same, a cart read is one round trip (decision 015).
	ReadDatabaseURL string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{Base: service.LoadBase(env, name, "127.0.0.1:9103")}
	cfg.ReadDatabaseURL = env.URL("STOREFRONT_READ_DATABASE_URL", cfg.DatabaseURL, "postgres", "postgresql")
	return cfg, env.Err()
}

func main() { service.Main(name, service.Migrations(name), run) }

func run(ctx context.Context) error {
	cfg, err := loadConfig(config.FromOS())
	if err != nil {
		return err
	}
	p, err := service.Open(ctx, cfg.Base, service.Migrations(name))
	if err != nil {
		return err
	}
	defer p.Close()

	// Names, prices and stock come from the cart's product read model, which the projector
	// (projections/cmd/projector) builds from the catalog's events; until its first build the
	// reads answer 503.
	sameDatabase := cfg.ReadDatabaseURL == cfg.DatabaseURL
	readPool, err := p.ReadPool(ctx, cfg.ReadDatabaseURL)
	if err != nil {
		return err
	}
	products := adapters.ReadModel{Pool: readPool}

	registry := domain.Registry()
	carts := aggregate.NewStore(p.Store, registry, domain.NewCart, p.StoreOptions()...)
	wishlists := aggregate.NewStore(p.Store, registry, domain.NewWishlist, p.StoreOptions()...)
	version := p.Events.StreamVersionSQL()
	application := app.New(app.Deps{
		Carts:         carts,
		Wishlists:     wishlists,
		CartReader:    adapters.NewVersionedReader(carts, domain.CartStream, p.Pool, version, products, sameDatabase),
		WishlistReads: adapters.NewVersionedReader(wishlists, domain.WishlistStream, p.Pool, version, products, sameDatabase),
		Products:      products,
		Clock:         time.Now,
		Currency:      storeCurrency,
		Log:           p.Log,
	})

	srv := p.Server(nil)
	cartv1.RegisterCartServiceServer(srv, ports.GRPC{App: application})
	return p.Serve(ctx, srv, nil)
}
