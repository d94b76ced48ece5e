// Command operations serves the operators' API over gRPC: the projections and their
// rebuilds, the contexts' event streams and events, the fleet's dead letters and the audit.
// Operators' requests are recorded as the operations context's events and handed over to
// the processes that carry them out (decision 023).
package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reaction"
	"github.com/storefront/storefront/platform/service"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	operationsv1 "github.com/storefront/storefront/proto/storefront/operations/v1"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
	"github.com/storefront/storefront/services/operations/internal/adapters"
	"github.com/storefront/storefront/services/operations/internal/app"
	"github.com/storefront/storefront/services/operations/internal/domain"
	"github.com/storefront/storefront/services/operations/internal/ports"
)

// name is the service's, its bounded context's and its PostgreSQL schema's name.
const name = "operations"

// Config is the operations service's configuration, read once from the environment.
type Config struct {
	service.Base
	// ReadDatabaseURL holds the projector's registry and parking lot and the audit read model
	// (STOREFRONT_READ_DATABASE_URL, by default STOREFRONT_DATABASE_URL).
	ReadDatabaseURL string
	// EventsDatabaseURL is where the contexts' event stores are read
	// (STOREFRONT_EVENTS_DATABASE_URL, by default STOREFRONT_DATABASE_URL), in read-only
	// sessions; in production a role granted only SELECT on their events (decision 004).
	EventsDatabaseURL string
	// Contexts are the contexts whose streams operators may read (STOREFRONT_OPERATIONS_CONTEXTS,
	// comma-separated).
	Contexts []string
}

const defaultContexts = "identity,catalog,cart,ordering,payments,notifications,content,reviews,support,operations"

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{Base: service.LoadBase(env, name, "127.0.0.1:9120")}
	cfg.ReadDatabaseURL = env.URL("STOREFRONT_READ_DATABASE_URL", cfg.DatabaseURL, "postgres", "postgresql")
	cfg.EventsDatabaseURL = env.URL("STOREFRONT_EVENTS_DATABASE_URL", cfg.DatabaseURL, "postgres", "postgresql")
	for _, c := range strings.Split(env.String("STOREFRONT_OPERATIONS_CONTEXTS", defaultContexts), ",") {
		if c = strings.TrimSpace(c); c != "" {
			cfg.Contexts = append(cfg.Contexts, c)
		}
	}
	return cfg, env.Err()
}

// migrations are the operations schema: its event store and relay checkpoint.
func migrations() []pgmigrate.Set { return service.Migrations(name) }

func main() { service.Main(name, migrations(), run) }

// eventRegistry decodes every context's events, for rendering them to operators.
func eventRegistry() *events.Registry {
	r := events.NewRegistry()
	for _, catalogue := range [][]proto.Message{identityv1.Events(), catalogv1.Events(), cartv1.Events(), orderingv1.Events(),
		paymentsv1.Events(), contentv1.Events(), reviewsv1.Events(), supportv1.Events(), operationsv1.Events()} {
		r.Register(catalogue...)
	}
	return r
}

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

	// The registry and the parking lot are the projector's; applying its migrations (which
	// the projector applies too, idempotently) lets either process start first.
	if err := pgmigrate.Apply(ctx, p.Log, cfg.ReadDatabaseURL, projector.Migrations()); err != nil {
		return err
	}
	readPool, err := p.ReadPool(ctx, cfg.ReadDatabaseURL)
	if err != nil {
		return err
	}
	eventsPool, err := postgres.NewReadOnlyPool(ctx, cfg.EventsDatabaseURL, 4)
	if err != nil {
		return fmt.Errorf("event stores: %w", err)
	}
	defer eventsPool.Close()
	stores, err := adapters.NewStores(eventsPool, cfg.Contexts)
	if err != nil {
		return err
	}
	a := &app.App{
		Projections: aggregate.NewStore(p.Store, domain.Registry(), domain.NewProjection, p.StoreOptions()...),
		DeadLetters: aggregate.NewStore(p.Store, domain.Registry(), domain.NewDeadLetter, p.StoreOptions()...),
		Registry:    adapters.Registry{Pool: readPool},
		Stores:      stores,
		Audit:       adapters.Audit{Pool: readPool},
		Clock:       time.Now,
		Log:         p.Log,
	}
	js, err := jetstream.New(p.NATS)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	handOver, err := ports.Reactions(reaction.Config{JetStream: js, DB: readPool, Logger: p.Log,
		Propagator: p.Tel.Propagator, Meter: p.Tel.Meter}, a, domain.Registry(), name)
	if err != nil {
		return err
	}
	srv := p.Server(nil)
	operationsv1.RegisterOperationsServiceServer(srv, ports.GRPC{App: a, Events: eventRegistry()})
	return p.Serve(ctx, srv, nil, handOver.Run)
}
