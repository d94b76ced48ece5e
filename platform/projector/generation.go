package projector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// querier runs a query: a pool or a pgx.Tx.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// streamsTable is the idempotency record of a generation: one row per stream, its last
// applied version and the parked event that blocks it, if any.
const streamsTable = "projector_streams"

var (
	validName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)
	// generationSuffix would make a projection's read schema look like another one's
	// generation schema.
	generationSuffix = regexp.MustCompile(`_g[0-9]+$`)
)

// generationSchema names the schema of generation gen of a projection.
func generationSchema(projection string, gen int) string {
	return projection + "_g" + strconv.Itoa(gen)
}

func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

func ddlHash(ddl string) string {
	h := sha256.Sum256([]byte(ddl))
	return hex.EncodeToString(h[:8])
}

// inSchema runs sql in tx with search_path set to schema, then restores the search_path.
func inSchema(ctx context.Context, tx pgx.Tx, schema, sql string) error {
	var saved string
	if err := tx.QueryRow(ctx, `SELECT current_setting('search_path')`).Scan(&saved); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, ident(schema)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, sql); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, saved)
	return err
}

// createIndexes creates the deferred indexes of an IndexedProjection in schema.
func createIndexes(ctx context.Context, pool *pgxpool.Pool, p Projection, schema string) error {
	ip, ok := p.(IndexedProjection)
	if !ok {
		return nil
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return inSchema(ctx, tx, schema, ip.Indexes(schema)) })
	if err != nil {
		return fmt.Errorf("indexes of projection %s in %s: %w", p.Name(), schema, err)
	}
	return nil
}

// definition is what a generation is built from: the DDL, the deferred indexes and the
// contexts whose events fill it.
func definition(p Projection) string {
	const probe = "projector_ddl_schema"
	d := p.DDL(probe)
	if ip, ok := p.(IndexedProjection); ok {
		d += "\n-- indexes\n" + ip.Indexes(probe)
	}
	return d + "\n-- contexts\n" + strings.Join(contextsOf(p), ",")
}

// createGeneration creates the schema of a new generation, its idempotency record and the
// projection's tables, in tx.
func createGeneration(ctx context.Context, tx pgx.Tx, p Projection, schema string) error {
	stmts := []string{
		"DROP SCHEMA IF EXISTS " + ident(schema) + " CASCADE",
		"CREATE SCHEMA " + ident(schema),
		"CREATE TABLE " + ident(schema, streamsTable) + ` (
			stream_id  text PRIMARY KEY,
			version    bigint NOT NULL DEFAULT 0,
			blocked_by bigint
		) WITH (fillfactor = 50)`, // room on each page for HOT updates of version

	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("create generation %s: %w", schema, err)
		}
	}
	if err := inSchema(ctx, tx, schema, p.DDL(schema)); err != nil {
		return fmt.Errorf("create generation %s: DDL of projection %s: %w", schema, p.Name(), err)
	}
	return nil
}

// switchViews points the read schema's views at the tables of generation schema, in tx.
// A view whose columns are unchanged is replaced in place (CREATE OR REPLACE VIEW keeps its
// identity); one whose columns changed is dropped and created again. Both take the view's
// ACCESS EXCLUSIVE lock until tx commits: a concurrent query waits for the commit and then
// reads the new generation.
func switchViews(ctx context.Context, tx pgx.Tx, readSchema, schema string) error {
	if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident(readSchema)); err != nil {
		return fmt.Errorf("switch views of %s: %w", readSchema, err)
	}
	rows, err := tx.Query(ctx, `
		SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition AND c.relname <> $2
		ORDER BY c.relname`, schema, streamsTable)
	if err != nil {
		return fmt.Errorf("switch views of %s: %w", readSchema, err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("switch views of %s: %w", readSchema, err)
	}
	rows, err = tx.Query(ctx, `SELECT viewname FROM pg_views WHERE schemaname = $1`, readSchema)
	if err != nil {
		return fmt.Errorf("switch views of %s: %w", readSchema, err)
	}
	existing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("switch views of %s: %w", readSchema, err)
	}
	keep := map[string]bool{}
	for _, t := range tables {
		keep[t] = true
		body := " AS SELECT * FROM " + ident(schema, t)
		if err := replaceView(ctx, tx, ident(readSchema, t), body); err != nil {
			return fmt.Errorf("switch views of %s: %w", readSchema, err)
		}
	}
	for _, v := range existing {
		if !keep[v] {
			if _, err := tx.Exec(ctx, "DROP VIEW "+ident(readSchema, v)); err != nil {
				return fmt.Errorf("switch views of %s: %w", readSchema, err)
			}
		}
	}
	return nil
}

func replaceView(ctx context.Context, tx pgx.Tx, view, body string) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	if _, err := sp.Exec(ctx, "CREATE OR REPLACE VIEW "+view+body); err == nil {
		return sp.Commit(ctx)
	}
	if err := sp.Rollback(ctx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DROP VIEW IF EXISTS "+view); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "CREATE VIEW "+view+body)
	return err
}

// staleGenerations lists the generation schemas of a projection other than keep.
func staleGenerations(ctx context.Context, q querier, projection string, keep ...int) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname ~ ('^' || $1 || '_g[0-9]+$')`, projection)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	for _, g := range keep {
		if g > 0 {
			skip[generationSchema(projection, g)] = true
		}
	}
	var out []string
	for _, n := range names {
		if !skip[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// execer runs a statement: a pool (each statement its own transaction) or a pgx.Tx.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// dropSchemas drops generation schemas, each in its own statement.
func dropSchemas(ctx context.Context, db execer, schemas []string) error {
	var errs []error
	for _, s := range schemas {
		if _, err := db.Exec(ctx, "DROP SCHEMA IF EXISTS "+ident(s)+" CASCADE"); err != nil {
			errs = append(errs, fmt.Errorf("drop generation %s: %w", s, err))
		}
	}
	return errors.Join(errs...)
}
