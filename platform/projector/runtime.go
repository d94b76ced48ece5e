package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Runtime runs projections: live from JetStream (Run) and rebuilt from the event stores
// (Rebuild). Its methods are safe for concurrent use, and several processes may run the
// same projections against the same database: they share the durable consumers, and
// PostgreSQL locks keep them consistent.
type Runtime struct {
	cfg         Config
	pool        *pgxpool.Pool
	log         *slog.Logger
	tracer      trace.Tracer
	prop        propagation.TextMapPropagator
	metrics     *metrics
	projections []Projection
	byName      map[string]Projection

	// afterCommit, if set (by tests), runs after a live batch commits and before its
	// messages are acknowledged; an error stops the consumer without acknowledging.
	afterCommit func(projection string) error
	// afterRead, if set (by tests), runs after an optimistic batch has read (or predicted)
	// its stream records, before it applies the events.
	afterRead func()
	// predict lets live batches predict their stream records before reading them
	// (applier.predictStreams); tests turn it off to exercise the read.
	predict bool
}

// New checks the configuration and the projections and returns a runtime for them. It does
// not touch the database.
func New(cfg Config, projections ...Projection) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	r := &Runtime{
		predict: true,
		cfg:     cfg,
		pool:    cfg.Pool,
		log:     cfg.Logger,
		tracer:  cfg.TracerProvider.Tracer(instrumentation),
		prop:    cfg.Propagator,
		byName:  map[string]Projection{},
	}
	var err error
	if r.metrics, err = newMetrics(cfg.MeterProvider); err != nil {
		return nil, fmt.Errorf("projector: metrics: %w", err)
	}
	var errs []error
	for _, p := range projections {
		name := p.Name()
		switch {
		case !validName.MatchString(name) || name == Schema || generationSuffix.MatchString(name):
			errs = append(errs, fmt.Errorf("projection name %q: want a lower-case letter then up to 40 lower-case letters, digits and underscores, not %q and not ending in _g<digits>", name, Schema))
		case r.byName[name] != nil:
			errs = append(errs, fmt.Errorf("projection %s given twice", name))
		case len(p.Contexts()) == 0:
			errs = append(errs, fmt.Errorf("projection %s reads no context", name))
		}
		for _, c := range p.Contexts() {
			if r.cfg.Stores[c] == nil {
				errs = append(errs, fmt.Errorf("projection %s reads context %q, which has no store in Config.Stores", name, c))
			}
		}
		r.byName[name] = p
		r.projections = append(r.projections, p)
		// From zero, so that an alert on parked events sees the series before the first one.
		r.metrics.parked.Add(context.Background(), 0, metric.WithAttributes(attribute.String("projection", name)))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("projector: %w", errors.Join(errs...))
	}
	return r, nil
}

func (r *Runtime) projection(name string) (Projection, error) {
	p := r.byName[name]
	if p == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProjection, name)
	}
	return p, nil
}

// Run builds every projection that has no active generation yet (from the event stores,
// as Rebuild does; another process's build is waited for), then consumes their contexts'
// JetStream streams until ctx is done, carrying out operators' requests meanwhile (rebuilds,
// and redrives or discards of dead letters: see RequestRebuild and RequestDeadLetter). It returns nil after ctx is cancelled, or the error
// of a failed first build. Failures of the live consumers (JetStream or PostgreSQL
// unavailable) are logged and retried with back-off; they never stop Run.
func (r *Runtime) Run(ctx context.Context) error {
	if r.cfg.JetStream == nil {
		return errors.New("projector: Run needs Config.JetStream")
	}
	for _, p := range r.projections {
		if err := r.ensureBuilt(ctx, p); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	if err := r.recordContexts(ctx); err != nil {
		r.log.WarnContext(ctx, "recording the projections' contexts failed", "err", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	wg.Go(func() { r.serveRequests(ctx) })
	for _, p := range r.projections {
		for _, c := range contextsOf(p) {
			wg.Go(func() {
				if err := r.consume(ctx, p, c); err != nil {
					once.Do(func() { firstErr = err })
					cancel()
				}
			})
		}
	}
	wg.Wait()
	return firstErr
}

// ensureBuilt waits until the projection has an active generation built from its current
// definition, building it if no other process is. A generation built from another
// definition (an upgrade changed the tables or the contexts) keeps serving reads while its
// successor is built from the event stores, blue/green; live consumption starts after the
// switch.
func (r *Runtime) ensureBuilt(ctx context.Context, p Projection) error {
	want := ddlHash(definition(p))
	for {
		var (
			active   *int
			builtFor *string
		)
		err := r.pool.QueryRow(ctx, `SELECT active_generation, active_ddl_hash FROM projector.projections WHERE name = $1`,
			p.Name()).Scan(&active, &builtFor)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("projector: %s: read registry: %w", p.Name(), err)
		}
		switch {
		case active != nil && builtFor != nil && *builtFor == want:
			return nil
		case active != nil:
			r.log.InfoContext(ctx, "projection's definition changed since its active generation was built; rebuilding it blue/green",
				"projection", p.Name(), "generation", *active)
		default:
			r.log.InfoContext(ctx, "projection has no active generation; building it from the event stores", "projection", p.Name())
		}
		err = r.Rebuild(ctx, p.Name())
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrRebuildRunning):
			if err := sleep(ctx, time.Second); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// consumerName is the durable consumer of a projection (one per context stream).
func (r *Runtime) consumerName(p Projection) string { return r.cfg.ConsumerPrefix + p.Name() }

// contextsOf returns a projection's contexts, sorted and without repeats.
func contextsOf(p Projection) []string {
	cs := slices.Clone(p.Contexts())
	slices.Sort(cs)
	return slices.Compact(cs)
}
