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
	"cmp"
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
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/fleet"
	"github.com/storefront/storefront/bench/internal/load"
	"github.com/storefront/storefront/bench/internal/proccpu"
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
	root, err := workspaceRoot()
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

// figure is one workload: run alternately with the one it is compared with.
type figure struct {
	name    string
	workers int
	op      func(ctx context.Context, worker int) error

	result   load.Result
	elapsed  time.Duration // wall time of its kept runs, warm-ups included
	cpu      map[string]time.Duration
	foreign  time.Duration // CPU time other programs took during its kept runs
	capacity time.Duration // elapsed × CPUs
	redone   int
}

// Slices in which other programs took more than maxForeign of the machine are measured
// again, up to maxRedo times each: the machine is shared, and a reference is only valid
// when both figures of a pair saw the same machine.
const (
	maxForeign = 0.05
	maxRedo    = 3
)

// alternate runs the figures in turn, rounds times, each for its share of the window, so
// that slow drifts of the machine fall on each of them alike, and redoes slices that other
// programs disturbed. It records the CPU time every process used during each figure's runs.
func alternate(ctx context.Context, cfg config, acct accounting, figs ...*figure) {
	slice := load.Config{Warmup: cfg.warmup, Duration: cfg.duration / time.Duration(cfg.rounds)}
	runs := make([][]load.Result, len(figs))
	for range cfg.rounds {
		for i, f := range figs {
			if f.cpu == nil {
				f.cpu = map[string]time.Duration{}
			}
			c := slice
			c.Workers = f.workers
			for attempt := 0; ; attempt++ {
				before, began := proccpu.Take(), time.Now()
				r := load.Run(ctx, c, f.op)
				after, elapsed := proccpu.Take(), time.Since(began)
				foreign := proccpu.Foreign(before, after, acct.ours)
				capacity := elapsed * time.Duration(runtime.NumCPU())
				if float64(foreign) > maxForeign*float64(capacity) && attempt < maxRedo && ctx.Err() == nil {
					f.redone++
					continue
				}
				runs[i] = append(runs[i], r)
				f.elapsed += elapsed
				f.foreign += foreign
				f.capacity += capacity
				for _, u := range proccpu.Diff(before, after, acct.group) {
					f.cpu[u.Name] += u.CPU
				}
				break
			}
		}
	}
	for i, f := range figs {
		f.result = load.Combine(runs[i]...)
	}
}

// accounting names the processes whose CPU time a benchmark reports.
type accounting struct {
	self, launcher int
}

// group names a process for the report: the load generator, the fleet's processes, the
// kernel's threads, or any other program by its name.
func (a accounting) group(s proccpu.Snapshot, pid int) string {
	switch {
	case pid == a.self:
		return "load-generator"
	case s.Descends(pid, a.launcher):
		return "fleet:" + s.Name(pid)
	case s.Kernel(pid):
		return "kernel-threads"
	default:
		return s.Name(pid)
	}
}

// ours reports whether pid does the benchmark's work: the load generator, the fleet, and the
// servers it uses (which other programs may use too: their share is not told apart).
func (a accounting) ours(s proccpu.Snapshot, pid int) bool {
	switch name := s.Name(pid); {
	case pid == a.self, s.Descends(pid, a.launcher):
		return true
	default:
		return name == "postgres" || name == "redis-server"
	}
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
	acct := accounting{self: os.Getpid(), launcher: f.PID()}

	// 1. Logins against raw bcrypt.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return nil, err
	}
	raw := &figure{name: "bcrypt cost 12", workers: runtime.GOMAXPROCS(0), op: func(context.Context, int) error {
		return bcrypt.CompareHashAndPassword(hash, []byte(password))
	}}
	logins := &figure{name: "POST /auth/login", workers: cfg.loginWorkers, op: func(ctx context.Context, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(loginBody))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		return load.Do(client, req, http.StatusOK)
	}}
	alternate(ctx, cfg, acct, raw, logins)

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
	edge := &figure{name: "GET /users/me (edge)", workers: cfg.conns, op: getLoop(client, base+"/api/v1/users/me", pair.AccessToken)}
	bare := &figure{name: "GET bare handler", workers: cfg.conns, op: getLoop(client, bareURL, pair.AccessToken)}
	alternate(ctx, cfg, acct, edge, bare)

	for _, fig := range []*figure{raw, logins, edge, bare} {
		if err := report(stderr, fig); err != nil {
			return nil, err
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	conns := fmt.Sprintf("%dconns", cfg.conns)
	return []benchline.Result{
		{Name: "identity.login", Ours: logins.result.PerSecond(), Limit: raw.result.PerSecond(), Unit: "logins/s", Goal: loginGoal},
		{Name: "identity.me." + conns, Ours: edge.result.PerSecond(), Limit: bare.result.PerSecond(), Unit: "req/s", Goal: meGoal},
		{Name: "identity.me." + conns + ".p99", Ours: ms(edge.result.Percentile(0.99)), Limit: ms(bare.result.Percentile(0.99)),
			Unit: "ms", Goal: p99Goal, LowerIsBetter: true},
	}, nil
}

// report prints a figure's details, with the CPU each process spent per operation, and
// refuses a figure with failures: its rate would not be the rate of the work it names.
func report(w io.Writer, f *figure) error {
	r := f.result
	fmt.Fprintf(w, "%-20s %9.1f/s  n=%d  p50=%s p99=%s  errors=%d  others took %.1f%% of the machine (%d slices redone)\n",
		f.name, r.PerSecond(), r.Ops, r.Percentile(0.5).Round(time.Microsecond), r.Percentile(0.99).Round(time.Microsecond),
		r.Errors, 100*float64(f.foreign)/float64(max(f.capacity, 1)), f.redone)
	if ops := r.PerSecond() * f.elapsed.Seconds(); ops > 0 {
		var b strings.Builder
		for i, u := range sortedUsage(f.cpu) {
			perOp := time.Duration(float64(u.CPU) / ops)
			if i == 8 || perOp < time.Microsecond {
				break
			}
			fmt.Fprintf(&b, "  %s %s", u.Name, perOp.Round(time.Microsecond))
		}
		fmt.Fprintf(w, "%20s CPU/op:%s\n", "", b.String())
	}
	switch {
	case r.Errors > 0:
		return fmt.Errorf("%s: %d of %d operations failed, first: %w", f.name, r.Errors, r.Ops+r.Errors, r.FirstErr)
	case r.Ops == 0:
		return fmt.Errorf("%s: no operation completed in the window", f.name)
	}
	return nil
}

func sortedUsage(m map[string]time.Duration) []proccpu.Usage {
	var out []proccpu.Usage
	for name, cpu := range m {
		out = append(out, proccpu.Usage{Name: name, CPU: cpu})
	}
	slices.SortFunc(out, func(a, b proccpu.Usage) int { return cmp.Compare(b.CPU, a.CPU) })
	return out
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

// workspaceRoot is the nearest directory at or above the working directory that holds
// go.work: `make bench` runs this program from there.
func workspaceRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work at or above the working directory: run from the repository")
		}
		dir = parent
	}
}
