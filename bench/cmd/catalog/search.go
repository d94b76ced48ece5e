package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/compare"
	"github.com/storefront/storefront/bench/internal/load"
	"github.com/storefront/storefront/bench/internal/pgwait"
	readmodel "github.com/storefront/storefront/projections/catalog"
)

// Goals of figure (a), docs/decisions/013-catalog-benchmarks-and-cache.md: the throughput
// goal is the issue's; with a fixed number of connections (closed loop) 0.5× the throughput
// is 2× the mean latency, so the median may be 2× the SQL's, and the tail may spread 1.5×
// more than that (as in decision 009): 3×.
const (
	searchGoal    = 0.5
	searchP50Goal = 2
	searchP99Goal = 3
	perPage       = 20
)

// search is one search request of figure (a): q plus a category (with its subcategories),
// sorted by relevance, first page of 20, as a visitor's search box sends it.
type search struct {
	q, category string
	total       int // matching active products, measured after the load
}

// searchTerms are the rotating searches: words of the generator's vocabulary (kinds of
// product, use cases, audiences), from a fraction of a percent to several percent of the
// catalog. Their selectivity is measured and printed each run.
func searchTerms() []search {
	return []search{
		{q: "wireless", category: "keyboards"},
		{q: "rust", category: "books"},
		{q: "embedded engineers", category: "dev-boards"},
		{q: "home automation", category: "dev-boards"},
		{q: "noise cancelling", category: "audio"},
		{q: "usb-c hub", category: "accessories"},
		{q: "4k monitor", category: "monitors"},
		{q: "nvme ssd", category: "storage"},
	}
}

func (s search) filter() readmodel.ProductFilter {
	return readmodel.ProductFilter{Page: 1, PerPage: perPage, Category: s.category, Query: s.q, Sort: readmodel.SortRelevance}
}

func (s search) path() string {
	v := url.Values{"q": {s.q}, "category": {s.category}, "page": {"1"}, "per_page": {fmt.Sprint(perPage)}, "sort": {"relevance"}}
	return "/api/v1/products?" + v.Encode()
}

// search is figure (a): the search requests through the edge at conns connections vs the
// same Queries.ListProducts calls (the SQL the catalog runs for them, through pgx) from conns
// goroutines in this process, alternating.
func (b *bench) search(ctx context.Context) error {
	q := readmodel.NewQueries(b.pool)
	b.searches = nil
	var matched int
	for _, s := range searchTerms() {
		page, err := q.ListProducts(ctx, s.filter())
		if err != nil {
			return err
		}
		s.total = page.Total
		matched += page.Total
		b.searches = append(b.searches, s)
		b.note("search: q=%q category=%s: %d matches (%.2f%% of %d products)", s.q, s.category, s.total,
			100*float64(s.total)/float64(b.cfg.products), b.cfg.products)
		if s.total == 0 {
			return fmt.Errorf("search q=%q category=%s matches nothing: pick another", s.q, s.category)
		}
	}
	b.note("search: mean selectivity %.2f%%; each request returns the first %d by ts_rank_cd with the exact total",
		100*float64(matched)/float64(len(b.searches)*b.cfg.products), perPage)

	if err := b.explain(ctx, b.searches[len(b.searches)-1]); err != nil {
		return err
	}
	client := load.NewClient(b.cfg.conns)
	urls := make([]string, len(b.searches))
	for i, s := range b.searches {
		urls[i] = b.fleet.BaseURL + s.path()
	}
	edge := &compare.Figure{Name: "search through the edge", Workers: b.cfg.conns, Op: getter(client, urls)}
	var (
		mu   sync.Mutex
		next = make([]int, b.cfg.conns)
	)
	sql := &compare.Figure{Name: "search SQL (Queries, pgx)", Workers: b.cfg.conns, Op: func(ctx context.Context, w int) error {
		mu.Lock()
		i := next[w]
		next[w]++
		mu.Unlock()
		_, err := q.ListProducts(ctx, b.searches[(i+w)%len(b.searches)].filter())
		return err
	}}
	waits := pgwait.Start(ctx, b.pool, "websearch_to_tsquery", 20*time.Millisecond)
	compare.Alternate(ctx, b.cfg.compare(), b.procs, edge, sql)
	seen := waits.Stop()
	for _, fig := range []*compare.Figure{edge, sql} {
		if err := fig.Report(b.out, "# "); err != nil {
			return err
		}
	}
	b.note("search: the searching sessions' states (both sides): %s", seen)
	b.note("search: the catalog's pool has 20 connections (postgres.PoolConfig default); the SQL side has %d", b.cfg.conns+2)
	name := fmt.Sprintf("catalog.search.%dconns", b.cfg.conns)
	b.report(benchline.Result{Name: name, Ours: edge.Result.PerSecond(), Limit: sql.Result.PerSecond(), Unit: "req/s", Goal: searchGoal})
	b.report(benchline.Result{Name: name + ".p50", Ours: ms(edge.Result.Percentile(0.5)), Limit: ms(sql.Result.Percentile(0.5)),
		Unit: "ms", Goal: searchP50Goal, LowerIsBetter: true})
	b.report(benchline.Result{Name: name + ".p99", Ours: ms(edge.Result.Percentile(0.99)), Limit: ms(sql.Result.Percentile(0.99)),
		Unit: "ms", Goal: searchP99Goal, LowerIsBetter: true})
	return nil
}

// readModelSampler records how many products the read model held over time while the load
// ran: the live projector's pace.
type readModelSampler struct {
	stopOnce sync.Once
	cancel   context.CancelFunc
	done     chan struct{}
	start    time.Time
	points   []point
}

type point struct {
	at    time.Duration
	count int
}

func (b *bench) sampleReadModel(ctx context.Context, start time.Time) *readModelSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &readModelSampler{cancel: cancel, done: make(chan struct{}), start: start}
	go func() {
		defer close(s.done)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var n int
			if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM catalog_products.products`).Scan(&n); err == nil {
				s.points = append(s.points, point{at: time.Since(start), count: n})
			}
		}
	}()
	return s
}

func (s *readModelSampler) stop() {
	s.stopOnce.Do(func() {
		s.cancel()
		<-s.done
	})
}

// print shows the read model's pace during and after the load (products per second per
// 5 s interval), and the total time to catch up.
func (s *readModelSampler) print(b *bench) {
	var parts []string
	prev := point{}
	for _, p := range s.points {
		parts = append(parts, fmt.Sprintf("%.0fs:%d(+%.0f/s)", p.at.Seconds(), p.count,
			float64(p.count-prev.count)/(p.at-prev.at).Seconds()))
		prev = p
	}
	b.note("live projector during the load (read-model rows at elapsed time): %s", strings.Join(parts, " "))
	b.note("load + read model caught up: %s", time.Since(s.start).Round(time.Second))
}

// loadAvg is /proc/loadavg's first three fields.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// explain prints where PostgreSQL spends the time of one search: EXPLAIN ANALYZE of the
// statement Queries runs for it (same shape, the category's subtree resolved first).
func (b *bench) explain(ctx context.Context, s search) error {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var slugs []string
	if err := conn.QueryRow(ctx, `WITH RECURSIVE subtree (slug) AS (SELECT $1::text COLLATE "C" UNION
		SELECT c.slug FROM catalog_products.categories AS c JOIN subtree AS st ON c.parent = st.slug)
		SELECT array_agg(slug) FROM subtree`, s.category).Scan(&slugs); err != nil {
		return err
	}
	rows, err := conn.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, COSTS OFF)
		SELECT p.id, p.name, m.total FROM (SELECT k.id, k.sort_key, count(*) OVER () AS total FROM (
			SELECT p.id, ts_rank_cd(p.search, websearch_to_tsquery('english', $1)) AS sort_key FROM catalog_products.products AS p
			WHERE p.status = 'active' AND p.search @@ websearch_to_tsquery('english', $1) AND p.category = ANY($2::text[]) OFFSET 0) AS k
			ORDER BY k.sort_key DESC, k.id LIMIT 20) AS m
		JOIN catalog_products.products AS p ON p.id = m.id ORDER BY m.sort_key DESC, m.id`, s.q, slugs)
	if err != nil {
		return err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, l := range lines {
		if strings.Contains(l, "Scan") || strings.Contains(l, "Sort") || strings.Contains(l, "Execution") ||
			strings.Contains(l, "Buffers") && !strings.Contains(l, "Planning") || strings.Contains(l, "WindowAgg") {
			b.note("search: plan of q=%q: %s", s.q, strings.TrimSpace(l))
		}
	}
	return nil
}
