package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/storefront/storefront/bench/benchline"
	"github.com/storefront/storefront/bench/internal/compare"
	"github.com/storefront/storefront/bench/internal/load"
	"github.com/storefront/storefront/platform/devenv"
)

// cacheGoal: the cache is kept only if it serves more requests per second than the same
// fleet without it (issue 7, point 3).
const cacheGoal = 1.0

// twin is a catalog service with the page cache on and an edge in front of it, started
// from the fleet's binaries with the fleet's own environment (same database, NATS, Redis and
// prefix, identity): the fleet's catalog and edge without the cache are the reference, in
// the same run, on the same read model.
type twin struct {
	baseURL string
	procs   []*exec.Cmd
	logs    []string
}

func (t *twin) stop() {
	for i := len(t.procs) - 1; i >= 0; i-- {
		p := t.procs[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	for _, l := range t.logs {
		_ = os.Remove(l)
	}
}

func (b *bench) startTwin(ctx context.Context) (_ *twin, err error) {
	t := &twin{}
	defer func() {
		if err != nil {
			t.stop()
		}
	}()
	free := func() (string, error) {
		port, err := devenv.FreePort()
		return fmt.Sprintf("127.0.0.1:%d", port), err
	}
	catalogAddr, err := free()
	if err != nil {
		return nil, err
	}
	metricsAddr, err := free()
	if err != nil {
		return nil, err
	}
	httpAddr, err := free()
	if err != nil {
		return nil, err
	}
	start := func(name string, override ...string) error {
		env, err := b.fleet.ProcessEnv(name)
		if err != nil {
			return err
		}
		cmd := exec.Command(filepath.Join(b.fleet.Bin, name))
		cmd.Env = append(env, override...)
		logPath := filepath.Join(os.TempDir(), fmt.Sprintf("sf-bench-twin-%s-%d.log", name, os.Getpid()))
		lf, err := os.Create(logPath)
		if err != nil {
			return err
		}
		defer lf.Close()
		cmd.Stdout, cmd.Stderr = lf, lf
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start twin %s: %w", name, err)
		}
		t.procs, t.logs = append(t.procs, cmd), append(t.logs, logPath)
		return nil
	}
	if err := start("catalog", "STOREFRONT_CATALOG_ADDR="+catalogAddr, "STOREFRONT_METRICS_ADDR="+metricsAddr,
		"STOREFRONT_CATALOG_CACHE=true"); err != nil {
		return nil, err
	}
	if err := start("gateway", "STOREFRONT_HTTP_ADDR="+httpAddr, "STOREFRONT_CATALOG_ADDR="+catalogAddr); err != nil {
		return nil, err
	}
	t.baseURL = "http://" + httpAddr
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := client.Get(t.baseURL + "/api/v1/products/" + b.ids[0])
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return t, nil
			}
		}
		if time.Now().After(deadline) {
			var tail strings.Builder
			for _, l := range t.logs {
				data, _ := os.ReadFile(l)
				fmt.Fprintf(&tail, "%s:\n%s\n", l, data[max(0, len(data)-2048):])
			}
			return nil, fmt.Errorf("the twin catalog and edge did not serve within 90s:\n%s", tail.String())
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// cache measures the page cache: the same product pages (by id, 1000 rotating) and the same
// search pages through the twin (cache on) and through the fleet (cache off), alternating.
func (b *bench) cache(ctx context.Context) error {
	if len(b.searches) == 0 {
		b.searches = searchTerms()
	}
	t, err := b.startTwin(ctx)
	if err != nil {
		return err
	}
	defer t.stop()
	defer func() {
		for i, l := range t.logs {
			b.printErrors(l, "twin "+[]string{"catalog", "gateway"}[i])
		}
	}()
	client := load.NewClient(2 * b.cfg.conns)
	urls := func(base string) (products, searches []string) {
		for i := range min(1000, len(b.ids)) {
			products = append(products, base+"/api/v1/products/"+b.ids[i])
		}
		for _, s := range b.searches {
			searches = append(searches, base+s.path())
		}
		return products, searches
	}
	cachedProducts, cachedSearches := urls(t.baseURL)
	plainProducts, plainSearches := urls(b.fleet.BaseURL)
	conns := fmt.Sprintf("%dconns", b.cfg.conns)
	for _, c := range []struct {
		what          string
		cached, plain []string
	}{
		{"product", cachedProducts, plainProducts},
		{"search", cachedSearches, plainSearches},
	} {
		cached := &compare.Figure{Name: c.what + " page, cache on (twin)", Workers: b.cfg.conns, Op: getter(client, c.cached)}
		plain := &compare.Figure{Name: c.what + " page, no cache (fleet)", Workers: b.cfg.conns, Op: getter(client, c.plain)}
		compare.Alternate(ctx, b.cfg.compare(), b.procs, cached, plain)
		for _, fig := range []*compare.Figure{cached, plain} {
			if err := fig.Report(b.out, "# "); err != nil {
				return err
			}
		}
		name := "catalog.cache." + c.what + "." + conns
		b.report(benchline.Result{Name: name, Ours: cached.Result.PerSecond(), Limit: plain.Result.PerSecond(), Unit: "req/s", Goal: cacheGoal})
		b.note("cache: %s p50 %.2f ms vs %.2f ms, p99 %.2f ms vs %.2f ms (cache on vs off)", c.what,
			ms(cached.Result.Percentile(0.5)), ms(plain.Result.Percentile(0.5)),
			ms(cached.Result.Percentile(0.99)), ms(plain.Result.Percentile(0.99)))
	}
	return nil
}
