// Command gateway is the REST edge of the fleet: it serves /api/v1 by calling the services
// over gRPC, plus health, metrics and the OpenAPI document, and the built web storefront at
// the site root when STOREFRONT_WEB_DIR is set.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/storefront/storefront/gateway/internal/auth"
	"github.com/storefront/storefront/gateway/internal/backends"
	"github.com/storefront/storefront/gateway/internal/edge"
	"github.com/storefront/storefront/gateway/internal/livechat"
	mediahttp "github.com/storefront/storefront/gateway/internal/media"
	"github.com/storefront/storefront/gateway/internal/policy"
	"github.com/storefront/storefront/gateway/internal/ratelimit"
	"github.com/storefront/storefront/gateway/internal/seo"
	"github.com/storefront/storefront/gateway/internal/server"
	"github.com/storefront/storefront/gateway/internal/webapp"
	"github.com/storefront/storefront/gateway/internal/webhooks"
	"github.com/storefront/storefront/gateway/internal/websession"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/revocation"
	"github.com/storefront/storefront/platform/storage"
	"github.com/storefront/storefront/platform/telemetry"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

// Config is the gateway's configuration, read once from the environment.
type Config struct {
	HTTPAddr string
	// PublicURL is the storefront's address, for the sitemap's links (STOREFRONT_PUBLIC_URL,
	// default http:// + the HTTP address).
	PublicURL   string
	CORSOrigins []string
	LogLevel    slog.Level
	RedisURL    string
	RedisPrefix string
	Rates       server.Rates
	Backends    map[string]string // name → gRPC address
	// NATSURL is where the support context's new messages are heard, for the chat's streams
	// (STOREFRONT_NATS_URL).
	NATSURL string
	// SupportContext names the support context's subjects (STOREFRONT_SUPPORT_CONTEXT,
	// default "support"; tests use prefixed ones).
	SupportContext string
	// StreamHeartbeat is the interval of the chat streams' heartbeat and of the recheck of
	// their caller (STOREFRONT_STREAM_HEARTBEAT, default 15s).
	StreamHeartbeat time.Duration
	// PprofAddr, when set, serves net/http/pprof there (profiling; keep it on loopback).
	PprofAddr string
	// Errors reports logged errors (5xx, panics) to Sentry when SENTRY_DSN is set.
	Errors telemetry.ErrorReports
	// TLSCertFile and TLSKeyFile, both set, make the gateway serve TLS 1.3 itself
	// (STOREFRONT_TLS_CERT_FILE, STOREFRONT_TLS_KEY_FILE; renewed files are picked up).
	TLSCertFile, TLSKeyFile string
	// Media is the store of product pictures that /media/{key} serves (the catalog's:
	// STOREFRONT_S3_* or STOREFRONT_MEDIA_DIR).
	Media storage.Config
	// WebDir is the built web storefront served at the site root (STOREFRONT_WEB_DIR: a
	// directory holding index.html, e.g. web/dist; unset: none, the root answers the JSON 404).
	WebDir string
	// MediaOrigin is the origin of the pictures' URLs (STOREFRONT_MEDIA_PUBLIC_URL, default
	// the public URL + "/media/") when it is not the public URL's, for the web storefront's
	// Content-Security-Policy; empty when they are the same.
	MediaOrigin string
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{
		HTTPAddr:    env.HostPort("STOREFRONT_HTTP_ADDR", "127.0.0.1:8080"),
		CORSOrigins: edge.ParseOrigins(env.String("STOREFRONT_CORS_ORIGINS", "")),
		RedisURL:    env.URL("STOREFRONT_REDIS_URL", "", "redis", "rediss"),
		RedisPrefix: env.String("STOREFRONT_REDIS_PREFIX", "sf:"),
		Rates: server.Rates{
			Auth:  env.Rate("STOREFRONT_RATE_LIMIT_AUTH", config.Rate{Limit: 5, Period: 15 * time.Minute}),
			API:   env.Rate("STOREFRONT_RATE_LIMIT_API", config.Rate{Limit: 100, Period: time.Minute}),
			Admin: env.Rate("STOREFRONT_RATE_LIMIT_ADMIN", config.Rate{Limit: 200, Period: time.Minute}),
		},
		Backends:       map[string]string{},
		PprofAddr:      env.HostPort("STOREFRONT_GATEWAY_PPROF_ADDR", ""),
		NATSURL:        env.URL("STOREFRONT_NATS_URL", "", "nats", "tls"),
		SupportContext: env.String("STOREFRONT_SUPPORT_CONTEXT", "support"),
	}
	cfg.StreamHeartbeat = env.Duration("STOREFRONT_STREAM_HEARTBEAT", 15*time.Second)
	if cfg.NATSURL == "" {
		env.Fail("STOREFRONT_NATS_URL", "is required (the support chat's streams listen there)")
	}
	cfg.PublicURL = strings.TrimSuffix(env.URL("STOREFRONT_PUBLIC_URL", "http://"+cfg.HTTPAddr, "http", "https"), "/")
	cfg.LogLevel = env.LogLevel("STOREFRONT_LOG_LEVEL", slog.LevelInfo)
	cfg.Media = storage.ConfigFromEnv(env)
	cfg.MediaOrigin = otherOrigin(cfg.PublicURL, env.URL("STOREFRONT_MEDIA_PUBLIC_URL", cfg.PublicURL+"/media/", "http", "https"))
	if cfg.WebDir = env.String("STOREFRONT_WEB_DIR", ""); cfg.WebDir != "" {
		if _, err := os.Stat(filepath.Join(cfg.WebDir, "index.html")); err != nil {
			env.Fail("STOREFRONT_WEB_DIR", "%s holds no index.html: not a build of the web storefront (npm run build in web/ makes web/dist)", cfg.WebDir)
		}
	}
	cfg.Errors = telemetry.ErrorReportsFromEnv(env)
	cfg.TLSCertFile, cfg.TLSKeyFile = env.String("STOREFRONT_TLS_CERT_FILE", ""), env.String("STOREFRONT_TLS_KEY_FILE", "")
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		env.Fail("STOREFRONT_TLS_CERT_FILE", "set both STOREFRONT_TLS_CERT_FILE and STOREFRONT_TLS_KEY_FILE, or neither")
	}
	for _, b := range backends.All() {
		cfg.Backends[b.Name] = env.HostPort(b.AddrEnv, "")
		if cfg.Backends[b.Name] == "" {
			env.Fail(b.AddrEnv, "the %s service's gRPC address is required", b.Name)
		}
	}
	return cfg, env.Err()
}

// otherOrigin returns the origin of rawURL when it is not the origin of public, else "".
func otherOrigin(public, rawURL string) string {
	p, err1 := url.Parse(public)
	u, err2 := url.Parse(rawURL)
	if err1 != nil || err2 != nil || u.Host == "" {
		return "" // both were validated as absolute URLs; a host-less one names no origin
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	if origin == strings.ToLower(p.Scheme+"://"+p.Host) {
		return ""
	}
	return origin
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := loadConfig(config.FromOS())
	if err != nil {
		return err
	}
	log, flushReports, err := telemetry.WithErrorReports(telemetry.NewLogger(os.Stderr, "gateway", cfg.LogLevel), "gateway", cfg.Errors)
	if err != nil {
		return err
	}
	defer flushReports(2 * time.Second)
	tel, err := telemetry.Setup(ctx, "gateway")
	if err != nil {
		return err
	}
	defer shutdown(log, "telemetry", tel.Shutdown)

	policies, err := policy.Load(backends.Services()...)
	if err != nil {
		return err
	}

	var rdb *redis.Client
	var limiter ratelimit.Limiter = ratelimit.NewMemory()
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("STOREFRONT_REDIS_URL: %w", err)
		}
		rdb = redis.NewClient(opts)
		defer rdb.Close()
		limiter = &ratelimit.Fallback{Primary: ratelimit.NewRedis(rdb, cfg.RedisPrefix), Secondary: limiter, Log: log}
	} else {
		log.Warn("no STOREFRONT_REDIS_URL: rate limits are per gateway process, and every token's session is checked with identity")
	}

	access := &server.Access{Policies: policies, Limiter: limiter, Rates: cfg.Rates, Log: log}
	api := runtime.NewServeMux(append(edge.GatewayOptions(log), access.ForwardResponseOption())...)
	conns := map[string]*grpc.ClientConn{}
	var checks []edge.Check
	for _, b := range backends.All() {
		conn, err := grpcx.Dial(cfg.Backends[b.Name], tel, grpc.WithChainUnaryInterceptor(access.UnaryClientInterceptor()))
		if err != nil {
			return err
		}
		defer conn.Close()
		if b.Register != nil {
			if err := b.Register(ctx, api, conn); err != nil {
				return fmt.Errorf("register %s routes: %w", b.Name, err)
			}
		}
		conns[b.Name] = conn
		health := healthpb.NewHealthClient(conn)
		checks = append(checks, edge.Check{Name: b.Name, Run: func(ctx context.Context) error {
			resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
			if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				err = fmt.Errorf("status %s", resp.GetStatus())
			}
			return err
		}})
	}
	if rdb != nil {
		checks = append(checks, edge.Check{Name: "redis", Run: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }})
	}
	// What readiness checks is also a metric: storefront_dependency_up{dependency="redis"}, one
	// per backend service too.
	watched := map[string]func(context.Context) error{}
	for _, c := range checks {
		watched[c.Name] = c.Run
	}
	if err := tel.WatchDependencies(watched); err != nil {
		return err
	}
	authn := auth.New(identityv1.NewIdentityServiceClient(conns["identity"]), rdb, revocation.Keys{Prefix: cfg.RedisPrefix}, log)
	access.Auth = authn
	// Background work ends, and is waited for, before the connections it uses close (defers
	// run last first).
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	defer func() {
		stopBackground()
		background.Wait()
	}()
	background.Go(func() { authn.KeepKeysFresh(bgCtx, 5*time.Minute) })

	// One NATS subscription feeds every support chat stream this edge serves.
	hub := livechat.NewHub(cfg.SupportContext, log)
	nc, err := nats.Connect(cfg.NATSURL, append(hub.ConnOptions(), nats.Name("gateway"), nats.MaxReconnects(-1))...)
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Close()
	checks = append(checks, edge.Check{Name: "nats", Run: func(context.Context) error {
		if !nc.IsConnected() {
			return errors.New("not connected")
		}
		return nil
	}})
	background.Go(func() {
		if err := hub.Run(bgCtx, nc); err != nil {
			log.Error("support chat streams stopped", "err", err)
		}
	})
	media, closeMedia, err := storage.Open(ctx, cfg.Media)
	if err != nil {
		return err
	}
	defer closeMedia()

	// Web sessions keep their tokens in Redis: without it the web storefront signs in with
	// tokens (POST /auth/session answers 404 then).
	var sessions *websession.Manager
	if rdb != nil {
		sessions = &websession.Manager{Identity: identityv1.NewIdentityServiceClient(conns["identity"]), Redis: rdb,
			Prefix: cfg.RedisPrefix, Log: log}
		policies.AddAuthRate(http.MethodPost, websession.Path)
	}

	// The web storefront: its build, read once here (STOREFRONT_WEB_DIR unset: none).
	var web interface{ Register(*http.ServeMux) }
	if cfg.WebDir != "" {
		app, err := webapp.New(cfg.WebDir, webapp.Options{MediaOrigin: cfg.MediaOrigin, Log: log})
		if err != nil {
			return fmt.Errorf("STOREFRONT_WEB_DIR: %w", err)
		}
		web = app
	}

	handler := server.New(server.Config{CORSOrigins: cfg.CORSOrigins}, server.Deps{
		Log:      log,
		Metrics:  tel.MetricsHandler(),
		API:      api,
		Checks:   checks,
		Access:   access,
		Sessions: sessions,
		Streams: &livechat.Handler{Hub: hub, Conversations: supportv1.NewSupportServiceClient(conns["support"]), Log: log,
			Heartbeat: cfg.StreamHeartbeat,
			Recheck: func(ctx context.Context) error {
				if err := access.Recheck(ctx); errors.Is(err, auth.ErrInvalid) || errors.Is(err, auth.ErrNoToken) {
					return fmt.Errorf("%w: %v", livechat.ErrSignedOut, err)
				} else if err != nil {
					return err
				}
				return nil
			}},
		Webhooks: webhooks.Handler{Payments: paymentsv1.NewPaymentServiceClient(conns["payments"]), Log: log},
		SEO: &seo.Handler{PublicURL: cfg.PublicURL, Static: []string{"/", "/blog"}, Log: log,
			Sources: []seo.Source{seo.Products{Client: catalogv1.NewCatalogServiceClient(conns["catalog"])},
				seo.Posts{Client: contentv1.NewContentServiceClient(conns["content"])}}},
		Media:          &mediahttp.Handler{Catalog: catalogv1.NewCatalogServiceClient(conns["catalog"]), Store: media, Log: log},
		MediaBodyLimit: mediahttp.BodyLimit,
		Web:            web,
		Trace: func(h http.Handler) http.Handler {
			return otelhttp.NewHandler(h, "edge",
				otelhttp.WithTracerProvider(tel.Tracer), otelhttp.WithMeterProvider(tel.Meter), otelhttp.WithPropagators(tel.Propagator),
				otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "edge " + r.Method }))
		},
	})
	lis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on STOREFRONT_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(hub.Close)
	scheme := "http"
	if cfg.TLSCertFile != "" {
		if srv.TLSConfig, err = edge.TLSConfig(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
			return err
		}
		lis, scheme = tls.NewListener(lis, srv.TLSConfig), "https"
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	log.Info("gateway serving", "addr", lis.Addr().String(), "scheme", scheme)
	if cfg.PprofAddr != "" {
		background.Go(func() {
			if err := servePprof(bgCtx, cfg.PprofAddr); err != nil {
				log.Warn("pprof server failed", "err", err)
			}
		})
		log.Info("serving pprof", "addr", cfg.PprofAddr)
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("gateway shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		// Requests still running past the grace period: end them before the connections
		// they use close (the defers).
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) { // Serve has returned
		return fmt.Errorf("serve: %w", err)
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

func shutdown(log *slog.Logger, what string, f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		log.Warn("shutdown", "component", what, "err", err)
	}
}
