// Package compare measures a workload against its reference on a shared machine: the two run
// alternately in slices, slices that other programs disturbed are measured again, and the CPU
// each process spent per operation is reported with the figures (decision 009).
package compare

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/storefront/storefront/bench/internal/load"
	"github.com/storefront/storefront/bench/internal/proccpu"
)

// Figure is one workload, run alternately with the ones it is compared with.
type Figure struct {
	Name    string
	Workers int
	Op      func(ctx context.Context, worker int) error

	// Filled by Alternate.
	Result   load.Result
	Elapsed  time.Duration // wall time of its kept runs, warm-ups included
	CPU      map[string]time.Duration
	Foreign  time.Duration // CPU time other programs took during its kept runs
	Capacity time.Duration // elapsed × CPUs
	Redone   int
}

// Config is how long each figure runs: Rounds slices of Duration/Rounds, each after Warmup.
type Config struct {
	Warmup   time.Duration
	Duration time.Duration
	Rounds   int
}

// Slices in which other programs took more than maxForeign of the machine are measured
// again, up to maxRedo times each: the machine is shared, and a reference is only valid when
// both figures of a pair saw the same machine.
const (
	maxForeign = 0.05
	maxRedo    = 3
)

// Alternate runs the figures in turn, cfg.Rounds times, each for its share of the window, so
// that slow drifts of the machine fall on each of them alike, and redoes slices that other
// programs disturbed. It records the CPU time every process used during each figure's runs.
func Alternate(ctx context.Context, cfg Config, procs Processes, figs ...*Figure) {
	rounds := max(cfg.Rounds, 1)
	slice := load.Config{Warmup: cfg.Warmup, Duration: cfg.Duration / time.Duration(rounds)}
	runs := make([][]load.Result, len(figs))
	for range rounds {
		for i, f := range figs {
			if f.CPU == nil {
				f.CPU = map[string]time.Duration{}
			}
			c := slice
			c.Workers = f.Workers
			for attempt := 0; ; attempt++ {
				before, began := proccpu.Take(), time.Now()
				r := load.Run(ctx, c, f.Op)
				after, elapsed := proccpu.Take(), time.Since(began)
				foreign := proccpu.Foreign(before, after, procs.ours)
				capacity := elapsed * time.Duration(runtime.NumCPU())
				if float64(foreign) > maxForeign*float64(capacity) && attempt < maxRedo && ctx.Err() == nil {
					f.Redone++
					continue
				}
				runs[i] = append(runs[i], r)
				f.Elapsed += elapsed
				f.Foreign += foreign
				f.Capacity += capacity
				for _, u := range proccpu.Diff(before, after, procs.group) {
					f.CPU[u.Name] += u.CPU
				}
				break
			}
		}
	}
	for i, f := range figs {
		f.Result = load.Combine(runs[i]...)
	}
}

// Processes names the processes whose CPU time a benchmark reports: this process (the load
// generator, which also runs any in-process reference), the fleet under its launcher, and
// processes this program started itself (twins of the fleet's processes).
type Processes struct {
	Self, Launcher int
}

// group names a process for the report.
func (p Processes) group(s proccpu.Snapshot, pid int) string {
	switch {
	case pid == p.Self:
		return "load-generator"
	case s.Descends(pid, p.Launcher):
		return "fleet:" + s.Name(pid)
	case s.Descends(pid, p.Self):
		return "twin:" + s.Name(pid)
	case s.Kernel(pid):
		return "kernel-threads"
	default:
		return s.Name(pid)
	}
}

// ours reports whether pid does the benchmark's work: this process and its children, the
// fleet, and the servers they use (which other programs may use too: their share is not told
// apart).
func (p Processes) ours(s proccpu.Snapshot, pid int) bool {
	switch name := s.Name(pid); {
	case pid == p.Self, s.Descends(pid, p.Launcher), s.Descends(pid, p.Self):
		return true
	default:
		return name == "postgres" || name == "redis-server"
	}
}

// Report prints a figure's details, with the CPU each process spent per operation, and
// refuses a figure with failures: its rate would not be the rate of the work it names.
// Each line starts with prefix.
func (f *Figure) Report(w io.Writer, prefix string) error {
	r := f.Result
	fmt.Fprintf(w, "%s%-34s %9.1f/s  n=%d  p50=%s p99=%s  errors=%d  others took %.1f%% of the machine (%d slices redone)\n",
		prefix, f.Name, r.PerSecond(), r.Ops, r.Percentile(0.5).Round(time.Microsecond), r.Percentile(0.99).Round(time.Microsecond),
		r.Errors, 100*float64(f.Foreign)/float64(max(f.Capacity, 1)), f.Redone)
	if ops := r.PerSecond() * f.Elapsed.Seconds(); ops > 0 {
		fmt.Fprintf(w, "%s%34s CPU/op:%s\n", prefix, "", cpuPerOp(f.CPU, ops))
	}
	switch {
	case r.Errors > 0:
		return fmt.Errorf("%s: %d of %d operations failed, first: %w", f.Name, r.Errors, r.Ops+r.Errors, r.FirstErr)
	case r.Ops == 0:
		return fmt.Errorf("%s: no operation completed in the window", f.Name)
	}
	return nil
}

// cpuPerOp lists the processes' CPU time per operation, largest first (eight at most).
func cpuPerOp(m map[string]time.Duration, ops float64) string {
	var out []proccpu.Usage
	for name, cpu := range m {
		out = append(out, proccpu.Usage{Name: name, CPU: cpu})
	}
	slices.SortFunc(out, func(a, b proccpu.Usage) int { return cmp.Compare(b.CPU, a.CPU) })
	var b strings.Builder
	for i, u := range out {
		perOp := time.Duration(float64(u.CPU) / ops)
		if i == 8 || perOp < time.Microsecond {
			break
		}
		fmt.Fprintf(&b, "  %s %s", u.Name, perOp.Round(time.Microsecond))
	}
	return b.String()
}

// Usage is the CPU time each process (named as in the reports) used between two snapshots.
func (p Processes) Usage(before, after proccpu.Snapshot) map[string]time.Duration {
	m := map[string]time.Duration{}
	for _, u := range proccpu.Diff(before, after, p.group) {
		m[u.Name] += u.CPU
	}
	return m
}

// CPUPerOp lists the processes' CPU time per operation, largest first (eight at most).
func CPUPerOp(m map[string]time.Duration, ops float64) string { return cpuPerOp(m, ops) }
