// Command identity benchmarks the identity service through the REST edge, on a fleet started
// as `make run` starts it, and prints BENCH lines (docs/decisions/009-identity-benchmarks.md):
//
//   - identity.login: logins/s (POST /api/v1/auth/login, bcrypt cost 12) against raw bcrypt
//     cost-12 compares/s with GOMAXPROCS goroutines on the same machine; goal ≥ 0.9×.
//   - identity.me.32conns: GET /api/v1/users/me through the edge against a bare net/http handler
//     serving the same JSON, both at 32 connections; goal ≥ 0.3×.
//   - identity.me.32conns.p99: the p99 latency of the same runs; goal ≤ 5× the bare handler's.
//
// Load comes from this process and goes to 127.0.0.1 only.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/compare"
	"github.com/storefront/storefront/bench/internal/fleet"
	"github.com/storefront/storefront/bench/internal/load"
)

// Goals of issue 6, item 4, and the p99 goal of docs/decisions/009-identity-benchmarks.md.
const (
	loginGoal = 0.9
	meGoal    = 0.3
	p99Goal   = 5
	// bcryptCost is the production cost, which the fleet runs with unless told otherwise.
	bcryptCost = 12
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench identity:", err)
		os.Exit(1)
	}
}

type config struct {
	duration     time.Duration
	rounds       int
	warmup       time.Duration
	loginWorkers int
	conns        int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	var cfg config
	fs := flag.NewFlagSet("identity", flag.ContinueOnError)
	fs.DurationVar(&cfg.duration, "duration", 12*time.Second, "measured time of each figure")
	fs.IntVar(&cfg.rounds, "rounds", 3, "slices each figure's time is cut into, alternating with the figure it is compared with")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured time before each slice")
	fs.IntVar(&cfg.loginWorkers, "login-workers", 4*runtime.GOMAXPROCS(0), "concurrent logins")
	fs.IntVar(&cfg.conns, "conns", 32, "connections for GET /users/me")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.rounds < 1 || cfg.duration <= 0 || cfg.loginWorkers < 1 || cfg.conns < 1 {
		return errors.New("-rounds, -duration, -login-workers and -conns must be positive")
	}
	started := time.Now()
	root, err := fleet.WorkspaceRoot()
	if err != nil {
		return err
	}

	fmt.Fprintln(stderr, "building and starting the fleet")
	f, err := fleet.Start(ctx, root, fleet.Options{Env: []string{
		fmt.Sprintf("STOREFRONT_BCRYPT_COST=%d", bcryptCost),
		// Budgets no benchmark reaches: the figures measure the work, not the limiter's 429s.
		"STOREFRONT_RATE_LIMIT_AUTH=1000000000/1s",
		"STOREFRONT_RATE_LIMIT_API=1000000000/1s",
		"STOREFRONT_RATE_LIMIT_ADMIN=1000000000/1s",
	}})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if serr := f.Stop(sctx); serr != nil {
			err = errors.Join(err, fmt.Errorf("stop the fleet: %w", serr))
		}
	}()
	fmt.Fprintf(stderr, "fleet ready at %s (%s)\n", f.BaseURL, time.Since(started).Round(time.Second))

	results, err := measure(ctx, cfg, f, stderr)
	if err != nil {
		return fmt.Errorf("%w\nfleet log (tail):\n%s", err, f.LogTail(4096))
	}
	for _, r := range results {
		benchline.Print(stdout, r)
	}
	fmt.Fprintf(stderr, "took %s\n", time.Since(started).Round(time.Second))
	return nil
}

// measure runs every figure against the fleet f.
func measure(ctx context.Context, cfg config, f *fleet.Fleet, stderr io.Writer) ([]benchline.Result, error) {
	base := f.BaseURL
	client := load.NewClient(max(cfg.conns, cfg.loginWorkers))
	email, password, err := register(ctx, client, base)
	if err != nil {
		return nil, err
	}
	loginBody, _ := json.Marshal(map[string]string{"email": email, "password": password})
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	if err := postJSON(ctx, client, base+"/api/v1/auth/login", loginBody, http.StatusOK, &pair); err != nil {
		return nil, err
	}
	procs := compare.Processes{Self: os.Getpid(), Launcher: f.PID()}

	// 1. Logins against raw bcrypt.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return nil, err
	}
	raw := &compare.Figure{Name: "bcrypt cost 12", Workers: runtime.GOMAXPROCS(0), Op: func(context.Context, int) error {
		return bcrypt.CompareHashAndPassword(hash, []byte(password))
	}}
	logins := &compare.Figure{Name: "POST /auth/login", Workers: cfg.loginWorkers, Op: func(ctx context.Context, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(loginBody))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		return load.Do(client, req, http.StatusOK)
	}}
	compare.Alternate(ctx, cfg.compare(), procs, raw, logins)

	// 2. GET /users/me through the edge against a bare handler serving the same JSON.
	me, err := getMe(ctx, client, base, pair.AccessToken)
	if err != nil {
		return nil, err
	}
	bareURL, stopBare, err := serveBare(me)
	if err != nil {
		return nil, err
	}
	defer stopBare()
	edge := &compare.Figure{Name: "GET /users/me (edge)", Workers: cfg.conns, Op: getLoop(client, base+"/api/v1/users/me", pair.AccessToken)}
	bare := &compare.Figure{Name: "GET bare handler", Workers: cfg.conns, Op: getLoop(client, bareURL, pair.AccessToken)}
	compare.Alternate(ctx, cfg.compare(), procs, edge, bare)

	for _, fig := range []*compare.Figure{raw, logins, edge, bare} {
		if err := fig.Report(stderr, ""); err != nil {
			return nil, err
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	conns := fmt.Sprintf("%dconns", cfg.conns)
	return []benchline.Result{
		{Name: "identity.login", Ours: logins.Result.PerSecond(), Limit: raw.Result.PerSecond(), Unit: "logins/s", Goal: loginGoal},
		{Name: "identity.me." + conns, Ours: edge.Result.PerSecond(), Limit: bare.Result.PerSecond(), Unit: "req/s", Goal: meGoal},
		{Name: "identity.me." + conns + ".p99", Ours: ms(edge.Result.Percentile(0.99)), Limit: ms(bare.Result.Percentile(0.99)),
			Unit: "ms", Goal: p99Goal, LowerIsBetter: true},
	}, nil
}

func getLoop(client *http.Client, url, token string) func(context.Context, int) error {
	return func(ctx context.Context, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		return load.Do(client, req, http.StatusOK)
	}
}

// register creates the account the benchmark logs in with.
func register(ctx context.Context, client *http.Client, base string) (email, password string, err error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	email, password = "bench-"+hex.EncodeToString(b)+"@example.com", "load-test-pass-1"
	body, _ := json.Marshal(map[string]string{"email": email, "password": password, "name": "Bench Mark"})
	if err := postJSON(ctx, client, base+"/api/v1/auth/register", body, http.StatusCreated, nil); err != nil {
		return "", "", err
	}
	return email, password, nil
}

func postJSON(ctx context.Context, client *http.Client, url string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: status %d, want %d: %s", url, resp.StatusCode, want, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// getMe returns the body of GET /users/me, which the bare handler serves as it is.
func getMe(ctx context.Context, client *http.Client, base, token string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/users/me", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /users/me: status %d: %s", resp.StatusCode, b)
	}
	return b, nil
}

// serveBare serves body as JSON at any path of a plain net/http server on 127.0.0.1, in this
// process (the edge's load generator shares the machine with the fleet in the same way).
func serveBare(body []byte) (url string, stop func(), err error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(lis) }()
	return "http://" + lis.Addr().String() + "/api/v1/users/me", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

func (c config) compare() compare.Config {
	return compare.Config{Warmup: c.warmup, Duration: c.duration, Rounds: c.rounds}
}
