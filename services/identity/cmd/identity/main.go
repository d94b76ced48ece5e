// Command identity serves the identity context over gRPC: accounts, sessions, password resets
// and the keys that sign access tokens.
package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/revocation"
	"github.com/storefront/storefront/platform/service"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	"github.com/storefront/storefront/services/identity/internal/adapters"
	"github.com/storefront/storefront/services/identity/internal/app"
	"github.com/storefront/storefront/services/identity/internal/domain"
	"github.com/storefront/storefront/services/identity/internal/ports"
)

// streamWorkers is how many goroutines serve gRPC calls before more are started: the edge's
// concurrency under load is a few dozen calls.
const streamWorkers = 64

// schema is identity's PostgreSQL schema: its event store, claims and signing keys.
const schema = "identity"

// Config is identity's configuration, read once from the environment.
type Config struct {
	service.Base
	RedisURL    string
	RedisPrefix string
	SMTPAddr    string
	MailDir     string
	PublicURL   string
	AdminEmail  string
	AdminPass   string
	BcryptCost  int
	KeyRotation time.Duration
	// PprofAddr, when set, serves net/http/pprof there (profiling; keep it on loopback).
	PprofAddr string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{
		Base:        service.LoadBase(env, schema, "127.0.0.1:9101"),
		RedisURL:    env.URL("STOREFRONT_REDIS_URL", "", "redis", "rediss"),
		RedisPrefix: env.String("STOREFRONT_REDIS_PREFIX", "sf:"),
		SMTPAddr:    env.HostPort("STOREFRONT_SMTP_ADDR", ""),
		MailDir:     env.String("STOREFRONT_MAIL_DIR", ""),
		PublicURL:   env.URL("STOREFRONT_PUBLIC_URL", "http://127.0.0.1:8080", "http", "https"),
		AdminEmail:  env.String("STOREFRONT_ADMIN_EMAIL", ""),
		AdminPass:   env.String("STOREFRONT_ADMIN_PASSWORD", ""),
		// bcrypt cost 12 (the brief); tests lower it to keep fast.
		BcryptCost:  env.Int("STOREFRONT_BCRYPT_COST", 12, 4, 16),
		KeyRotation: env.Duration("STOREFRONT_KEY_ROTATION", 30*24*time.Hour),
		PprofAddr:   env.HostPort("STOREFRONT_IDENTITY_PPROF_ADDR", ""),
	}
	if cfg.SMTPAddr == "" && cfg.MailDir == "" {
		env.Fail("STOREFRONT_SMTP_ADDR", "set it, or STOREFRONT_MAIL_DIR to write mails to files")
	}
	if (cfg.AdminEmail == "") != (cfg.AdminPass == "") {
		env.Fail("STOREFRONT_ADMIN_EMAIL", "set it together with STOREFRONT_ADMIN_PASSWORD, or neither")
	}
	return cfg, env.Err()
}

func main() { service.Main(schema, migrations(), run) }

// migrations are identity's schema: its event store, the relay's checkpoint and the signing
// keys.
func migrations() []pgmigrate.Set { return service.Migrations(schema, adapters.Migrations(schema)) }

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
	log, pool, store := p.Log, p.Pool, p.Store
	registry := domain.Registry()

	hasher, err := adapters.NewBcrypt(cfg.BcryptCost)
	if err != nil {
		return fmt.Errorf("STOREFRONT_BCRYPT_COST: %w", err)
	}
	keys, err := adapters.NewKeys(ctx, pool, schema, cfg.KeyRotation, domain.AccessTokenTTL)
	if err != nil {
		return err
	}
	var mailer app.Mailer = adapters.DirMailer{Dir: cfg.MailDir, Log: log}
	if cfg.SMTPAddr != "" {
		mailer = adapters.SMTPMailer{Addr: cfg.SMTPAddr}
	}
	var revocations app.Revocations = adapters.NoRevocations{}
	var rdb *redis.Client
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("STOREFRONT_REDIS_URL: %w", err)
		}
		rdb = redis.NewClient(opts)
		defer rdb.Close()
		revocations = adapters.RedisRevocations{Client: rdb, Keys: revocation.Keys{Prefix: cfg.RedisPrefix}}
	}

	storeOpts := p.StoreOptions()
	users := aggregate.NewStore(store, registry, domain.NewUser, storeOpts...)
	application := app.New(app.Deps{
		Users:       users,
		Sessions:    aggregate.NewStore(store, registry, domain.NewSession, storeOpts...),
		Accounts:    adapters.NewCachedAccounts(users, store),
		Owners:      adapters.ClaimOwners{Claims: store},
		Hasher:      hasher,
		Tokens:      keys,
		Mailer:      mailer,
		Revocations: revocations,
		Clock:       time.Now,
		PublicURL:   cfg.PublicURL,
	})
	if cfg.AdminEmail != "" {
		if err := application.Commands.EnsureAdmin.Handle(ctx, app.EnsureAdmin{Email: cfg.AdminEmail, Password: cfg.AdminPass}); err != nil {
			return err
		}
		log.Info("admin account ensured", "email", domain.NormalizeEmail(cfg.AdminEmail))
	}

	// Calls run on a pool of goroutines whose stacks have grown already, instead of a new
	// goroutine per call growing its stack again (~10% of identity's CPU under load); calls
	// beyond the pool still get goroutines of their own.
	srv := p.Server(nil, grpc.NumStreamWorkers(streamWorkers))
	identityv1.RegisterIdentityServiceServer(srv, ports.GRPC{App: application})

	tasks := []func(context.Context) error{func(ctx context.Context) error {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				if err := keys.Rotate(ctx, time.Now()); err != nil {
					log.Warn("signing key rotation failed; will retry", "err", err)
				}
			}
		}
	}}
	if cfg.PprofAddr != "" {
		tasks = append(tasks, func(ctx context.Context) error { return servePprof(ctx, cfg.PprofAddr) })
	}
	if rdb != nil {
		tasks = append(tasks, func(ctx context.Context) error {
			adapters.RevocationSync{Redis: rdb, Keys: revocation.Keys{Prefix: cfg.RedisPrefix}, Events: store, Registry: registry, Log: log, Every: 15 * time.Second}.Run(ctx)
			return nil
		})
	}
	return p.Serve(ctx, srv, domain.PrivateEventTypes(), tasks...)
}

// servePprof serves the runtime profiles of net/http/pprof on addr until ctx ends.
func servePprof(ctx context.Context, addr string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("pprof server on %s: %w", addr, err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
