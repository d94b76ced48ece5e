// Command reviews serves the reviews context over gRPC: the products' reviews, one per user
// per product, their verified-purchase flags from the ordering context's events, and the
// admins' removals.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reaction"
	"github.com/storefront/storefront/platform/service"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
	"github.com/storefront/storefront/services/reviews/internal/adapters"
	"github.com/storefront/storefront/services/reviews/internal/app"
	"github.com/storefront/storefront/services/reviews/internal/domain"
	"github.com/storefront/storefront/services/reviews/internal/ports"
)

// name is the service's, its bounded context's and its PostgreSQL schema's name.
const name = "reviews"

// Config is the reviews service's configuration, read once from the environment.
type Config struct {
	service.Base
	// ReadDatabaseURL is the database of the reviews read model (STOREFRONT_READ_DATABASE_URL,
	// by default STOREFRONT_DATABASE_URL).
	ReadDatabaseURL string
	// The services a review is checked against: the product's and the author's.
	CatalogAddr, IdentityAddr string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{Base: service.LoadBase(env, name, "127.0.0.1:9109")}
	cfg.ReadDatabaseURL = env.URL("STOREFRONT_READ_DATABASE_URL", cfg.DatabaseURL, "postgres", "postgresql")
	cfg.CatalogAddr = env.HostPort("STOREFRONT_CATALOG_ADDR", "127.0.0.1:9102")
	cfg.IdentityAddr = env.HostPort("STOREFRONT_IDENTITY_ADDR", "127.0.0.1:9101")
	return cfg, env.Err()
}

// migrations are the reviews schema (event store, relay, the record of orders) and the
// projector's dead letters, where the purchases reaction parks what it cannot handle.
func migrations() []pgmigrate.Set {
	return service.Migrations(name, adapters.Migrations(name), projector.Migrations())
}

func main() { service.Main(name, migrations(), run) }

func run(ctx context.Context) error {
	cfg, err := loadConfig(config.FromOS())
	if err != nil {
		return err
	}
	p, err := service.Open(ctx, cfg.Base, migrations())
	if err != nil {
		return err
	}
	defer p.Close()

	readPool, err := p.ReadPool(ctx, cfg.ReadDatabaseURL)
	if err != nil {
		return err
	}
	catalogConn, err := grpcx.Dial(cfg.CatalogAddr, p.Tel)
	if err != nil {
		return fmt.Errorf("catalog client: %w", err)
	}
	defer catalogConn.Close()
	identityConn, err := grpcx.Dial(cfg.IdentityAddr, p.Tel)
	if err != nil {
		return fmt.Errorf("identity client: %w", err)
	}
	defer identityConn.Close()

	a := &app.App{
		Reviews:   aggregate.NewStore(p.Store, domain.Registry(), domain.NewReview, p.StoreOptions()...),
		Products:  adapters.Catalog{Client: catalogv1.NewCatalogServiceClient(catalogConn)},
		Authors:   adapters.Identity{Client: identityv1.NewIdentityServiceClient(identityConn)},
		ReadModel: adapters.ReadModel{Pool: readPool},
		Purchases: adapters.Purchases{Pool: p.Pool, Schema: name},
		Clock:     time.Now,
		Log:       p.Log,
	}
	js, err := jetstream.New(p.NATS)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	reactions, err := ports.Reactions(reaction.Config{JetStream: js, DB: p.Pool, Logger: p.Log, Propagator: p.Tel.Propagator, Meter: p.Tel.Meter},
		a, "ordering")
	if err != nil {
		return err
	}
	srv := p.Server(nil)
	reviewsv1.RegisterReviewServiceServer(srv, ports.GRPC{App: a})
	return p.Serve(ctx, srv, nil, reactions.Run)
}
