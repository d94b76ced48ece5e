package projector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/storefront/storefront/platform/bus/natsbus"
)

// serveRequests carries out operators' requests for this runtime's projections until ctx
// ends: it starts the rebuilds asked for (one per projection in this process; across
// processes the rebuild lock lets one run) and redrives or discards the dead letters.
func (r *Runtime) serveRequests(ctx context.Context) {
	var (
		mu      sync.Mutex
		running = map[string]bool{}
		wg      sync.WaitGroup
	)
	defer wg.Wait()
	names := make([]string, 0, len(r.projections))
	for _, p := range r.projections {
		names = append(names, p.Name())
	}
	tick := time.NewTicker(r.cfg.RequestInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		asked, err := r.rebuildsAsked(ctx, names)
		if err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "reading the rebuild requests failed", "err", err)
		}
		for _, name := range asked {
			mu.Lock()
			busy := running[name]
			running[name] = true
			mu.Unlock()
			if busy {
				continue
			}
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(running, name)
					mu.Unlock()
				}()
				r.log.InfoContext(ctx, "rebuild asked for by an operator", "projection", name)
				if err := r.Rebuild(ctx, name); err != nil && !errors.Is(err, ErrRebuildRunning) && ctx.Err() == nil {
					r.log.ErrorContext(ctx, "rebuild asked for by an operator failed", "projection", name, "err", err)
				}
			})
		}
		if err := r.carryOutDeadLetterRequests(ctx, names); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "carrying out dead-letter requests failed", "err", err)
		}
	}
}

// rebuildsAsked lists the projections with a rebuild asked for after the last one started.
func (r *Runtime) rebuildsAsked(ctx context.Context, names []string) ([]string, error) {
	rows, err := r.pool.Query(ctx, `SELECT name FROM projector.projections
		WHERE name = ANY($1) AND rebuild_requested_at > coalesce(rebuild_started_at, '-infinity')`, names)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// recordContexts records the contexts each projection reads, for operators.
func (r *Runtime) recordContexts(ctx context.Context) error {
	b := &pgx.Batch{}
	for _, p := range r.projections {
		b.Queue(`UPDATE projector.projections SET contexts = $2 WHERE name = $1 AND contexts IS DISTINCT FROM $2`,
			p.Name(), contextsOf(p))
	}
	return r.pool.SendBatch(ctx, b).Close()
}

// carryOutDeadLetterRequests redrives or discards the requested dead letters of the
// projections, a stream at a time.
func (r *Runtime) carryOutDeadLetterRequests(ctx context.Context, names []string) error {
	asked, err := Requested(ctx, r.pool, names, 100)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, e := range asked {
		key := fmt.Sprint(e.Projection, "\x00", e.Generation, "\x00", e.StreamID)
		if done[key] {
			continue
		}
		done[key] = true
		if err := r.settleStream(ctx, r.byName[e.Projection], e); err != nil {
			return fmt.Errorf("dead letter %d of %s: %w", e.ID, e.Projection, err)
		}
	}
	return nil
}

// settleStream carries out the requests for the dead letters of one stream of a projection,
// in one transaction that, like a live batch, holds the registry row so that no switch
// happens meanwhile. The stream's parked events are taken in version order from the first
// one after its record: one with a discard request is skipped; the others are applied
// (each under a savepoint) as long as they succeed and follow each other. The first failure
// stays parked with its new error and blocks the stream again. A request behind the
// stream's first parked event waits until that one is redriven or discarded.
func (r *Runtime) settleStream(ctx context.Context, p Projection, asked ParkedEvent) error {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var active *int
	if err := tx.QueryRow(ctx, `SELECT active_generation FROM projector.projections WHERE name = $1 FOR KEY SHARE`,
		p.Name()).Scan(&active); err != nil {
		return err
	}
	switch {
	case active == nil || asked.Generation > *active:
		return nil // parked by a rebuild still running: its switch decides
	case asked.Generation < *active:
		// A switch superseded the generation after the request was read.
		_, err := tx.Exec(ctx, `UPDATE projector.parked SET resolved_at = now(), resolution = 'superseded', requested = NULL
			WHERE id = $1 AND resolved_at IS NULL`, asked.ID)
		if err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
	schema := generationSchema(p.Name(), *active)
	table := ident(schema, streamsTable)
	var (
		version   int64
		blockedBy int64
	)
	err = tx.QueryRow(ctx, `SELECT version, coalesce(blocked_by, 0) FROM `+table+` WHERE stream_id = $1 FOR UPDATE`,
		asked.StreamID).Scan(&version, &blockedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		version, blockedBy = 0, 0
	} else if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT `+parkedColumns+` FROM projector.parked
		WHERE projection = $1 AND generation = $2 AND stream_id = $3 AND resolved_at IS NULL ORDER BY version, id`,
		p.Name(), *active, asked.StreamID)
	if err != nil {
		return err
	}
	parked, err := pgx.CollectRows(rows, scanParked)
	if err != nil {
		return err
	}
	cur := version
	var head *ParkedEvent
	for i := range parked {
		if parked[i].Version > cur {
			head = &parked[i]
			break
		}
	}
	if head == nil || head.Requested == "" {
		// Nothing parked after the record (a duplicate), or the first one was not asked for.
		for _, e := range parked {
			if e.Version <= cur && e.Requested != "" {
				if err := Resolve(ctx, tx, e); err != nil {
					return err
				}
			}
		}
		return tx.Commit(ctx)
	}
	var failed int64
	for _, e := range parked {
		switch {
		case e.Version <= cur:
			// Applied meanwhile (redelivered and applied before it was parked): resolved.
			e.Requested = ActionRedrive
			if err := resolveAs(ctx, tx, e.ID, ResolutionRedriven); err != nil {
				return err
			}
			continue
		case e.Version > cur+1:
			if e.ID == head.ID {
				// The events between the record and it never arrived: only a rebuild has them.
				cause := fmt.Errorf("versions %d to %d of stream %s never reached the projection: rebuild it", cur+1, e.Version-1, e.StreamID)
				if err := failedAgain(ctx, tx, e, cause); err != nil {
					return err
				}
			}
			failed = e.ID
		case e.Requested == ActionDiscard:
			if err := resolveAs(ctx, tx, e.ID, ResolutionDiscarded); err != nil {
				return err
			}
			cur = e.Version
			continue
		default:
			if cause := r.reapply(ctx, tx, p, schema, e); cause != nil {
				if err := failedAgain(ctx, tx, e, cause); err != nil {
					return err
				}
				r.log.WarnContext(ctx, "redriven event failed again; it stays parked", "projection", p.Name(),
					"parked_id", e.ID, "stream", e.StreamID, "version", e.Version, "err", cause)
				failed = e.ID
				break
			}
			if err := resolveAs(ctx, tx, e.ID, ResolutionRedriven); err != nil {
				return err
			}
			cur = e.Version
			continue
		}
		break
	}
	_, err = tx.Exec(ctx, `INSERT INTO `+table+` AS s (stream_id, version, blocked_by) VALUES ($1, $2, nullif($3::bigint, 0))
		ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, blocked_by = EXCLUDED.blocked_by`,
		asked.StreamID, cur, failed)
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	r.log.InfoContext(ctx, "dead letters settled", "projection", p.Name(), "stream", asked.StreamID,
		"from_version", version, "to_version", cur, "blocked_by", failed)
	if r.cfg.Committed != nil {
		r.cfg.Committed(ctx, p.Name())
	}
	return nil
}

// reapply applies a parked event under a savepoint of tx and returns the handler's error.
func (r *Runtime) reapply(ctx context.Context, tx pgx.Tx, p Projection, schema string, e ParkedEvent) error {
	headers := e.Headers()
	ev, err := natsbus.Decode(headers, e.Payload)
	if err != nil {
		return fmt.Errorf("cannot be decoded, so not redriven (discard it): %w", err)
	}
	hctx := r.prop.Extract(ctx, natsbus.HeaderCarrier(headers))
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	a := &applier{r: r, p: p, schema: schema}
	if cause := a.call(hctx, sp, ev); cause != nil {
		if err := sp.Rollback(ctx); err != nil {
			return errors.Join(cause, err)
		}
		return cause
	}
	return sp.Commit(ctx)
}

// Headers turns a parked event's metadata back into its message headers (what natsbus.Decode
// reads): the inverse of the parking lot's metadata column.
func (e ParkedEvent) Headers() nats.Header {
	h := nats.Header{}
	for k, v := range e.Metadata {
		h.Set(k, v)
	}
	return h
}

func resolveAs(ctx context.Context, tx pgx.Tx, id int64, resolution string) error {
	_, err := tx.Exec(ctx, `UPDATE projector.parked SET resolved_at = now(), resolution = $2, requested = NULL
		WHERE id = $1 AND resolved_at IS NULL`, id, resolution)
	return err
}

// failedAgain records a new failure of a parked event (asked for or not).
func failedAgain(ctx context.Context, tx pgx.Tx, e ParkedEvent, cause error) error {
	_, err := tx.Exec(ctx, `UPDATE projector.parked SET error = $2, attempts = attempts + 1, requested = NULL
		WHERE id = $1 AND resolved_at IS NULL`, e.ID, cause.Error())
	return err
}
