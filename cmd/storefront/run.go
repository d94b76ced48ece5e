package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/storefront/storefront/platform/config"
	"github.com/storefront/storefront/platform/devenv"
	"github.com/storefront/storefront/platform/devenv/paypalstandin"
	"github.com/storefront/storefront/platform/devenv/stripestandin"
)

// launcher holds what `storefront run` started, to stop it in reverse order.
type launcher struct {
	log      *slog.Logger
	bin      string
	data     string
	teardown []func(context.Context)
	children []*child
	exited   chan *child
	// ports hands out the children's and the stand-ins' ports, each once.
	ports devenv.Ports
}

func run(ctx context.Context, log *slog.Logger, bin, data, web string) (err error) {
	started := time.Now()
	if data, err = filepath.Abs(data); err != nil {
		return err
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	// 0755: a private PostgreSQL cluster below it may run as another user.
	if err := os.MkdirAll(data, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	cfg, err := loadConfig(config.FromOS(), data)
	if err != nil {
		return err
	}
	if err := cfg.applyWebFlag(web); err != nil {
		return err
	}
	demoData, err := demoDataEnabled(config.FromOS())
	if err != nil {
		return err
	}
	l := &launcher{log: log, bin: bin, data: data, exited: make(chan *child, 16)}
	defer l.stop()

	// A signal while starting is a request to stop, not a failure.
	defer func() {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			log.Info("stopped while starting")
			err = nil
		}
	}()
	env, err := l.dependencies(ctx, cfg)
	if err != nil {
		return err
	}
	for _, p := range fleet() {
		if p.grpcAddrEnv != "" {
			port, err := l.ports.Free()
			if err != nil {
				return err
			}
			env = append(env, fmt.Sprintf("%s=127.0.0.1:%d", p.grpcAddrEnv, port))
		}
	}
	metrics := map[string]string{}
	for _, p := range fleet() {
		penv := env
		if p.http {
			penv = append(penv, gatewayEnv(cfg)...)
		} else {
			port, err := l.ports.Free()
			if err != nil {
				return err
			}
			metrics[p.name] = fmt.Sprintf("127.0.0.1:%d", port)
			penv = append(penv, "STOREFRONT_METRICS_ADDR="+metrics[p.name])
		}
		c, err := l.start(p.name, filepath.Join(bin, p.binary), nil, penv)
		if err != nil {
			return err
		}
		switch {
		case p.http:
			if err := l.waitHTTP(ctx, c, "http://"+cfg.HTTPAddr+"/readyz", 60*time.Second); err != nil {
				return err
			}
		case p.grpcAddrEnv != "":
			if err := waitGRPC(ctx, c, lookup(env, p.grpcAddrEnv), 60*time.Second); err != nil {
				return err
			}
		case p.readyPath != "":
			if err := l.waitHTTP(ctx, c, "http://"+metrics[p.name]+p.readyPath, 60*time.Second); err != nil {
				return err
			}
		}
	}
	if demoData {
		defer l.loadDemoCatalog(ctx, env)() // in the background: the banner does not wait
	}
	banner(os.Stdout, cfg, env, metrics, time.Since(started))

	select {
	case <-ctx.Done():
		log.Info("stopping the fleet")
		return nil
	case c := <-l.exited:
		return fmt.Errorf("%s exited unexpectedly (%v); stopping the fleet", c.name, c.err)
	}
}

// dependencies finds or starts PostgreSQL, NATS, Redis, the Stripe API and the mail sink, and
// returns the environment every child gets.
func (l *launcher) dependencies(ctx context.Context, cfg Config) ([]string, error) {
	dbURL, err := l.postgres(ctx, cfg)
	if err != nil {
		return nil, err
	}
	natsURL, err := l.nats(ctx, cfg)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"STOREFRONT_DATABASE_URL="+dbURL,
		"STOREFRONT_NATS_URL="+natsURL,
		"STOREFRONT_PUBLIC_URL="+cfg.PublicURL,
		"STOREFRONT_ADMIN_EMAIL="+cfg.AdminEmail,
		"STOREFRONT_ADMIN_PASSWORD="+cfg.AdminPass,
	)
	_, poolSet := os.LookupEnv("STOREFRONT_DB_MAX_CONNS")
	pools, err := dbPoolEnv(ctx, dbURL, poolSet)
	if err != nil {
		return nil, err
	}
	env = append(env, pools...)
	switch {
	case cfg.RedisURL != "":
		env = append(env, "STOREFRONT_REDIS_URL="+cfg.RedisURL)
	case devenv.RedisAnswers(ctx, devenv.LocalRedisURL):
		env = append(env, "STOREFRONT_REDIS_URL="+devenv.LocalRedisURL)
	default:
		l.log.Warn("no Redis at 127.0.0.1:6379: rate limits and token revocations are kept in memory, per process")
	}
	if cfg.StripeBase != "" {
		env = append(env, "STRIPE_SECRET_KEY="+cfg.StripeKey, "STOREFRONT_STRIPE_API_BASE="+cfg.StripeBase)
	} else {
		base, err := l.stripeMock(ctx)
		if err != nil {
			return nil, err
		}
		// stripe-mock takes any key of the test-mode form sk_test_ + letters and digits.
		env = append(env, "STRIPE_SECRET_KEY=sk_test_storefrontdev", "STOREFRONT_STRIPE_API_BASE="+base)
		if _, ok := os.LookupEnv("STRIPE_WEBHOOK_SECRET"); !ok {
			env = append(env, "STRIPE_WEBHOOK_SECRET=whsec_storefrontdev")
		}
	}
	if cfg.PayPalID != "" {
		env = append(env, "PAYPAL_CLIENT_ID="+cfg.PayPalID, "PAYPAL_CLIENT_SECRET="+cfg.PayPalSecret, "STOREFRONT_PAYPAL_API_BASE="+cfg.PayPalBase)
	} else {
		base, err := l.payPal(strings.TrimSuffix(cfg.PublicURL, "/") + "/webhooks/paypal")
		if err != nil {
			return nil, err
		}
		env = append(env, "PAYPAL_CLIENT_ID=storefront-dev", "PAYPAL_CLIENT_SECRET=storefront-dev-secret", "STOREFRONT_PAYPAL_API_BASE="+base,
			"PAYPAL_WEBHOOK_ID="+payPalWebhookID)
	}
	// Product pictures: the catalog writes them and the gateway serves them from one store, a
	// directory under the data directory unless an S3 bucket or another directory is set.
	_, bucket := os.LookupEnv("STOREFRONT_S3_BUCKET")
	if _, dir := os.LookupEnv("STOREFRONT_MEDIA_DIR"); !bucket && !dir {
		env = append(env, "STOREFRONT_MEDIA_DIR="+filepath.Join(l.data, "media"))
	}
	if cfg.SMTPAddr == "" {
		mail := filepath.Join(l.data, "mail")
		if err := os.MkdirAll(mail, 0o755); err != nil {
			return nil, err
		}
		env = append(env, "STOREFRONT_MAIL_DIR="+mail)
	}
	return env, nil
}

func (l *launcher) postgres(ctx context.Context, cfg Config) (string, error) {
	if cfg.DatabaseURL != "" {
		if !devenv.PostgresAnswers(ctx, cfg.DatabaseURL) {
			return "", errors.New("STOREFRONT_DATABASE_URL: no PostgreSQL answers there")
		}
		return cfg.DatabaseURL, nil
	}
	admin := devenv.LocalPostgresURL
	if !devenv.PostgresAnswers(ctx, admin) {
		port, err := l.ports.Free()
		if err != nil {
			return "", err
		}
		cluster, err := devenv.StartPrivateCluster(ctx, l.log, filepath.Join(l.data, "postgres"), port)
		if err != nil {
			return "", fmt.Errorf("no PostgreSQL on 127.0.0.1:5432 and no private cluster: %w", err)
		}
		l.teardown = append(l.teardown, func(ctx context.Context) {
			if err := cluster.Stop(ctx); err != nil {
				l.log.Error("stop private PostgreSQL", "err", err)
			}
		})
		admin = cluster.URL()
	} else {
		// clean-data drops this database again; it does not own the server.
		if err := os.WriteFile(filepath.Join(l.data, "local-database"), []byte("storefront\n"), 0o644); err != nil {
			return "", err
		}
	}
	return devenv.EnsureDatabase(ctx, admin, "storefront")
}

func (l *launcher) nats(ctx context.Context, cfg Config) (string, error) {
	if cfg.NATSURL != "" {
		if !devenv.NATSAnswers(ctx, cfg.NATSURL) {
			return "", errors.New("STOREFRONT_NATS_URL: no NATS server with JetStream answers there")
		}
		return cfg.NATSURL, nil
	}
	srv, err := devenv.StartEmbeddedNATS(filepath.Join(l.data, "nats"), 0)
	if err != nil {
		return "", err
	}
	l.teardown = append(l.teardown, func(context.Context) { srv.Shutdown() })
	return srv.URL(), nil
}

func (l *launcher) stripeMock(ctx context.Context) (string, error) {
	port, err := l.ports.Free()
	if err != nil {
		return "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	path := filepath.Join(l.bin, "stripe-mock")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("stripe-mock not found in %s (run `make tools`): %w", l.bin, err)
	}
	// stripe-mock prints every request it gets: that goes to its own log, not the fleet's.
	out, err := os.OpenFile(filepath.Join(l.data, "stripe-mock.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", err
	}
	l.teardown = append(l.teardown, func(context.Context) { _ = out.Close() })
	c, err := l.startTo("stripe-mock", path, []string{"-http-addr", addr, "-https-addr", "127.0.0.1:"}, os.Environ(), out)
	if err != nil {
		return "", err
	}
	if err := waitTCP(ctx, c, addr, 30*time.Second); err != nil {
		return "", err
	}
	// stripe-mock never declines and keeps no idempotency keys: the stand-in in front of it
	// adds both, as Stripe's test mode does (API.md "Payments").
	standin, err := stripestandin.New("http://" + addr)
	if err != nil {
		return "", err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: standin, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	l.teardown = append(l.teardown, func(ctx context.Context) { _ = srv.Shutdown(ctx) })
	return "http://" + lis.Addr().String(), nil
}

// payPalWebhookID names the stand-in's webhook, which notifies the edge's /webhooks/paypal.
const payPalWebhookID = "WH-STOREFRONT-DEV"

// payPal serves the local PayPal stand-in (PayPal's sandbox is not reachable here) in this
// process, for the credentials the launcher gives the payments service; it notifies captures
// and refunds to webhook.
func (l *launcher) payPal(webhook string) (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	h := paypalstandin.New("storefront-dev", "storefront-dev-secret")
	base := "http://" + lis.Addr().String()
	h.SetBase(base)
	h.SetWebhook(webhook, payPalWebhookID)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	l.teardown = append(l.teardown, func(ctx context.Context) { _ = srv.Shutdown(ctx) })
	return base, nil
}

// child is a running process of the fleet.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
}

func (l *launcher) start(name, path string, args, env []string) (*child, error) {
	return l.startTo(name, path, args, env, os.Stderr)
}

// startTo is start with the child's output going to out.
func (l *launcher) startTo(name, path string, args, env []string, out io.Writer) (*child, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdout = out
	cmd.Stderr = out
	// Its own process group, so a terminal's Ctrl-C reaches only the launcher, which stops the
	// children in order; Pdeathsig kills it should the launcher die without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	l.children = append(l.children, c)
	go func() {
		c.err = cmd.Wait()
		close(c.done)
		l.exited <- c
	}()
	l.log.Info("started", "process", name, "pid", cmd.Process.Pid)
	return c, nil
}

// stop ends the children in reverse start order (SIGTERM, then SIGKILL after a grace period),
// then the servers the launcher started.
func (l *launcher) stop() {
	for i := len(l.children) - 1; i >= 0; i-- {
		c := l.children[i]
		select {
		case <-c.done:
			continue
		default:
		}
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
			l.log.Info("stopped", "process", c.name)
		case <-time.After(20 * time.Second):
			l.log.Warn("did not stop within 20s; killing it", "process", c.name)
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := len(l.teardown) - 1; i >= 0; i-- {
		l.teardown[i](ctx)
	}
}

func (l *launcher) waitHTTP(ctx context.Context, c *child, url string, limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return poll(ctx, c, limit, url, func() bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func waitGRPC(ctx context.Context, c *child, addr string, limit time.Duration) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	return poll(ctx, c, limit, addr, func() bool {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		resp, err := health.Check(cctx, &healthpb.HealthCheckRequest{})
		return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
}

func waitTCP(ctx context.Context, c *child, addr string, limit time.Duration) error {
	return poll(ctx, c, limit, addr, func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
}

func poll(ctx context.Context, c *child, limit time.Duration, what string, ready func() bool) error {
	deadline := time.Now().Add(limit)
	for !ready() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not ready at %s after %s", c.name, what, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
			return fmt.Errorf("%s exited while starting: %v", c.name, c.err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// gatewayEnv is what the edge gets besides every process's environment: its address and,
// when there is one, the web storefront's build (the last value of a variable wins).
func gatewayEnv(cfg Config) []string {
	env := []string{"STOREFRONT_HTTP_ADDR=" + cfg.HTTPAddr}
	if cfg.WebDir != "" {
		env = append(env, "STOREFRONT_WEB_DIR="+cfg.WebDir)
	}
	return env
}

// banner writes the fleet's URLs to w.
func banner(w io.Writer, cfg Config, env []string, metrics map[string]string, took time.Duration) {
	base := strings.TrimRight(cfg.PublicURL, "/")
	var b strings.Builder
	fmt.Fprintf(&b, "\nStorefront is running (ready in %s).\n", took.Round(10*time.Millisecond))
	if cfg.WebDir != "" {
		fmt.Fprintf(&b, "  Web store   %s/\n", base)
	}
	fmt.Fprintf(&b, "  REST API    %s/api/v1\n", base)
	fmt.Fprintf(&b, "  OpenAPI     %s/api/v1/openapi.json\n", base)
	fmt.Fprintf(&b, "  Metrics     %s/metrics (gateway)\n", base)
	for _, p := range fleet() {
		if addr, ok := metrics[p.name]; ok {
			fmt.Fprintf(&b, "              http://%s/metrics (%s)\n", addr, p.name)
		}
	}
	fmt.Fprintf(&b, "  Readiness   %s/readyz\n", base)
	fmt.Fprintf(&b, "  PostgreSQL  %s\n", redactURL(lookup(env, "STOREFRONT_DATABASE_URL")))
	fmt.Fprintf(&b, "  NATS        %s\n", lookup(env, "STOREFRONT_NATS_URL"))
	if r := lookup(env, "STOREFRONT_REDIS_URL"); r != "" {
		fmt.Fprintf(&b, "  Redis       %s\n", redactURL(r))
	}
	fmt.Fprintf(&b, "  Stripe API  %s\n", lookup(env, "STOREFRONT_STRIPE_API_BASE"))
	fmt.Fprintf(&b, "  PayPal API  %s\n", lookup(env, "STOREFRONT_PAYPAL_API_BASE"))
	if m := lookup(env, "STOREFRONT_MAIL_DIR"); m != "" {
		fmt.Fprintf(&b, "  Mail        written to %s\n", m)
	}
	if cfg.adminDefault && inFleet("identity") {
		fmt.Fprintf(&b, "  Dev admin   %s / %s\n", cfg.AdminEmail, cfg.AdminPass)
	}
	b.WriteString(tracesLine(env))
	fmt.Fprintf(&b, "  Operators   storefrontctl --url %s login (then: projections list, streams list, dlq list, audit)\n", base)
	b.WriteString("Press Ctrl-C to stop.\n\n")
	_, _ = io.WriteString(w, b.String())
}

// tracesLine says where traces and metrics go, and how to find an action's trace.
func tracesLine(env []string) string {
	endpoint := lookup(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if endpoint == "" {
		endpoint = lookup(env, "OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	if endpoint == "" {
		return "  Traces      not exported: set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. a Jaeger's http://127.0.0.1:4317) to send traces and metrics over OTLP\n"
	}
	return fmt.Sprintf("  Traces      and metrics sent over OTLP to %s; find an action's trace by the trace_id of its log lines\n"+
		"              or of its events (storefrontctl events show ID)\n", endpoint)
}

// lookup returns the last value of name in an environment list.
func lookup(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}
