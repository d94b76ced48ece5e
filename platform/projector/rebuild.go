package projector

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
)

// build is the state of a running rebuild.
type build struct {
	p        Projection
	gen      int
	schema   string
	contexts []string
	pos      map[string]es.Position // committed read position per context
	head     map[string]es.Position // last head seen per context
	blocked  map[string]int64       // streams blocked by a parked event in this generation
	applied  int64                  // events read into this generation, over every run
	run      int64                  // events read by this run
	started  time.Time              // of this run
}

// progress derives the figures of Progress from the build's positions.
// run is the number of events this run has read, for the rate.
func (b *build) progress(pos, head map[string]es.Position, applied, run int64) Progress {
	p := Progress{Projection: b.p.Name(), State: StateRebuilding, BuildingGeneration: b.gen, Applied: applied, StartedAt: b.started}
	for _, c := range b.contexts {
		p.Position += pos[c].Global
		p.Total += max(head[c].Global, pos[c].Global)
	}
	if secs := time.Since(b.started).Seconds(); secs > 0 && run > 0 {
		p.EventsPerSecond = float64(run) / secs
		p.ETASeconds = float64(p.Total-p.Position) / p.EventsPerSecond
	}
	return p
}

// Rebuild builds the projection anew from the event stores of its contexts, read from
// position zero, into a new generation of its tables, while the active generation keeps
// serving readers and receiving live events (Run, in this process or another). When the
// new generation has caught up with the stores' heads, one transaction applies the last
// events, points the read schema's views at it and makes it active; the live consumers
// continue on it. The old generation is then dropped and its open parked events are marked
// superseded. A projection without an active generation is simply built.
//
// Rebuild blocks until the switch (or ctx is done) and reports progress in the registry
// (see Progress) after every batch of Config.RebuildBatchSize events. One rebuild runs per
// projection at a time, across processes: another call fails with ErrRebuildRunning. A
// failed or interrupted rebuild leaves its generation in place; the next Rebuild resumes it
// from its last committed batch if the projection's DDL is unchanged, and starts afresh
// otherwise.
func (r *Runtime) Rebuild(ctx context.Context, name string) error {
	p, err := r.projection(name)
	if err != nil {
		return err
	}
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("projector: rebuild %s: %w", name, err)
	}
	key := "projector:rebuild:" + name
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, key).Scan(&locked); err != nil {
		conn.Release()
		return fmt.Errorf("projector: rebuild %s: lock: %w", name, err)
	}
	if !locked {
		conn.Release()
		return fmt.Errorf("%w: %s", ErrRebuildRunning, name)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key); err != nil {
			_ = conn.Conn().Close(uctx) // ending the session releases its lock
		}
		conn.Release()
	}()

	ctx, span := r.tracer.Start(ctx, "projector.rebuild "+name, trace.WithAttributes(attribute.String("projection", name)))
	defer span.End()
	b, err := r.startBuild(ctx, p)
	if err != nil {
		return r.failBuild(ctx, span, p, err)
	}
	r.log.InfoContext(ctx, "rebuild started", "projection", name, "generation", b.gen, "schema", b.schema,
		"resumed_at", b.progress(b.pos, b.head, b.applied, 0).Position)
	if err := r.catchUp(ctx, b); err != nil {
		return r.failBuild(ctx, span, p, err)
	}
	if err := createIndexes(ctx, r.pool, p, b.schema); err != nil {
		return r.failBuild(ctx, span, p, err)
	}
	prev, err := r.switchTo(ctx, b)
	if err != nil {
		return r.failBuild(ctx, span, p, err)
	}
	r.metrics.setRebuild(Progress{Projection: name}, false)
	if r.cfg.Committed != nil {
		r.cfg.Committed(ctx, name)
	}
	r.log.InfoContext(ctx, "rebuild switched in", "projection", name, "generation", b.gen, "previous", prev,
		"events", b.applied, "took", time.Since(b.started))
	if prev > 0 {
		old := generationSchema(name, prev)
		if err := dropSchemas(ctx, r.pool, []string{old}); err != nil {
			// The switch happened; a later rebuild drops what is left.
			r.log.ErrorContext(ctx, "dropping the old generation failed", "projection", name, "schema", old, "err", err)
		}
	}
	return nil
}

func (r *Runtime) failBuild(ctx context.Context, span trace.Span, p Projection, cause error) error {
	span.SetStatus(codes.Error, cause.Error())
	r.metrics.setRebuild(Progress{Projection: p.Name()}, false)
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := r.pool.Exec(uctx, `UPDATE projector.projections
		SET state = 'failed', last_error = $2, rebuild_rate = 0, rebuild_eta_seconds = 0, updated_at = now()
		WHERE name = $1`, p.Name(), cause.Error())
	r.log.ErrorContext(ctx, "rebuild failed", "projection", p.Name(), "err", cause)
	return errors.Join(fmt.Errorf("projector: rebuild %s: %w", p.Name(), cause), err)
}

// startBuild registers the projection if need be and either resumes the generation being
// built or creates a new one, in one transaction.
func (r *Runtime) startBuild(ctx context.Context, p Projection) (*build, error) {
	name := p.Name()
	b := &build{p: p, contexts: contextsOf(p), pos: map[string]es.Position{}, head: map[string]es.Position{},
		blocked: map[string]int64{}, started: time.Now()}
	hash := ddlHash(definition(p))
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO projector.projections (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, name); err != nil {
			return err
		}
		var (
			active, building *int
			builtWith        *string
			next             int
			applied          int64
		)
		err := tx.QueryRow(ctx, `SELECT active_generation, building_generation, building_ddl_hash, next_generation, rebuild_applied
			FROM projector.projections WHERE name = $1`, name).Scan(&active, &building, &builtWith, &next, &applied)
		if err != nil {
			return err
		}
		if building != nil && builtWith != nil && *builtWith == hash {
			var exists bool
			err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)`, generationSchema(name, *building)).Scan(&exists)
			if err != nil {
				return err
			}
			if exists {
				return r.resumeBuild(ctx, tx, b, *building, applied)
			}
		}
		keep := 0
		if active != nil {
			keep = *active
		}
		stale, err := staleGenerations(ctx, tx, name, keep)
		if err != nil {
			return err
		}
		if err := dropSchemas(ctx, tx, stale); err != nil {
			return err
		}
		b.gen, b.schema = next, generationSchema(name, next)
		if err := createGeneration(ctx, tx, p, b.schema); err != nil {
			return err
		}
		batch := &pgx.Batch{}
		batch.Queue(`DELETE FROM projector.parked WHERE projection = $1 AND generation <> $2 AND resolved_at IS NULL`, name, keep)
		batch.Queue(`DELETE FROM projector.rebuild_positions WHERE projection = $1`, name)
		batch.Queue(`UPDATE projector.projections SET next_generation = $2 + 1, building_generation = $2, building_ddl_hash = $3,
				state = 'rebuilding', rebuild_started_at = now(), rebuild_applied = 0, rebuild_position = 0, rebuild_total = 0,
				rebuild_rate = 0, rebuild_eta_seconds = 0, last_error = '', updated_at = now()
			WHERE name = $1`, name, b.gen, hash)
		for _, c := range b.contexts {
			batch.Queue(`INSERT INTO projector.rebuild_positions (projection, generation, context) VALUES ($1, $2, $3)`, name, b.gen, c)
		}
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	for _, c := range b.contexts {
		h, err := r.cfg.Stores[c].Head(ctx)
		if err != nil {
			return nil, fmt.Errorf("head of %s: %w", c, err)
		}
		b.head[c] = h
	}
	return b, nil
}

func (r *Runtime) resumeBuild(ctx context.Context, tx pgx.Tx, b *build, gen int, applied int64) error {
	b.gen, b.schema, b.applied = gen, generationSchema(b.p.Name(), gen), applied
	rows, err := tx.Query(ctx, `SELECT context, tx_id, global_position FROM projector.rebuild_positions
		WHERE projection = $1 AND generation = $2`, b.p.Name(), gen)
	if err != nil {
		return err
	}
	var (
		c   string
		pos es.Position
	)
	if _, err := pgx.ForEachRow(rows, []any{&c, &pos.TxID, &pos.Global}, func() error {
		b.pos[c] = pos
		return nil
	}); err != nil {
		return err
	}
	rows, err = tx.Query(ctx, `SELECT stream_id, blocked_by FROM `+ident(b.schema, streamsTable)+` WHERE blocked_by IS NOT NULL`)
	if err != nil {
		return err
	}
	var (
		stream    string
		blockedBy int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&stream, &blockedBy}, func() error {
		b.blocked[stream] = blockedBy
		return nil
	}); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	for _, c := range b.contexts {
		batch.Queue(`INSERT INTO projector.rebuild_positions (projection, generation, context) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, b.p.Name(), gen, c)
	}
	batch.Queue(`UPDATE projector.projections SET state = 'rebuilding', last_error = '', updated_at = now() WHERE name = $1`, b.p.Name())
	return tx.SendBatch(ctx, batch).Close()
}

// catchUp reads every context's store until its position has reached the head the store
// reported before the read: the generation has caught up. A reader per context reads the
// next batch while the last one is applied; the batches are applied a context at a time,
// round robin. A store may hold back committed events while older transactions are still
// running (its gap-safe order); its reader then polls until they come.
func (r *Runtime) catchUp(ctx context.Context, b *build) error {
	ctx, cancel := context.WithCancel(ctx)
	var readers sync.WaitGroup
	defer func() {
		cancel()
		readers.Wait()
	}()
	pages := make(map[string]chan page, len(b.contexts))
	for _, c := range b.contexts {
		ch, store, from := make(chan page, 1), r.cfg.Stores[c], b.pos[c]
		pages[c] = ch
		readers.Go(func() { r.readAhead(ctx, store, from, ch) })
	}
	for len(pages) > 0 {
		for _, c := range b.contexts {
			ch, ok := pages[c]
			if !ok {
				continue
			}
			var pg page
			select {
			case pg, ok = <-ch:
			case <-ctx.Done():
				return ctx.Err()
			}
			switch {
			case !ok:
				delete(pages, c)
			case pg.err != nil:
				return fmt.Errorf("read %s: %w", c, pg.err)
			default:
				if err := r.rebuildBatch(ctx, b, c, pg.evs, pg.head); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// page is a batch of a store's events, with the head the store reported before the read.
type page struct {
	evs  []es.RecordedEvent
	head es.Position
	err  error
}

// readAhead reads store from position from, a batch at a time, into out, and closes out
// once a read has reached the head reported before it. It stops at the first error (sent)
// or when ctx is done.
func (r *Runtime) readAhead(ctx context.Context, store es.LogReader, from es.Position, out chan<- page) {
	send := func(pg page) bool {
		select {
		case out <- pg:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		head, err := store.Head(ctx)
		if err != nil {
			send(page{err: fmt.Errorf("head: %w", err)})
			return
		}
		evs, err := store.ReadAll(ctx, from, r.cfg.RebuildBatchSize)
		if err != nil {
			send(page{err: err})
			return
		}
		if len(evs) > 0 {
			last := evs[len(evs)-1].Position
			if head.Before(last) {
				head = last
			}
			if !send(page{evs: evs, head: head}) {
				return
			}
			from = last
		}
		if !from.Before(head) {
			close(out)
			return
		}
		if len(evs) == 0 && sleep(ctx, heldBackPoll) != nil {
			return
		}
	}
}

// heldBackPoll is how often a rebuild that is behind its store's head, but reads nothing
// (the store holds events back), reads again.
const heldBackPoll = 50 * time.Millisecond

// rebuildItems turns events read from a store into items.
func rebuildItems(ctx context.Context, c string, evs []es.RecordedEvent) []*item {
	items := make([]*item, len(evs))
	for i, ev := range evs {
		items[i] = &item{ev: ev, subject: natsbus.Subject(c, ev), final: true, ctx: ctx}
	}
	return items
}

// rebuildBatch applies events of context c to the new generation and records the position
// reached, in one transaction: fast first, then event by event if a handler failed.
func (r *Runtime) rebuildBatch(ctx context.Context, b *build, c string, evs []es.RecordedEvent, head es.Position) error {
	start := time.Now()
	items := rebuildItems(ctx, c, evs)
	last := evs[len(evs)-1].Position
	pos, heads := maps.Clone(b.pos), maps.Clone(b.head)
	pos[c], heads[c] = last, head
	n := int64(len(evs))
	prog := b.progress(pos, heads, b.applied+n, b.run+n)
	var a *applier
	for _, how := range []strategy{rebuildFast, rebuildCareful} {
		for _, it := range items {
			it.outcome, it.parked = outcomePending, nil
		}
		a = &applier{r: r, p: b.p, gen: b.gen, schema: b.schema, how: how,
			streams: map[string]*streamState{}, blocked: b.blocked}
		err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
			// synchronous_commit only matters at the commit: it travels with the last statements.
			tail := &pgx.Batch{}
			tail.Queue(`SET LOCAL synchronous_commit = off`)
			queueProgress(tail, b, c, last, head, prog)
			return a.run(ctx, tx, items, tail)
		})
		if errors.Is(err, errCareful) {
			continue
		}
		if err != nil {
			return fmt.Errorf("apply batch of %s: %w", c, err)
		}
		break
	}
	a.rememberBlocked()
	b.pos, b.head, b.applied, b.run = pos, heads, b.applied+n, b.run+n
	r.afterRebuildBatch(ctx, b, items, time.Since(start), prog)
	return nil
}

// queueProgress queues the update of the build's position in c and of its progress.
func queueProgress(batch *pgx.Batch, b *build, c string, last, head es.Position, prog Progress) {
	batch.Queue(`UPDATE projector.rebuild_positions SET tx_id = $4, global_position = $5, head_global = $6
		WHERE projection = $1 AND generation = $2 AND context = $3`, b.p.Name(), b.gen, c, last.TxID, last.Global, head.Global)
	batch.Queue(`UPDATE projector.projections SET rebuild_applied = $2, rebuild_position = $3, rebuild_total = $4,
			rebuild_rate = $5, rebuild_eta_seconds = $6, updated_at = now()
		WHERE name = $1`, b.p.Name(), prog.Applied, prog.Position, prog.Total, prog.EventsPerSecond, prog.ETASeconds)
}

func (r *Runtime) afterRebuildBatch(ctx context.Context, b *build, items []*item, took time.Duration, prog Progress) {
	projAttr := attribute.String("projection", b.p.Name())
	var applied int64
	for _, it := range items {
		switch it.outcome {
		case outcomeApplied:
			applied++
		case outcomeParked:
			r.reportParked(ctx, b.p, it)
		}
	}
	r.metrics.applied.Add(ctx, applied, metric.WithAttributes(projAttr, attribute.String("mode", "rebuild")))
	r.metrics.batch.Record(ctx, took.Seconds(), metric.WithAttributes(projAttr, attribute.String("mode", "rebuild")))
	r.metrics.setRebuild(prog, true)
}

// switchTo makes the new generation active in one transaction: it waits for the live
// batches in flight and holds off new ones (the registry row's FOR UPDATE lock), applies
// the events the stores gained since catchUp, repoints the views and updates the registry.
// Every event a live batch applied to the old generation was readable from its store
// before that batch committed, so the new generation has it too. It returns the previous
// active generation (0 if none).
func (r *Runtime) switchTo(ctx context.Context, b *build) (int, error) {
	name := b.p.Name()
	var (
		prev   int
		parked []*item
		pos    map[string]es.Position
		n      int64
	)
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		parked, pos, n = nil, maps.Clone(b.pos), 0
		var active *int
		err := tx.QueryRow(ctx, `SELECT active_generation FROM projector.projections WHERE name = $1 FOR UPDATE`, name).Scan(&active)
		if err != nil {
			return fmt.Errorf("lock registry: %w", err)
		}
		if active != nil {
			prev = *active
		}
		a := &applier{r: r, p: b.p, gen: b.gen, schema: b.schema, how: rebuildCareful,
			streams: map[string]*streamState{}, blocked: maps.Clone(b.blocked)}
		for _, c := range b.contexts {
			for {
				evs, err := r.cfg.Stores[c].ReadAll(ctx, pos[c], r.cfg.RebuildBatchSize)
				if err != nil {
					return fmt.Errorf("read %s: %w", c, err)
				}
				if len(evs) == 0 {
					break
				}
				items := rebuildItems(ctx, c, evs)
				if err := a.run(ctx, tx, items, nil); err != nil {
					return err
				}
				for _, it := range items {
					if it.outcome == outcomeParked {
						parked = append(parked, it)
					}
				}
				pos[c] = evs[len(evs)-1].Position
				n += int64(len(evs))
			}
			_, err := tx.Exec(ctx, `UPDATE projector.rebuild_positions SET tx_id = $4, global_position = $5, head_global = $5
				WHERE projection = $1 AND generation = $2 AND context = $3`, name, b.gen, c, pos[c].TxID, pos[c].Global)
			if err != nil {
				return err
			}
		}
		if err := switchViews(ctx, tx, name, b.schema); err != nil {
			return err
		}
		prog := b.progress(pos, pos, b.applied+n, b.run+n)
		batch := &pgx.Batch{}
		batch.Queue(`UPDATE projector.parked SET resolved_at = now(), resolution = $3
			WHERE projection = $1 AND generation = $2 AND resolved_at IS NULL`,
			name, prev, fmt.Sprintf("superseded by generation %d", b.gen))
		batch.Queue(`UPDATE projector.projections SET active_generation = $2, active_ddl_hash = $5, building_generation = NULL,
				building_ddl_hash = NULL, state = 'live', switched_at = now(), rebuild_applied = $3, rebuild_position = $4,
				rebuild_total = $4, rebuild_eta_seconds = 0, last_error = '', updated_at = now()
			WHERE name = $1`, name, b.gen, prog.Applied, prog.Position, ddlHash(definition(b.p)))
		batch.Queue(`DELETE FROM projector.rebuild_positions WHERE projection = $1 AND generation <> $2`, name, b.gen)
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return 0, fmt.Errorf("switch to generation %d: %w", b.gen, err)
	}
	b.pos, b.applied = pos, b.applied+n
	for _, it := range parked {
		r.reportParked(ctx, b.p, it)
	}
	return prev, nil
}
