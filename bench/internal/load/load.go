// Package load measures the throughput and latency of a closed-loop workload: a fixed number
// of workers, each doing one operation at a time, for a fixed time after a warm-up. Only
// operations that complete inside the measured window count, so a long operation in flight
// at either edge neither inflates nor deflates the rate.
package load

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Config is one run.
type Config struct {
	Workers  int           // concurrent operations
	Warmup   time.Duration // run first, not measured
	Duration time.Duration // the measured window
}

// Result is what a run measured.
type Result struct {
	Ops       int           // operations that succeeded inside the window
	Errors    int           // operations that failed inside the window
	FirstErr  error         // the first failure, for the report
	Window    time.Duration // the measured window
	latencies []time.Duration
}

// PerSecond is the rate of successful operations.
func (r Result) PerSecond() float64 {
	if r.Window <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Window.Seconds()
}

// Percentile returns the latency below which fraction q (0..1) of successful operations
// completed (nearest rank); 0 when none did.
func (r Result) Percentile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.latencies))+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// Run calls op from cfg.Workers goroutines until the warm-up and the window have passed, or
// ctx ends (then the result covers the part of the window that passed). op is called with
// the worker's index; an error counts as a failed operation.
func Run(ctx context.Context, cfg Config, op func(ctx context.Context, worker int) error) Result {
	start := time.Now()
	from, until := start.Add(cfg.Warmup), start.Add(cfg.Warmup+cfg.Duration)
	type tally struct {
		ops, errors int
		firstErr    error
		latencies   []time.Duration
	}
	tallies := make([]tally, cfg.Workers)
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		wg.Go(func() {
			t := &tallies[w]
			for ctx.Err() == nil {
				began := time.Now()
				if !began.Before(until) {
					return
				}
				err := op(ctx, w)
				done := time.Now()
				if done.Before(from) || !done.Before(until) {
					continue
				}
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					t.errors++
					if t.firstErr == nil {
						t.firstErr = err
					}
					continue
				}
				t.ops++
				t.latencies = append(t.latencies, done.Sub(began))
			}
		})
	}
	wg.Wait()
	end := time.Now()
	if end.After(until) {
		end = until
	}
	r := Result{Window: max(end.Sub(from), 0)}
	for _, t := range tallies {
		r.Ops += t.ops
		r.Errors += t.errors
		if r.FirstErr == nil {
			r.FirstErr = t.firstErr
		}
		r.latencies = append(r.latencies, t.latencies...)
	}
	slices.Sort(r.latencies)
	return r
}

// NewClient returns an HTTP/1.1 client for load on one host: up to conns connections, all
// kept alive between requests, no proxy, no compression.
func NewClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxConnsPerHost:     conns,
			MaxIdleConnsPerHost: conns,
			MaxIdleConns:        conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// Do sends req and reads the whole response body, failing unless the status is want.
func Do(client *http.Client, req *http.Request, want int) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, want, b)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// Combine merges the results of one workload measured in several windows.
func Combine(rs ...Result) Result {
	var c Result
	for _, r := range rs {
		c.Ops += r.Ops
		c.Errors += r.Errors
		c.Window += r.Window
		if c.FirstErr == nil {
			c.FirstErr = r.FirstErr
		}
		c.latencies = append(c.latencies, r.latencies...)
	}
	slices.Sort(c.latencies)
	return c
}
