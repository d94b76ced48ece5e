// Command notifications sends the customers' mails — order confirmation, payment receipt,
// shipped, delivered, cancellation, refund — once per event of the ordering context that
// calls for one, to the addresses identity's events tell it; and the staff's mail about a
// customer's support message, at most once per conversation per 10 minutes. Over SMTP when
// STOREFRONT_SMTP_ADDR is set, else as .eml files in STOREFRONT_MAIL_DIR.
package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reaction"
	"github.com/storefront/storefront/platform/service"
	notificationsv1 "github.com/storefront/storefront/proto/storefront/notifications/v1"
	"github.com/storefront/storefront/services/notifications/internal/adapters"
	"github.com/storefront/storefront/services/notifications/internal/app"
	"github.com/storefront/storefront/services/notifications/internal/domain"
	"github.com/storefront/storefront/services/notifications/internal/ports"
)

// name is the service's and its PostgreSQL schema's name.
const name = "notifications"

// Config is the notifier's configuration, read once from the environment.
type Config struct {
	service.Base
	// SMTPAddr (STOREFRONT_SMTP_ADDR) is the relay mail goes through; without it, mails are
	// written to MailDir (STOREFRONT_MAIL_DIR).
	SMTPAddr, MailDir string
	// PublicURL is the storefront's address, for the order links (STOREFRONT_PUBLIC_URL).
	PublicURL string
	// StoreName is the store's name in the mails (STOREFRONT_STORE_NAME, default Storefront).
	StoreName string
	// SupportEmail is the staff's address for customers' support messages
	// (STOREFRONT_SUPPORT_EMAIL, by default STOREFRONT_ADMIN_EMAIL, the dev admin's under
	// make run); empty: no such mails.
	SupportEmail string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{Base: service.LoadBase(env, name, "127.0.0.1:9106")}
	cfg.SMTPAddr = env.HostPort("STOREFRONT_SMTP_ADDR", "")
	cfg.MailDir = env.String("STOREFRONT_MAIL_DIR", "")
	if cfg.SMTPAddr == "" && cfg.MailDir == "" {
		env.Fail("STOREFRONT_SMTP_ADDR", "set it, or STOREFRONT_MAIL_DIR to write mails to files")
	}
	cfg.PublicURL = env.URL("STOREFRONT_PUBLIC_URL", "http://127.0.0.1:8080", "http", "https")
	cfg.StoreName = env.String("STOREFRONT_STORE_NAME", "Storefront")
	cfg.SupportEmail = env.String("STOREFRONT_SUPPORT_EMAIL", env.String("STOREFRONT_ADMIN_EMAIL", ""))
	return cfg, env.Err()
}

// migrations are the notifier's schema (its records; an event store and relay, as every
// service has) and the projector's dead letters, where its reactions park what they cannot
// handle.
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

	composer, err := domain.NewComposer(cfg.StoreName, strings.TrimSuffix(cfg.PublicURL, "/")+"/orders/{order_id}")
	if err != nil {
		return err
	}
	var mailer app.Mailer = adapters.Dir{Path: cfg.MailDir, Log: p.Log}
	if cfg.SMTPAddr != "" {
		mailer = adapters.SMTP{Addr: cfg.SMTPAddr}
	}
	if cfg.SupportEmail == "" {
		p.Log.Warn("no STOREFRONT_SUPPORT_EMAIL (nor STOREFRONT_ADMIN_EMAIL): the staff are not mailed about support messages")
	}
	a := &app.App{Store: adapters.Store{Pool: p.Pool, Schema: name}, Mailer: mailer, Composer: composer, Log: p.Log,
		Support: app.Support{To: cfg.SupportEmail, URL: strings.TrimSuffix(cfg.PublicURL, "/") + "/support/{conversation_id}"}}
	js, err := jetstream.New(p.NATS)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	reactions, err := ports.Reactions(reaction.Config{JetStream: js, DB: p.Pool, Logger: p.Log, Propagator: p.Tel.Propagator, Meter: p.Tel.Meter},
		a, "identity", "ordering", "support")
	if err != nil {
		return err
	}
	srv := p.Server(nil)
	notificationsv1.RegisterNotificationServiceServer(srv, ports.GRPC{App: a})
	return p.Serve(ctx, srv, nil, reactions.Run)
}
