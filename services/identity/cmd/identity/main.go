// Command identity serves the identity context over gRPC: accounts, sessions, password resets
// and the keys that sign access tokens.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/es/esotel"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/relay"
	"github.com/storefront/storefront/platform/revocation"
	"github.com/storefront/storefront/platform/telemetry"
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
	GRPCAddr    string
	MetricsAddr string
	DatabaseURL string
	NATSURL     string
	Replicas    int
	RedisURL    string
	RedisPrefix string
	SMTPAddr    string
	MailDir     string
	PublicURL   string
	AdminEmail  string
	AdminPass   string
	BcryptCost  int
	KeyRotation time.Duration
	LogLevel    slog.Level
	// PprofAddr, when set, serves net/http/pprof there (profiling; keep it on loopback).
	PprofAddr string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{
		GRPCAddr:    env.HostPort("STOREFRONT_IDENTITY_ADDR", "127.0.0.1:9101"),
		MetricsAddr: env.HostPort("STOREFRONT_METRICS_ADDR", ""),
		DatabaseURL: env.URL("STOREFRONT_DATABASE_URL", "", "postgres", "postgresql"),
		NATSURL:     env.URL("STOREFRONT_NATS_URL", "", "nats", "tls"),
		Replicas:    env.Int("STOREFRONT_STREAM_REPLICAS", 1, 1, 5),
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
	cfg.LogLevel = env.LogLevel("STOREFRONT_LOG_LEVEL", slog.LevelInfo)
	if cfg.DatabaseURL == "" {
		env.Fail("STOREFRONT_DATABASE_URL", "is required")
	}
	if cfg.NATSURL == "" {
		env.Fail("STOREFRONT_NATS_URL", "is required")
	}
	if cfg.SMTPAddr == "" && cfg.MailDir == "" {
		env.Fail("STOREFRONT_SMTP_ADDR", "set it, or STOREFRONT_MAIL_DIR to write mails to files")
	}
	if (cfg.AdminEmail == "") != (cfg.AdminPass == "") {
		env.Fail("STOREFRONT_ADMIN_EMAIL", "set it together with STOREFRONT_ADMIN_PASSWORD, or neither")
	}
	return cfg, env.Err()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case len(os.Args) == 2 && os.Args[1] == "migrate":
		// `identity migrate` applies the schema and exits: the migration Job of deploy/k8s.
		// Serving also migrates (idempotently, under an advisory lock), so it is optional.
		err = migrate(ctx)
	case len(os.Args) > 1:
		err = fmt.Errorf("usage: identity [migrate]")
	default:
		err = run(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "identity:", err)
		os.Exit(1)
	}
}

func migrate(ctx context.Context) error {
	env := config.FromOS()
	url := env.URL("STOREFRONT_DATABASE_URL", "", "postgres", "postgresql")
	if url == "" {
		env.Fail("STOREFRONT_DATABASE_URL", "is required")
	}
	if err := env.Err(); err != nil {
		return err
	}
	log := telemetry.NewLogger(os.Stderr, "identity", slog.LevelInfo)
	return pgmigrate.Apply(ctx, log, url, migrations()...)
}

// migrations are identity's schema: its event store, the relay's checkpoint, signing keys.
func migrations() []pgmigrate.Set {
	return []pgmigrate.Set{postgres.Migrations(schema), relay.Migrations(schema), adapters.Migrations(schema)}
}

func run(ctx context.Context) error {
	cfg, err := loadConfig(config.FromOS())
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(os.Stderr, "identity", cfg.LogLevel)
	tel, err := telemetry.Setup(ctx, "identity")
	if err != nil {
		return err
	}
	defer tel.Shutdown(context.Background())

	if err := pgmigrate.Apply(ctx, log, cfg.DatabaseURL, migrations()...); err != nil {
		return err
	}
	pool, err := postgres.NewPool(ctx, postgres.PoolConfig{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer pool.Close()
	pgStore, err := postgres.New(pool, schema)
	if err != nil {
		return err
	}
	defer pgStore.Close() // before the pool closes
	store, err := esotel.Instrument(pgStore, schema, tel.Meter, tel.Tracer)
	if err != nil {
		return err
	}
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

	storeOpts := []aggregate.Option{aggregate.WithPropagator(tel.Propagator), aggregate.WithLogger(log)}
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

	nc, err := nats.Connect(cfg.NATSURL, nats.Name("identity"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Drain()
	publisher, err := relay.New(relay.Config{Context: "identity", Schema: schema, StreamReplicas: cfg.Replicas, PrivateTypes: domain.PrivateEventTypes()},
		relay.Deps{Log: log, Store: store, DB: pool, NATS: nc, Meter: tel.Meter, Tracer: tel.Tracer, Propagator: tel.Propagator})
	if err != nil {
		return err
	}

	// Calls run on a pool of goroutines whose stacks have grown already, instead of a new
	// goroutine per call growing its stack again (~10% of identity's CPU under load); calls
	// beyond the pool still get goroutines of their own.
	srv := grpcx.NewServer(log, tel, nil, grpc.NumStreamWorkers(streamWorkers))
	identityv1.RegisterIdentityServiceServer(srv, ports.GRPC{App: application})

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(ctx, cfg.GRPCAddr) })
	g.Go(func() error { return publisher.Run(ctx) })
	if cfg.MetricsAddr != "" {
		g.Go(func() error { return tel.ServeMetrics(ctx, cfg.MetricsAddr) })
	}
	if cfg.PprofAddr != "" {
		g.Go(func() error { return servePprof(ctx, cfg.PprofAddr) })
	}
	g.Go(func() error {
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
	})
	if rdb != nil {
		g.Go(func() error {
			adapters.RevocationSync{Redis: rdb, Keys: revocation.Keys{Prefix: cfg.RedisPrefix}, Events: store, Registry: registry, Log: log, Every: 15 * time.Second}.Run(ctx)
			return nil
		})
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
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
