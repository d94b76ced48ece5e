package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/storefront/storefront/bench/internal/benchenv"
	"github.com/storefront/storefront/bench/internal/pgbench"
	"github.com/storefront/storefront/bench/internal/workload"
	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/relay"
)

// The event store schemas of the run, one per figure that writes, and the schema of the
// raw baselines' tables.
const (
	schemaSingle  = "single"   // single-event appends
	schemaBatch   = "batch10"  // 10-event appends
	schemaSeed    = "seed"     // the import: read and rebuilt afterwards
	schemaSeedBig = "seed_big" // the import by one append per stream (a diagnosis)
	schemaLive    = "live"     // the relay's load, consumed by the live projection
	schemaRaw     = "raw"      // pgbench and COPY tables, shaped like the events table
)

// env is what the run creates and tearDown removes: a database with every schema migrated,
// a pool on it, and a JetStream connection with the name of the run's context.
type env struct {
	db      *benchenv.Database
	pool    *pgxpool.Pool
	nats    *benchenv.NATS
	pgbench string
	// context is the bounded context the relay publishes as: its JetStream stream is
	// natsbus.StreamName(context).
	context string
	stores  map[string]*postgres.Store
}

// setUp creates the database and connects to the servers. On failure it removes what it
// created.
func setUp(ctx context.Context, log *slog.Logger) (_ *env, err error) {
	bin, err := pgbench.Find()
	if err != nil {
		return nil, err
	}
	adminURL, err := benchenv.PostgresAdminURL(ctx)
	if err != nil {
		return nil, err
	}
	e := &env{pgbench: bin, context: "bench" + benchenv.RandomHex(4), stores: map[string]*postgres.Store{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.tearDown(context.WithoutCancel(ctx)))
		}
	}()
	if e.db, err = benchenv.CreateDatabase(ctx, adminURL, "sf_bench"); err != nil {
		return nil, err
	}
	sets := []pgmigrate.Set{projector.Migrations(), relay.Migrations(schemaLive)}
	for _, s := range []string{schemaSingle, schemaBatch, schemaSeed, schemaSeedBig, schemaLive} {
		sets = append(sets, postgres.Migrations(s))
	}
	if err = pgmigrate.Apply(ctx, log, e.db.URL, sets...); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if e.pool, err = postgres.NewPool(ctx, postgres.PoolConfig{URL: e.db.URL, MaxConns: 32}); err != nil {
		return nil, err
	}
	for _, s := range []string{schemaSingle, schemaBatch, schemaSeed, schemaSeedBig, schemaLive} {
		if e.stores[s], err = postgres.New(e.pool, s); err != nil {
			return nil, err
		}
	}
	for _, t := range []string{"events_single", "events_batch10", "events_copy"} {
		if err = workload.CreateRawTable(ctx, e.pool, schemaRaw, t, pgx.Identifier{schemaSeed, "events"}); err != nil {
			return nil, err
		}
	}
	if e.nats, err = benchenv.ConnectNATS(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// tearDown deletes the run's JetStream stream and drops its database.
func (e *env) tearDown(ctx context.Context) error {
	var errs []error
	if e.nats != nil {
		err := e.nats.JS.DeleteStream(ctx, natsbus.StreamName(e.context))
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			errs = append(errs, fmt.Errorf("delete stream: %w", err))
		}
		e.nats.Close()
	}
	if e.pool != nil {
		e.pool.Close()
	}
	if e.db != nil {
		if err := e.db.Drop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkpoint flushes dirty buffers before a timed write phase, so that no phase pays for the
// writes of the one before.
func (e *env) checkpoint(ctx context.Context) error {
	if _, err := e.pool.Exec(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
