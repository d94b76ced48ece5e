// Command checkout benchmarks checkout end to end through the REST edge, on a fleet started
// as `make run` starts it (bench/internal/fleet): each buyer adds a product to the cart, posts
// the order (POST /api/v1/orders, pm_card_visa) and polls GET /api/v1/orders/{id} until it
// shows paid, then starts again — at 1, 8 and 32 buyers at once. It prints (issue 15):
//
//   - checkout.<n>buyers: completed orders per second. At 32 buyers the limit is the storage
//     floor: pgbench running, per order, as many transactions and rows as the fleet's
//     checkout really wrote (counted from the event stores' transactions and PostgreSQL's
//     row counters over the run, divided by the orders); goal ≥ 0.25× its orders/s. At 1 and
//     8 buyers the line compares with the same floor (goal 0: printed for the record).
//   - checkout.<n>buyers.post.p50/p99 and .paid.p50/p99: the latencies of POST /orders and
//     of time-to-paid (from sending POST to the first GET that shows paid), in ms, against
//     the 1 s ceiling; goal: time-to-paid p99 ≤ 1× at 8 and at 32 buyers (the others
//     are printed with the ceiling as their limit and no goal).
//   - checkout.<n>buyers.backlog: orders placed and neither paid nor cancelled 5 s after the
//     load stopped (goal 0: no backlog that drains only after the load).
//   - checkout.8buyers.payment_step.p50/p99 (issue 16): the payment step inside checkout,
//     from the payments service's PaymentRequested to its PaymentProcessed (their commit
//     times in the payments event store), against the Stripe stand-in's own response time
//     for the same PaymentIntent creation at 8 concurrent callers, measured from this process
//     right after the level; checkout.8buyers.payment_step.overhead is the p99 difference,
//     goal ≤ 5 ms.
//   - checkout.32buyers.cpu_per_order: the CPU time of every process of the fleet (with its
//     embedded NATS and stripe-mock), PostgreSQL and Redis per completed order, in ms, against
//     the 16 ms (goal ≤ 1×).
//
// Rate limits are set out of reach and bcrypt's cost is lowered to 4 (logins are not
// measured). Load comes from this process and goes to 127.0.0.1 only. Lines starting with #
// explain.
package main

import (
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
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/benchenv"
	"github.com/storefront/storefront/bench/internal/compare"
	"github.com/storefront/storefront/bench/internal/fleet"
	"github.com/storefront/storefront/bench/internal/load"
	"github.com/storefront/storefront/bench/internal/pgbench"
	"github.com/storefront/storefront/bench/internal/proccpu"
)

// Goals of issue 15.
const (
	floorGoal     = 0.25
	paidCeilingMS = 1000
	cpuBudgetMS   = 16
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench checkout:", err)
		os.Exit(1)
	}
}

type config struct {
	duration time.Duration
	levels   []int
	timeout  time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config{levels: []int{1, 8, 32}}
	fs := flag.NewFlagSet("checkout", flag.ContinueOnError)
	fs.DurationVar(&cfg.duration, "duration", 15*time.Second, "measured time of each level")
	fs.DurationVar(&cfg.timeout, "timeout", 15*time.Minute, "bound of the whole run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	started := time.Now()
	root, err := fleet.WorkspaceRoot()
	if err != nil {
		return err
	}
	adminEmail, adminPassword := "bench-admin@storefront.test", "checkout-load-"+benchenv.RandomHex(6)+"-1"
	fmt.Fprintln(stderr, "building and starting the fleet")
	f, err := fleet.Start(ctx, root, fleet.Options{Env: []string{
		"STOREFRONT_RATE_LIMIT_AUTH=1000000000/1s", "STOREFRONT_RATE_LIMIT_API=1000000000/1s", "STOREFRONT_RATE_LIMIT_ADMIN=1000000000/1s",
		"STOREFRONT_BCRYPT_COST=4", "STOREFRONT_DEMO_DATA=false",
		"STOREFRONT_ADMIN_EMAIL=" + adminEmail, "STOREFRONT_ADMIN_PASSWORD=" + adminPassword,
	}})
	if err != nil {
		return err
	}
	defer func() { _ = f.Stop(context.Background()) }()
	pool, err := pgxpool.New(ctx, f.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	b := &bench{fleet: f, pool: pool, out: stdout, log: stderr, http: load.NewClient(64),
		procs: compare.Processes{Self: os.Getpid(), Launcher: f.PID()}}
	if err := b.measure(ctx, cfg, adminEmail, adminPassword); err != nil {
		return fmt.Errorf("%w\nfleet log (tail):\n%s", err, f.LogTail(4096))
	}
	b.note("took %s", time.Since(started).Round(time.Second))
	for _, r := range b.results {
		benchline.Print(stdout, r)
	}
	return nil
}

type bench struct {
	fleet   *fleet.Fleet
	pool    *pgxpool.Pool
	out     io.Writer
	log     io.Writer
	http    *http.Client
	procs   compare.Processes
	results []benchline.Result
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

func (b *bench) register(ctx context.Context, name string) (string, error) {
	email := name + "-" + benchenv.RandomHex(4) + "@storefront.test"
	if _, err := b.call(ctx, "POST", "/api/v1/auth/register", "", map[string]string{"email": email, "password": "s3cret-pass", "name": name}, 201); err != nil {
		return "", err
	}
	return b.login(ctx, email, "s3cret-pass")
}

// products creates n products with stock no run exhausts and waits until the cart knows them.
func (b *bench) products(ctx context.Context, admin string, n int) ([]string, error) {
	slug := "bench-" + benchenv.RandomHex(4)
	if _, err := b.call(ctx, "POST", "/api/v1/categories", admin, map[string]string{"slug": slug, "name": "Bench", "parent": ""}, 201); err != nil {
		return nil, err
	}
	var ids []string
	for i := range n {
		p, err := b.call(ctx, "POST", "/api/v1/products", admin, map[string]any{"sku": fmt.Sprintf("BENCH-%s-%d", slug, i),
			"name": fmt.Sprintf("Bench keyboard %d", i), "description": "A keyboard.", "category": slug, "brand": "Bench",
			"price": map[string]string{"amount": "49.90", "currency": "USD"}, "stock": 1_000_000,
			"specs": []any{}, "images": []any{}}, 201)
		if err != nil {
			return nil, err
		}
		ids = append(ids, p["id"].(string))
	}
	probe, err := b.register(ctx, "probe")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		deadline := time.Now().Add(30 * time.Second)
		for {
			w, err := b.call(ctx, "POST", "/api/v1/wishlist/items", probe, map[string]string{"product_id": id}, 201)
			if err == nil {
				_, _ = b.call(ctx, "DELETE", "/api/v1/wishlist/items/"+w["id"].(string), probe, nil, 204)
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("the cart never learned of product %s: %w", id, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return ids, nil
}

// sample is one checkout.
type sample struct{ post, paid time.Duration }

// checkout is one buyer's full checkout: add, order, wait for paid.
func (b *bench) checkout(ctx context.Context, token, product string) (sample, error) {
	if _, err := b.call(ctx, "POST", "/api/v1/cart/items", token, map[string]any{"product_id": product, "quantity": 1}, 201); err != nil {
		return sample{}, err
	}
	start := time.Now()
	o, err := b.call(ctx, "POST", "/api/v1/orders", token, map[string]any{"payment_method": "pm_card_visa",
		"shipping_address": map[string]string{"line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}}, 201)
	if err != nil {
		return sample{}, err
	}
	s := sample{post: time.Since(start)}
	id := o["id"].(string)
	for wait := time.Millisecond; o["status"] != "paid"; wait = min(2*wait, 20*time.Millisecond) {
		if o["status"] != "pending" {
			return s, fmt.Errorf("order %s ended %s (%v)", id, o["status"], o["cancellation_reason"])
		}
		if time.Since(start) > 60*time.Second {
			return s, fmt.Errorf("order %s still pending after 60s", id)
		}
		time.Sleep(wait)
		if o, err = b.call(ctx, "GET", "/api/v1/orders/"+id, token, nil, 200); err != nil {
			return s, err
		}
	}
	s.paid = time.Since(start)
	return s, nil
}

// level is what one level of concurrency measured.
type level struct {
	start   time.Time
	buyers  int
	orders  int
	window  time.Duration
	samples []sample
	backlog int
	cpu     time.Duration
	// usage is every process's CPU time, by name, for the report.
	usage map[string]time.Duration
}

func (b *bench) level(ctx context.Context, buyers int, tokens []string, products []string, d time.Duration) (level, error) {
	l := level{buyers: buyers}
	var mu sync.Mutex
	var firstErr error
	before := proccpu.Take()
	start := time.Now()
	l.start = start
	stop := start.Add(d)
	var wg sync.WaitGroup
	for w := range buyers {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				s, err := b.checkout(ctx, tokens[w], products[(w+i)%len(products)])
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				l.samples = append(l.samples, s)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	l.window = time.Since(start)
	after := proccpu.Take()
	l.orders = len(l.samples)
	l.usage = b.procs.Usage(before, after)
	for name, cpu := range l.usage {
		if strings.HasPrefix(name, "fleet:") || name == "postgres" || name == "redis-server" {
			l.cpu += cpu
		}
	}
	if firstErr != nil {
		return l, firstErr
	}
	time.Sleep(5 * time.Second)
	var err error
	l.backlog, err = b.pending(ctx)
	return l, err
}

// pending counts the orders placed and neither paid nor cancelled.
func (b *bench) pending(ctx context.Context) (int, error) {
	var n int
	err := b.pool.QueryRow(ctx, `SELECT count(*) FROM ordering.events p WHERE p.event_type = 'storefront.ordering.v1.OrderPlaced'
		AND NOT EXISTS (SELECT 1 FROM ordering.events s WHERE s.stream_id = p.stream_id
			AND s.event_type IN ('storefront.ordering.v1.OrderPaid', 'storefront.ordering.v1.OrderCancelled'))`).Scan(&n)
	return n, err
}

// writes are the transactions and rows the fleet wrote so far.
type writes struct{ txs, rows int64 }

// counters reads the event stores' distinct write transactions (every schema with an events
// table) and PostgreSQL's row counters of every table of the fleet's database.
func (b *bench) counters(ctx context.Context) (writes, error) {
	var w writes
	rows, err := b.pool.Query(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'events' AND table_type = 'BASE TABLE'`)
	if err != nil {
		return w, err
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return w, err
	}
	for _, s := range schemas {
		var n int64
		if err := b.pool.QueryRow(ctx, `SELECT count(DISTINCT tx_id) FROM `+pgx.Identifier{s, "events"}.Sanitize()).Scan(&n); err != nil {
			return w, err
		}
		w.txs += n
	}
	// The statistics of a transaction reach the counters when it ends (and at most a second
	// later from other backends): wait for them.
	time.Sleep(1500 * time.Millisecond)
	err = b.pool.QueryRow(ctx, `SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_user_tables`).Scan(&w.rows)
	return w, err
}

// percentile is the q-quantile of one latency of the samples, in ms.
func percentile(samples []sample, q float64, pick func(sample) time.Duration) float64 {
	ms := make([]float64, len(samples))
	for i, s := range samples {
		ms[i] = float64(pick(s).Microseconds()) / 1000
	}
	return quantile(ms, q)
}

// quantile is the q-quantile of xs (0 for none); it sorts xs.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[min(len(xs)-1, int(q*float64(len(xs))))]
}

func (b *bench) measure(ctx context.Context, cfg config, adminEmail, adminPassword string) error {
	admin, err := b.login(ctx, adminEmail, adminPassword)
	if err != nil {
		return fmt.Errorf("admin login: %w", err)
	}
	products, err := b.products(ctx, admin, 16)
	if err != nil {
		return err
	}
	most := slices.Max(cfg.levels)
	tokens := make([]string, most)
	for i := range tokens {
		if tokens[i], err = b.register(ctx, fmt.Sprintf("buyer%d", i)); err != nil {
			return err
		}
	}
	// Warm up: every buyer checks out once (connections, caches, the saga's consumer).
	if _, err := b.level(ctx, most, tokens, products, time.Second); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	start, err := b.counters(ctx)
	if err != nil {
		return err
	}
	var levels []level
	for _, n := range cfg.levels {
		l, err := b.level(ctx, n, tokens, products, cfg.duration)
		if err != nil {
			return fmt.Errorf("%d buyers: %w", n, err)
		}
		levels = append(levels, l)
		b.note("%d buyers: %d orders in %s (%.1f/s); POST p50 %.1f ms p99 %.1f ms; paid p50 %.1f ms p99 %.1f ms; backlog %d; CPU %.2f ms/order",
			n, l.orders, l.window.Round(time.Millisecond), float64(l.orders)/l.window.Seconds(),
			percentile(l.samples, 0.5, func(s sample) time.Duration { return s.post }), percentile(l.samples, 0.99, func(s sample) time.Duration { return s.post }),
			percentile(l.samples, 0.5, func(s sample) time.Duration { return s.paid }), percentile(l.samples, 0.99, func(s sample) time.Duration { return s.paid }),
			l.backlog, float64(l.cpu.Microseconds())/1000/float64(max(l.orders, 1)))
		b.note("  CPU per order:%s", compare.CPUPerOp(l.usage, float64(l.orders)))
	}
	end, err := b.counters(ctx)
	if err != nil {
		return err
	}
	orders := 0
	for _, l := range levels {
		orders += l.orders
	}
	txPerOrder := float64(end.txs-start.txs) / float64(orders)
	rowsPerOrder := float64(end.rows-start.rows) / float64(orders)
	// The fleet's pools hold most of PostgreSQL's 100 connections: the floor runs at 4
	// clients (on 2 cores it is CPU-bound well before that).
	floor, err := b.floor(ctx, txPerOrder, rowsPerOrder, min(most, 4))
	if err != nil {
		return err
	}
	b.note("the fleet wrote %.1f transactions and %.1f rows per order (event stores' transactions; every table's rows); the storage floor runs them at %.1f orders/s",
		txPerOrder, rowsPerOrder, floor)
	for _, l := range levels {
		if l.buyers != 8 {
			continue
		}
		if err := b.paymentStep(ctx, l); err != nil {
			return err
		}
	}
	for _, l := range levels {
		name := fmt.Sprintf("checkout.%dbuyers", l.buyers)
		goal := 0.0
		if l.buyers == most {
			goal = floorGoal
		}
		b.results = append(b.results, benchline.Result{Name: name, Ours: float64(l.orders) / l.window.Seconds(), Limit: floor, Unit: "orders/s", Goal: goal})
		paidGoal := 0.0
		if l.buyers >= 8 {
			paidGoal = 1
		}
		b.results = append(b.results,
			benchline.Result{Name: name + ".post.p50", Ours: percentile(l.samples, 0.5, func(s sample) time.Duration { return s.post }), Limit: paidCeilingMS, Unit: "ms", Goal: 1, LowerIsBetter: true},
			benchline.Result{Name: name + ".post.p99", Ours: percentile(l.samples, 0.99, func(s sample) time.Duration { return s.post }), Limit: paidCeilingMS, Unit: "ms", Goal: 1, LowerIsBetter: true},
			benchline.Result{Name: name + ".paid.p50", Ours: percentile(l.samples, 0.5, func(s sample) time.Duration { return s.paid }), Limit: paidCeilingMS, Unit: "ms", Goal: 1, LowerIsBetter: true},
			benchline.Result{Name: name + ".paid.p99", Ours: percentile(l.samples, 0.99, func(s sample) time.Duration { return s.paid }), Limit: paidCeilingMS, Unit: "ms", Goal: max(paidGoal, 1), LowerIsBetter: true},
			benchline.Result{Name: name + ".backlog", Ours: float64(l.backlog), Limit: 0, Unit: "orders", Goal: 0})
		if l.buyers == most {
			b.results = append(b.results, benchline.Result{Name: name + ".cpu_per_order", Ours: float64(l.cpu.Microseconds()) / 1000 / float64(max(l.orders, 1)),
				Limit: cpuBudgetMS, Unit: "ms", Goal: 1, LowerIsBetter: true})
		}
	}
	return nil
}

// floor runs pgbench with the fleet's writes per order: txPerOrder transactions, the rows
// spread over them, each row the size of an event; it returns orders per second.
func (b *bench) floor(ctx context.Context, txPerOrder, rowsPerOrder float64, clients int) (float64, error) {
	bin, err := pgbench.Find()
	if err != nil {
		return 0, err
	}
	if _, err := b.pool.Exec(ctx, `CREATE UNLOGGED TABLE IF NOT EXISTS public.bench_floor (id uuid, stream text, payload bytea)`); err != nil {
		return 0, err
	}
	if _, err := b.pool.Exec(ctx, `ALTER TABLE public.bench_floor SET LOGGED`); err != nil {
		return 0, err
	}
	perTx := max(1, int(rowsPerOrder/txPerOrder+0.5))
	script := fmt.Sprintf(`INSERT INTO public.bench_floor SELECT gen_random_uuid(), 'order-' || :client_id, decode(repeat('ab', 200), 'hex') FROM generate_series(1, %d);
`, perTx)
	res, err := pgbench.Run{Binary: bin, URL: b.fleet.DatabaseURL, Script: script, Clients: clients, Threads: 2, Duration: 10 * time.Second}.Do(ctx)
	if err != nil {
		return 0, err
	}
	if txPerOrder <= 0 {
		return 0, errors.New("no writes counted")
	}
	return res.TPS / txPerOrder, nil
}

// paymentStep reports the payment step of a level's orders against the provider's own time.
func (b *bench) paymentStep(ctx context.Context, l level) error {
	rows, err := b.pool.Query(ctx, `SELECT extract(epoch FROM p.recorded_at - r.recorded_at) * 1000
		FROM payments.events r JOIN payments.events p ON p.stream_id = r.stream_id
		WHERE r.event_type = 'storefront.payments.v1.PaymentRequested' AND p.event_type = 'storefront.payments.v1.PaymentProcessed'
			AND r.recorded_at >= $1 AND r.recorded_at < $2`, l.start, l.start.Add(l.window))
	if err != nil {
		return err
	}
	steps, err := pgx.CollectRows(rows, pgx.RowTo[float64])
	if err != nil {
		return err
	}
	if len(steps) == 0 {
		return errors.New("no payment steps recorded")
	}
	base, err := b.fleet.Getenv("payments", "STOREFRONT_STRIPE_API_BASE")
	if err != nil {
		return err
	}
	key, err := b.fleet.Getenv("payments", "STRIPE_SECRET_KEY")
	if err != nil {
		return err
	}
	provider, err := b.provider(ctx, base, key, l.buyers, len(steps))
	if err != nil {
		return err
	}
	stepP50, stepP99, provP50, provP99 := quantile(steps, 0.5), quantile(steps, 0.99), quantile(provider, 0.5), quantile(provider, 0.99)
	b.note("payment step (PaymentRequested → PaymentProcessed) at %d buyers: p50 %.2f ms p99 %.2f ms over %d payments; the Stripe stand-in alone: p50 %.2f ms p99 %.2f ms",
		l.buyers, stepP50, stepP99, len(steps), provP50, provP99)
	name := fmt.Sprintf("checkout.%dbuyers.payment_step", l.buyers)
	b.results = append(b.results,
		benchline.Result{Name: name + ".p50", Ours: stepP50, Limit: provP50, Unit: "ms", Goal: 0, LowerIsBetter: true},
		benchline.Result{Name: name + ".p99", Ours: stepP99, Limit: provP99, Unit: "ms", Goal: 0, LowerIsBetter: true},
		benchline.Result{Name: name + ".overhead.p99", Ours: max(0, stepP99-provP99), Limit: 5, Unit: "ms", Goal: 1, LowerIsBetter: true})
	return nil
}

// provider times n PaymentIntent creations (confirmed, pm_card_visa, each with its own
// idempotency key, as payments sends them) against the Stripe stand-in at conc callers.
func (b *bench) provider(ctx context.Context, base, key string, conc, n int) ([]float64, error) {
	var mu sync.Mutex
	var out []float64
	var firstErr error
	next := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for i := range next {
				form := "amount=4990&currency=usd&payment_method=pm_card_visa&payment_method_types[0]=card&confirm=true&metadata[order_id]=bench-" + fmt.Sprint(i)
				req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/payment_intents", strings.NewReader(form))
				if err != nil {
					return
				}
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Idempotency-Key", "bench-"+benchenv.RandomHex(8))
				start := time.Now()
				res, err := b.http.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						err = fmt.Errorf("stand-in: %d", res.StatusCode)
					}
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				out = append(out, float64(time.Since(start).Microseconds())/1000)
				mu.Unlock()
			}
		})
	}
	for i := range max(n, 200) {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, firstErr
}
