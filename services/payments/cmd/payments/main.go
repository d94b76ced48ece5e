// Command payments serves the payments context over gRPC (internal: the checkout saga calls
// it): it charges orders through Stripe, gives payments up and refunds them, each call
// idempotent by order and step.
package main

import (
	"context"
	"strings"

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
	// StripeWebhookSecret verifies Stripe's webhooks (STRIPE_WEBHOOK_SECRET); unset, they
	// are refused.
	StripeWebhookSecret string
	// PayPal's REST app (PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET, STOREFRONT_PAYPAL_API_BASE):
	// unset, payment_method "paypal" is refused. `make run` points them at the local stand-in.
	PayPalID, PayPalSecret, PayPalBase string
	// PayPalWebhookID is the PayPal webhook whose deliveries are taken (PAYPAL_WEBHOOK_ID);
	// unset, PayPal's webhooks are refused.
	PayPalWebhookID string
	// PublicURL is the storefront's address, for PayPal's return links (STOREFRONT_PUBLIC_URL).
	PublicURL string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{Base: service.LoadBase(env, name, "127.0.0.1:9105")}
	cfg.StripeKey = env.String("STRIPE_SECRET_KEY", "")
	cfg.StripeBase = env.URL("STOREFRONT_STRIPE_API_BASE", "https://api.stripe.com", "http", "https")
	if cfg.StripeKey == "" {
		env.Fail("STRIPE_SECRET_KEY", "is required")
	}
	cfg.StripeWebhookSecret = env.String("STRIPE_WEBHOOK_SECRET", "")
	cfg.PayPalID, cfg.PayPalSecret = env.String("PAYPAL_CLIENT_ID", ""), env.String("PAYPAL_CLIENT_SECRET", "")
	cfg.PayPalBase = env.URL("STOREFRONT_PAYPAL_API_BASE", "https://api-m.paypal.com", "http", "https")
	if (cfg.PayPalID == "") != (cfg.PayPalSecret == "") {
		env.Fail("PAYPAL_CLIENT_ID", "set it together with PAYPAL_CLIENT_SECRET, or neither")
	}
	cfg.PayPalWebhookID = env.String("PAYPAL_WEBHOOK_ID", "")
	cfg.PublicURL = env.URL("STOREFRONT_PUBLIC_URL", "http://127.0.0.1:8080", "http", "https")
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

	deps := app.Deps{
		Payments: aggregate.NewStore(p.Store, domain.Registry(), domain.NewPayment, p.StoreOptions()...),
		Stripe:   adapters.NewStripe(cfg.StripeKey, cfg.StripeBase),
		Claims:   p.Events,
		Log:      p.Log,
	}
	if cfg.StripeWebhookSecret != "" {
		deps.StripeHooks = adapters.StripeWebhooks{Secret: cfg.StripeWebhookSecret}
	} else {
		p.Log.Warn("no STRIPE_WEBHOOK_SECRET: Stripe's webhooks are refused")
	}
	if cfg.PayPalID != "" {
		pp, err := adapters.NewPayPal(cfg.PayPalID, cfg.PayPalSecret, cfg.PayPalBase)
		if err != nil {
			return err
		}
		pp.ReturnURL = strings.TrimSuffix(cfg.PublicURL, "/") + "/orders/{order_id}?paypal=approved"
		pp.CancelURL = strings.TrimSuffix(cfg.PublicURL, "/") + "/orders/{order_id}?paypal=cancelled"
		deps.PayPal = pp
		if cfg.PayPalWebhookID != "" {
			deps.PayPalHooks = adapters.PayPalWebhooks{PayPal: pp, WebhookID: cfg.PayPalWebhookID}
		}
	} else {
		p.Log.Warn("no PAYPAL_CLIENT_ID: payment_method \"paypal\" is refused")
	}
	application := app.New(deps)
	srv := p.Server(nil)
	paymentsv1.RegisterPaymentServiceServer(srv, ports.GRPC{App: application})
	return p.Serve(ctx, srv, nil)
}
