// Command support benchmarks the support chat's live streams through the REST edge, on a
// fleet started as `make run` starts it (bench/internal/fleet): one customer opens 1,000
// conversations and a Server-Sent Events stream on each (GET
// /api/v1/support/conversations/{id}/stream, 1,000 open at once), then the staff post one
// message to every conversation, 16 posts at a time. It prints:
//
//   - support.stream.1000.delivery.p50/p99: from sending the POST of a message to its event
//     arriving on its stream, in ms, against the 250 ms ceiling (goal p99 ≤ 1×; the
//     p50 is printed with the same limit).
//   - support.stream.1000.fanout.p99: from the POST's 201 (the message committed) to its
//     event on the stream: the relay, NATS and the edge's fan-out without the write itself
//     (same limit and goal).
//   - support.stream.1000.rss_per_stream: the gateway's resident memory (VmRSS) grown by
//     the open streams, per stream, in KiB, against the 64 KiB (goal ≤ 1×): the
//     gateway's RSS after 50 streams opened and closed (warm) is the base, its RSS with the
//     1,000 streams open and idle the figure.
//
// Rate limits are set out of reach and bcrypt's cost is lowered to 4. Load comes from this
// process and goes to 127.0.0.1 only. Lines starting with # explain.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/benchenv"
	"github.com/storefront/storefront/bench/internal/fleet"
	"github.com/storefront/storefront/bench/internal/proccpu"
)

const (
	latencyCeilingMS = 250
	rssCeilingKiB    = 64
	posters          = 16
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench support:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("support", flag.ContinueOnError)
	streams := fs.Int("streams", 1000, "conversations, each with one open stream")
	timeout := fs.Duration("timeout", 10*time.Minute, "bound of the whole run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	started := time.Now()
	root, err := fleet.WorkspaceRoot()
	if err != nil {
		return err
	}
	adminEmail, adminPassword := "bench-admin@storefront.test", "support-load-"+benchenv.RandomHex(6)+"-1"
	fmt.Fprintln(stderr, "building and starting the fleet")
	f, err := fleet.Start(ctx, root, fleet.Options{Env: []string{
		"STOREFRONT_RATE_LIMIT_AUTH=1000000000/1s", "STOREFRONT_RATE_LIMIT_API=1000000000/1s", "STOREFRONT_RATE_LIMIT_ADMIN=1000000000/1s",
		"STOREFRONT_BCRYPT_COST=4", "STOREFRONT_DEMO_DATA=false", "STOREFRONT_LOG_LEVEL=warn",
		"STOREFRONT_ADMIN_EMAIL=" + adminEmail, "STOREFRONT_ADMIN_PASSWORD=" + adminPassword,
	}})
	if err != nil {
		return err
	}
	defer func() { _ = f.Stop(context.Background()) }()
	b := &bench{fleet: f, out: stdout, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	results, err := b.measure(ctx, *streams, adminEmail, adminPassword)
	if err != nil {
		return fmt.Errorf("%w\nfleet log (tail):\n%s", err, f.LogTail(4096))
	}
	b.note("took %s", time.Since(started).Round(time.Second))
	for _, r := range results {
		benchline.Print(stdout, r)
	}
	return nil
}

type bench struct {
	fleet *fleet.Fleet
	out   io.Writer
	http  *http.Client
}

func (b *bench) note(format string, args ...any) { fmt.Fprintf(b.out, "# "+format+"\n", args...) }

// call makes one request and decodes its JSON answer; another status than want is an error.
func (b *bench) call(ctx context.Context, method, path, token string, body any, want int) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.fleet.BaseURL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (b *bench) login(ctx context.Context, email, password string) (string, error) {
	out, err := b.call(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, 200)
	if err != nil {
		return "", err
	}
	return out["access_token"].(string), nil
}

// stream is one open SSE stream: received is closed when the event with the awaited id came.
type stream struct {
	id       string
	body     io.Closer
	ready    chan struct{} // the catch-up event (sequence 1) arrived
	received chan time.Time
}

// open opens the conversation's stream on its own connection and reads it on a goroutine:
// the catch-up event (1) signals ready, the event with id 2 is timed.
func (b *bench) open(ctx context.Context, client *http.Client, token, id string) (*stream, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", b.fleet.BaseURL+"/api/v1/support/conversations/"+id+"/stream", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 200 {
		res.Body.Close()
		return nil, fmt.Errorf("stream %s: %d", id, res.StatusCode)
	}
	s := &stream{id: id, body: res.Body, ready: make(chan struct{}), received: make(chan time.Time, 1)}
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			switch sc.Text() {
			case "id: 1":
				close(s.ready)
			case "id: 2":
				s.received <- time.Now()
				return
			}
		}
	}()
	return s, nil
}

// rssKiB is the gateway's resident memory.
func (b *bench) rssKiB() (float64, error) {
	pid, ok := proccpu.Take().Find("gateway", b.fleet.PID())
	if !ok {
		return 0, errors.New("no gateway process under the launcher")
	}
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/<gateway>/status")
}

func (b *bench) openAll(ctx context.Context, client *http.Client, token string, ids []string) ([]*stream, error) {
	out := make([]*stream, len(ids))
	for i, id := range ids {
		s, err := b.open(ctx, client, token, id)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	for _, s := range out {
		select {
		case <-s.ready:
		case <-time.After(30 * time.Second):
			return nil, fmt.Errorf("stream %s: no catch-up event", s.id)
		}
	}
	return out, nil
}

func (b *bench) measure(ctx context.Context, n int, adminEmail, adminPassword string) ([]benchline.Result, error) {
	admin, err := b.login(ctx, adminEmail, adminPassword)
	if err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	email := "bench-customer-" + benchenv.RandomHex(4) + "@storefront.test"
	if _, err := b.call(ctx, "POST", "/api/v1/auth/register", "", map[string]string{"email": email, "password": "s3cret-pass", "name": "Bench"}, 201); err != nil {
		return nil, err
	}
	customer, err := b.login(ctx, email, "s3cret-pass")
	if err != nil {
		return nil, err
	}
	ids := make([]string, n)
	for i := range ids {
		c, err := b.call(ctx, "POST", "/api/v1/support/conversations", customer, map[string]string{"subject": fmt.Sprint("Bench ", i), "message": "Hello"}, 201)
		if err != nil {
			return nil, err
		}
		ids[i] = c["id"].(string)
	}
	b.note("%d conversations opened", n)

	streamClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1, DisableCompression: true}}
	warm, err := b.openAll(ctx, streamClient, customer, ids[:min(50, n)])
	if err != nil {
		return nil, err
	}
	for _, s := range warm {
		s.body.Close()
	}
	time.Sleep(2 * time.Second)
	base, err := b.rssKiB()
	if err != nil {
		return nil, err
	}
	streams, err := b.openAll(ctx, streamClient, customer, ids)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range streams {
			s.body.Close()
		}
	}()
	time.Sleep(2 * time.Second)
	open, err := b.rssKiB()
	if err != nil {
		return nil, err
	}
	b.note("%d streams open; gateway RSS %.0f KiB warm, %.0f KiB with the streams", n, base, open)

	sent, acked := make([]time.Time, n), make([]time.Time, n)
	var wg sync.WaitGroup
	errs := make(chan error, posters)
	next := make(chan int)
	for range posters {
		wg.Go(func() {
			for i := range next {
				sent[i] = time.Now()
				if _, err := b.call(ctx, "POST", "/api/v1/support/conversations/"+ids[i]+"/messages", admin, map[string]string{"text": "Hi from the staff"}, 201); err != nil {
					errs <- err
					return
				}
				acked[i] = time.Now()
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	latencies, fanout, posts := make([]float64, n), make([]float64, n), make([]float64, n)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for i, s := range streams {
		select {
		case at := <-s.received:
			latencies[i], fanout[i], posts[i] = ms(at.Sub(sent[i])), ms(at.Sub(acked[i])), ms(acked[i].Sub(sent[i]))
		case <-time.After(30 * time.Second):
			return nil, fmt.Errorf("stream %s: the message never arrived", s.id)
		}
	}
	q := func(xs []float64, p float64) float64 {
		xs = slices.Sorted(slices.Values(xs))
		return xs[min(len(xs)-1, int(p*float64(len(xs))))]
	}
	b.note("POST .../messages took p50 %.1f ms, p99 %.1f ms; from its 201 to the event on the stream p50 %.1f ms, p99 %.1f ms",
		q(posts, 0.5), q(posts, 0.99), q(fanout, 0.5), q(fanout, 0.99))
	name := fmt.Sprintf("support.stream.%d", n)
	return []benchline.Result{
		{Name: name + ".delivery.p50", Ours: q(latencies, 0.5), Limit: latencyCeilingMS, Unit: "ms", Goal: 1, LowerIsBetter: true},
		{Name: name + ".delivery.p99", Ours: q(latencies, 0.99), Limit: latencyCeilingMS, Unit: "ms", Goal: 1, LowerIsBetter: true},
		{Name: name + ".fanout.p99", Ours: q(fanout, 0.99), Limit: latencyCeilingMS, Unit: "ms", Goal: 1, LowerIsBetter: true},
		{Name: name + ".rss_per_stream", Ours: max(0, open-base) / float64(n), Limit: rssCeilingKiB, Unit: "KiB", Goal: 1, LowerIsBetter: true},
	}, nil
}
