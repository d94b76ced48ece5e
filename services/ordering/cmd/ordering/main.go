// Command ordering serves the ordering context over gRPC — placing orders from carts, the
// orders' lifecycle, discounts and the admin views — and runs the checkout saga: a durable
// reaction to the orders' own events and deadlines that reserves stock in the catalog,
// charges through payments and compensates when checkout fails.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reaction"
	"github.com/storefront/storefront/platform/service"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
	"github.com/storefront/storefront/services/ordering/internal/adapters"
	"github.com/storefront/storefront/services/ordering/internal/app"
	"github.com/storefront/storefront/services/ordering/internal/domain"
	"github.com/storefront/storefront/services/ordering/internal/ports"
)

// name is the service's, its bounded context's and its PostgreSQL schema's name.
const name = "ordering"

// storeCurrency is the store's one currency (API.md: "One currency per store (USD default)").
const storeCurrency = "USD"

// Config is the ordering service's configuration, read once from the environment.
type Config struct {
	service.Base
	// ReadDatabaseURL is the database of the orders read model (STOREFRONT_READ_DATABASE_URL,
	// by default STOREFRONT_DATABASE_URL).
	ReadDatabaseURL string
	// The services checkout talks to.
	CartAddr, CatalogAddr, IdentityAddr, PaymentsAddr string
	// CheckoutDeadline is how long an order may stay pending before it is cancelled
	// (STOREFRONT_CHECKOUT_DEADLINE, default 30m: API.md's PayPal approval window).
	CheckoutDeadline time.Duration
	// SagaConcurrency is how many orders the saga moves at once in this process
	// (STOREFRONT_SAGA_CONCURRENCY, default 16).
	SagaConcurrency int
	// SagaAckWait is how long a step may take before its event is delivered again — also how
	// soon a step that a dead process left half-done resumes (STOREFRONT_SAGA_ACK_WAIT,
	// default 1m).
	SagaAckWait time.Duration
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{Base: service.LoadBase(env, name, "127.0.0.1:9104")}
	cfg.ReadDatabaseURL = env.URL("STOREFRONT_READ_DATABASE_URL", cfg.DatabaseURL, "postgres", "postgresql")
	cfg.CartAddr = env.HostPort("STOREFRONT_CART_ADDR", "127.0.0.1:9103")
	cfg.CatalogAddr = env.HostPort("STOREFRONT_CATALOG_ADDR", "127.0.0.1:9102")
	cfg.IdentityAddr = env.HostPort("STOREFRONT_IDENTITY_ADDR", "127.0.0.1:9101")
	cfg.PaymentsAddr = env.HostPort("STOREFRONT_PAYMENTS_ADDR", "127.0.0.1:9105")
	cfg.CheckoutDeadline = env.Duration("STOREFRONT_CHECKOUT_DEADLINE", 30*time.Minute)
	cfg.SagaConcurrency = env.Int("STOREFRONT_SAGA_CONCURRENCY", 16, 1, 256)
	cfg.SagaAckWait = env.Duration("STOREFRONT_SAGA_ACK_WAIT", time.Minute)
	if cfg.SagaAckWait < time.Second {
		env.Fail("STOREFRONT_SAGA_ACK_WAIT", "must be at least 1s")
	}
	if cfg.CheckoutDeadline < time.Second {
		env.Fail("STOREFRONT_CHECKOUT_DEADLINE", "must be at least 1s")
	}
	return cfg, env.Err()
}

// migrations are the ordering schema (event store, relay, the saga's timers) and the
// projector's dead letters, where the saga parks what it cannot handle.
func migrations() []pgmigrate.Set {
	return service.Migrations(name, reaction.Migrations(name), projector.Migrations())
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
	clients := map[string]string{"cart": cfg.CartAddr, "catalog": cfg.CatalogAddr, "identity": cfg.IdentityAddr, "payments": cfg.PaymentsAddr}
	conns := map[string]*grpc.ClientConn{}
	for svc, addr := range clients {
		conn, err := grpcx.Dial(addr, p.Tel)
		if err != nil {
			return fmt.Errorf("%s client: %w", svc, err)
		}
		defer conn.Close()
		conns[svc] = conn
	}

	registry := domain.Registry()
	application := app.New(app.Deps{
		Orders:           aggregate.NewStore(p.Store, registry, domain.NewOrder, p.StoreOptions()...),
		Discounts:        aggregate.NewStore(p.Store, registry, domain.NewDiscount, p.StoreOptions(aggregate.WithRetries(50))...),
		Carts:            adapters.Cart{Client: cartv1.NewCartServiceClient(conns["cart"])},
		Stock:            adapters.Catalog{Client: catalogv1.NewCatalogServiceClient(conns["catalog"])},
		Payments:         adapters.Payments{Client: paymentsv1.NewPaymentServiceClient(conns["payments"])},
		Addresses:        adapters.Identity{Client: identityv1.NewIdentityServiceClient(conns["identity"])},
		Timers:           adapters.Timers{DB: p.Pool, Schema: name},
		Views:            adapters.ReadModel{Pool: readPool, Currency: storeCurrency},
		Index:            adapters.Index{Pool: p.Pool, Schema: name},
		Log:              p.Log,
		Currency:         storeCurrency,
		CheckoutDeadline: cfg.CheckoutDeadline,
	})
	js, err := jetstream.New(p.NATS)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	saga, err := ports.Saga(reaction.Config{JetStream: js, DB: p.Pool, Schema: name, Logger: p.Log, Propagator: p.Tel.Propagator, Meter: p.Tel.Meter,
		AckWait: cfg.SagaAckWait},
		application, registry, name, "payments", cfg.SagaConcurrency)
	if err != nil {
		return err
	}

	srv := p.Server(nil)
	orderingv1.RegisterOrderingServiceServer(srv, ports.GRPC{App: application, Currency: storeCurrency})
	return p.Serve(ctx, srv, nil, saga.Run)
}
