// Command support serves the support context over gRPC: the customers' conversations with
// the staff, their messages and their closing. The edge streams new messages to readers
// from the context's events; the notifier mails the staff about customers' messages.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/service"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
	"github.com/storefront/storefront/services/support/internal/adapters"
	"github.com/storefront/storefront/services/support/internal/app"
	"github.com/storefront/storefront/services/support/internal/domain"
	"github.com/storefront/storefront/services/support/internal/ports"
)

// name is the service's, its bounded context's and its PostgreSQL schema's name.
const name = "support"

// Config is the support service's configuration, read once from the environment.
type Config struct {
	service.Base
	// ReadDatabaseURL is the database of the support read model (STOREFRONT_READ_DATABASE_URL,
	// by default STOREFRONT_DATABASE_URL).
	ReadDatabaseURL string
	// IdentityAddr is asked for the writer's name.
	IdentityAddr string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{Base: service.LoadBase(env, name, "127.0.0.1:9110")}
	cfg.ReadDatabaseURL = env.URL("STOREFRONT_READ_DATABASE_URL", cfg.DatabaseURL, "postgres", "postgresql")
	cfg.IdentityAddr = env.HostPort("STOREFRONT_IDENTITY_ADDR", "127.0.0.1:9101")
	return cfg, env.Err()
}

// migrations are the support schema: its event store and relay checkpoint.
func migrations() []pgmigrate.Set { return service.Migrations(name) }

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
	identityConn, err := grpcx.Dial(cfg.IdentityAddr, p.Tel)
	if err != nil {
		return fmt.Errorf("identity client: %w", err)
	}
	defer identityConn.Close()

	a := &app.App{
		Conversations: aggregate.NewStore(p.Store, domain.Registry(), domain.NewConversation, p.StoreOptions()...),
		Authors:       adapters.Identity{Client: identityv1.NewIdentityServiceClient(identityConn)},
		ReadModel:     adapters.ReadModel{Pool: readPool},
		Clock:         time.Now,
		IDs:           app.NewID,
		Log:           p.Log,
	}
	srv := p.Server(nil)
	supportv1.RegisterSupportServiceServer(srv, ports.GRPC{App: a})
	return p.Serve(ctx, srv, nil)
}
