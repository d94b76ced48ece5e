// Command content serves the content context over gRPC: the blog's posts, written in Markdown
// by admins, drafts until published, read from the blog read model.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/service"
	readmodel "github.com/storefront/storefront/projections/content"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	"github.com/storefront/storefront/services/content/internal/adapters"
	"github.com/storefront/storefront/services/content/internal/app"
	"github.com/storefront/storefront/services/content/internal/domain"
	"github.com/storefront/storefront/services/content/internal/markdown"
	"github.com/storefront/storefront/services/content/internal/ports"
)

// name is the service's, its bounded context's and its PostgreSQL schema's name.
const name = "content"

// Config is the content service's configuration, read once from the environment.
type Config struct {
	service.Base
	// ReadDatabaseURL is the database of the read models (projections/content's read schema
	// blog_posts): STOREFRONT_READ_DATABASE_URL, by default STOREFRONT_DATABASE_URL.
	ReadDatabaseURL string
	// IdentityAddr is the identity service (STOREFRONT_IDENTITY_ADDR), asked for the calling
	// admin's name when a post is written without an author name.
	IdentityAddr string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{Base: service.LoadBase(env, name, "127.0.0.1:9108")}
	cfg.ReadDatabaseURL = env.URL("STOREFRONT_READ_DATABASE_URL", cfg.DatabaseURL, "postgres", "postgresql")
	cfg.IdentityAddr = env.HostPort("STOREFRONT_IDENTITY_ADDR", "127.0.0.1:9101")
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

	// The queries read the blog read model, which the projector (projections/cmd/projector)
	// builds and feeds; until its first build they answer 503.
	readPool := p.Pool
	if cfg.ReadDatabaseURL != cfg.DatabaseURL {
		if readPool, err = postgres.NewPool(ctx, cfg.Base.PoolConfig(cfg.ReadDatabaseURL)); err != nil {
			return fmt.Errorf("read-model database: %w", err)
		}
		defer readPool.Close()
	}
	identity, err := grpcx.Dial(cfg.IdentityAddr, p.Tel)
	if err != nil {
		return fmt.Errorf("identity client: %w", err)
	}
	defer identity.Close()

	application := app.New(app.Deps{
		Posts:    aggregate.NewStore(p.Store, domain.Registry(), domain.NewPost, p.StoreOptions()...),
		Owners:   adapters.ClaimOwners{Claims: p.Store},
		Authors:  adapters.Identity{Client: identityv1.NewIdentityServiceClient(identity)},
		Reader:   adapters.ReadModel{Queries: readmodel.NewQueries(readPool)},
		Renderer: markdown.New(),
		Clock:    time.Now,
		Log:      p.Log,
	})

	srv := p.Server(nil)
	contentv1.RegisterContentServiceServer(srv, ports.GRPC{App: application})
	return p.Serve(ctx, srv, nil)
}
