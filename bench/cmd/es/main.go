// Command es benchmarks the event-sourcing platform (platform/es/postgres, platform/relay,
// platform/projector) and prints one BENCH line per figure, each against a limit measured
// in the same run on the same servers:
//
//   - es.append.single.8writers: single-event appends, 8 writers, vs pgbench inserting one
//     row per transaction into a copy of the events table, 8 clients;
//   - es.append.batch10.8writers: 10-event appends vs pgbench with 10 INSERTs a transaction;
//   - es.import.bulk: seeding N events with large appends vs COPY of N rows;
//   - es.readall.catchup: ReadAll in pages from position zero vs a raw keyset scan;
//   - relay.keepup.8writers and relay.commit_to_ack.p99: the relay under the 8-writer load;
//   - projector.live.apply: a projection fed from JetStream vs an ack-per-message consumer;
//   - projector.rebuild: rebuilding that projection from N events vs the raw scan.
//
// It uses the PostgreSQL server at 127.0.0.1:5432 (or STOREFRONT_BENCH_DATABASE_URL) in a
// database of its own, and the NATS JetStream server at 127.0.0.1:4222 (or
// STOREFRONT_BENCH_NATS_URL; an embedded one if none answers) with a stream of its own; it
// drops both when it ends. See docs/decisions/007-benchmarks.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/storefront/storefront/bench/benchline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/es:", err)
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	// Duration is the length of each timed write phase, ours and the baseline alike.
	Duration time.Duration
	// Writers is the number of concurrent appenders (and pgbench clients).
	Writers int
	// StreamsPerWriter is how many streams each writer appends to, round robin.
	StreamsPerWriter int
	// BulkEvents is the size of the import, and so of the log that is read and rebuilt.
	BulkEvents int
	// BulkBatch is the number of events per stream of the import.
	BulkBatch int
	// BulkStreams is the number of streams per Import call (one transaction).
	BulkStreams int
	// BulkWriters is the number of concurrent appenders of the import.
	BulkWriters int
	// PageSize is the page of ReadAll and of the raw keyset scan.
	PageSize int
	// RelayDuration is the length of the append load the relay publishes.
	RelayDuration time.Duration
	// RebuildTimeout bounds the rebuild; a rebuild cut short reports its rate so far.
	RebuildTimeout time.Duration
	// Timeout bounds the whole run.
	Timeout time.Duration
	// Only lists the figures to run (all if empty).
	Only []string
	// CPUProfile, if set, is where a CPU profile of the run is written.
	CPUProfile string
}

// figure names, for -only.
const (
	figAppend  = "append"
	figBatch   = "batch"
	figImport  = "import"
	figRead    = "read"
	figRelay   = "relay"
	figLive    = "live"
	figRebuild = "rebuild"
)

var allFigures = []string{figAppend, figBatch, figImport, figRead, figRelay, figLive, figRebuild}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var (
		c    config
		only string
	)
	fs := flag.NewFlagSet("es", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "length of each timed write phase (ours and the baseline)")
	fs.IntVar(&c.Writers, "writers", 8, "concurrent appenders and pgbench clients")
	fs.IntVar(&c.StreamsPerWriter, "streams", 100, "streams per writer, appended to round robin")
	fs.IntVar(&c.BulkEvents, "bulk-events", 1_000_000, "events imported (and then read and rebuilt)")
	fs.IntVar(&c.BulkBatch, "bulk-batch", 100, "events per stream of the import")
	fs.IntVar(&c.BulkStreams, "bulk-streams", 100, "streams per Import call (transaction) of the import")
	fs.IntVar(&c.BulkWriters, "bulk-writers", 4, "concurrent appenders of the import")
	fs.IntVar(&c.PageSize, "page", 1000, "page size of ReadAll and of the raw keyset scan")
	fs.DurationVar(&c.RelayDuration, "relay-duration", 15*time.Second, "length of the append load the relay publishes")
	fs.DurationVar(&c.RebuildTimeout, "rebuild-timeout", 3*time.Minute, "bound of the rebuild")
	fs.DurationVar(&c.Timeout, "timeout", 15*time.Minute, "bound of the whole run")
	fs.StringVar(&only, "only", "", "comma-separated figures to run: "+strings.Join(allFigures, ","))
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if only != "" {
		c.Only = strings.Split(only, ",")
	}
	return c, c.validate()
}

func (c config) validate() error {
	var errs []error
	if c.Duration < time.Second || c.RelayDuration < time.Second {
		errs = append(errs, errors.New("-duration and -relay-duration must be at least 1s"))
	}
	if c.Writers < 1 || c.StreamsPerWriter < 1 || c.BulkWriters < 1 {
		errs = append(errs, errors.New("-writers, -streams and -bulk-writers must be at least 1"))
	}
	if c.BulkEvents < 1 || c.BulkBatch < 1 || c.BulkStreams < 1 || c.PageSize < 1 {
		errs = append(errs, errors.New("-bulk-events, -bulk-batch, -bulk-streams and -page must be at least 1"))
	}
	for _, f := range c.Only {
		if !slices.Contains(allFigures, f) {
			errs = append(errs, fmt.Errorf("-only: unknown figure %q (want %s)", f, strings.Join(allFigures, ",")))
		}
	}
	return errors.Join(errs...)
}

// wants reports whether figure f is to run.
func (c config) wants(f string) bool { return len(c.Only) == 0 || slices.Contains(c.Only, f) }

// run parses the flags, sets up the servers, runs the figures and cleans up.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	started := time.Now()
	env, err := setUp(ctx, log)
	if err != nil {
		return err
	}
	defer func() {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer ccancel()
		if cerr := env.tearDown(cctx); cerr != nil {
			log.Error("clean-up failed", "err", cerr)
		}
	}()
	fmt.Fprintf(stdout, "# bench/es: PostgreSQL database %s, NATS %s (%s); figures: %s\n",
		env.db.Name, env.nats.URL, natsKind(env.nats.Embedded), strings.Join(cfg.figures(), ","))

	b := &bench{cfg: cfg, env: env, log: log, out: stdout}
	err = b.all(ctx)
	fmt.Fprintf(stdout, "# bench/es: done in %s\n", time.Since(started).Round(time.Second))
	return err
}

func (c config) figures() []string {
	if len(c.Only) == 0 {
		return allFigures
	}
	return c.Only
}

func natsKind(embedded bool) string {
	if embedded {
		return "embedded: no server answered"
	}
	return "the running server"
}

// bench runs the figures and prints their lines.
type bench struct {
	cfg config
	env *env
	log *slog.Logger
	out io.Writer

	// rawScanRate is the raw keyset scan's rows/s, the limit of the rebuild too.
	rawScanRate float64
	// imported is true once the import filled the seed store.
	imported bool
}

// report prints a figure's BENCH line.
func (b *bench) report(r benchline.Result) { benchline.Print(b.out, r) }

// note prints a human-readable line.
func (b *bench) note(format string, args ...any) {
	fmt.Fprintf(b.out, "# "+format+"\n", args...)
}

// all runs the figures in an order where each one finds what it needs: the import fills the
// log that is read and rebuilt; the live projection is built before the relay load fills
// the JetStream stream it consumes.
func (b *bench) all(ctx context.Context) error {
	steps := []struct {
		fig string
		do  func(context.Context) error
	}{
		{figAppend, b.appendSingle},
		{figBatch, b.appendBatch},
		{figImport, b.bulkImport},
		{figRead, b.readAll},
		{figRelay, b.relayAndLive},
		{figRebuild, b.rebuild},
	}
	var errs []error
	for _, s := range steps {
		if s.fig == figRelay && !b.cfg.wants(figRelay) && !b.cfg.wants(figLive) {
			continue
		}
		if s.fig != figRelay && !b.cfg.wants(s.fig) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		b.log.Info("figure started", "figure", s.fig)
		if err := s.do(ctx); err != nil {
			b.log.Error("figure failed", "figure", s.fig, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", s.fig, err))
		}
	}
	return errors.Join(errs...)
}
