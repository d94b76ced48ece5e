// Command gateway is the REST edge of the fleet: it serves /api/v1 by calling the services
// over gRPC, plus health, metrics and the OpenAPI document.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	"github.com/storefront/storefront/gateway/internal/edge"
	"github.com/storefront/storefront/gateway/internal/server"
	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/telemetry"
)

// Config is the gateway's configuration, read once from the environment.
type Config struct {
	HTTPAddr    string
	CORSOrigins []string
	LogLevel    slog.Level
}

func loadConfig(env *config.Env) (Config, error) {
	cfg := Config{
		HTTPAddr:    env.HostPort("STOREFRONT_HTTP_ADDR", "127.0.0.1:8080"),
		CORSOrigins: edge.ParseOrigins(env.String("STOREFRONT_CORS_ORIGINS", "")),
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(env.String("STOREFRONT_LOG_LEVEL", "info"))); err != nil {
		env.Fail("STOREFRONT_LOG_LEVEL", "%v", err)
	}
	return cfg, env.Err()
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
	log := telemetry.NewLogger(os.Stderr, "gateway", cfg.LogLevel)
	tel, err := telemetry.Setup(ctx, "gateway")
	if err != nil {
		return err
	}
	defer shutdown(log, "telemetry", tel.Shutdown)

	api := runtime.NewServeMux(edge.GatewayOptions(log)...)
	handler := server.New(server.Config{CORSOrigins: cfg.CORSOrigins}, server.Deps{
		Log:     log,
		Metrics: tel.MetricsHandler(),
		API:     api,
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
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	log.Info("gateway serving", "addr", lis.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("gateway shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func shutdown(log *slog.Logger, what string, f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		log.Warn("shutdown", "component", what, "err", err)
	}
}
