// Command payments serves the payments context over gRPC (internal: the checkout saga calls
// it): it charges orders through Stripe, gives payments up and refunds them, each call
// idempotent by order and step.
package main

import (
	"context"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/service"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
	"github.com/storefront/storefront/services/payments/internal/adapters"
	"github.com/storefront/storefront/services/payments/internal/app"
	"github.com/storefront/storefront/services/payments/internal/domain"
	"github.com/storefront/storefront/services/payments/internal/ports"
)

// name is the service's, its bounded context's and its PostgreSQL schema's name.
const name = "payments"

// Config is the payments service's configuration, read once from the environment.
type Config struct {
	service.Base
	// StripeKey and StripeBase are Stripe's secret key and API base (STRIPE_SECRET_KEY,
	// STOREFRONT_STRIPE_API_BASE): `make run` points them at the local stand-in.
	StripeKey, StripeBase string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{Base: service.LoadBase(env, name, "127.0.0.1:9105")}
	cfg.StripeKey = env.String("STRIPE_SECRET_KEY", "")
	cfg.StripeBase = env.URL("STOREFRONT_STRIPE_API_BASE", "https://api.stripe.com", "http", "https")
	if cfg.StripeKey == "" {
		env.Fail("STRIPE_SECRET_KEY", "is required")
	}
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

	application := app.New(app.Deps{
		Payments: aggregate.NewStore(p.Store, domain.Registry(), domain.NewPayment, p.StoreOptions()...),
		Stripe:   adapters.NewStripe(cfg.StripeKey, cfg.StripeBase),
		Log:      p.Log,
	})
	srv := p.Server(nil)
	paymentsv1.RegisterPaymentServiceServer(srv, ports.GRPC{App: application})
	return p.Serve(ctx, srv, nil)
}
