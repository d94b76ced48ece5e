// Package pgmigrate applies versioned SQL migrations embedded in a binary, through goose,
// under a PostgreSQL advisory lock so that replicas starting together migrate once.
//
// Every owner of tables (the event store, each service, each projection) has its own Set with
// its own version table, so their migrations evolve independently in one database. A Set may
// name a schema: its migrations then run inside it (the schema is created if missing and is
// the search_path while they run), so one set of files can serve several owners — the event
// store's tables in the schema of each service.
package pgmigrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/crc64"
	"io/fs"
	"log/slog"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Set is one owner's migrations: files NNNNN_description.sql at the root of FS, in goose's
// format (-- +goose Up / -- +goose Down).
type Set struct {
	// Name identifies the owner; it names the version table (<name>_schema_version) and
	// derives the advisory lock. Lower-case letters, digits and underscores.
	Name string
	// Schema, if set, is the PostgreSQL schema the migrations run in: it is created if
	// missing, it is the search_path of the migrating sessions, it holds the version table,
	// and it is part of the advisory lock, so sets of one Name in different schemas are
	// independent. Lower-case letters, digits and underscores. Empty means the database's
	// default search_path.
	Schema string
	FS     fs.FS
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// Apply brings the database at url up to the newest version of every set, in order.
func Apply(ctx context.Context, log *slog.Logger, url string, sets ...Set) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	for _, set := range sets {
		if err := applySet(ctx, log, cfg, set); err != nil {
			return err
		}
	}
	return nil
}

func applySet(ctx context.Context, log *slog.Logger, cfg *pgx.ConnConfig, set Set) error {
	if !validName.MatchString(set.Name) {
		return fmt.Errorf("migration set name %q: want lower-case letters, digits and underscores", set.Name)
	}
	table := set.Name + "_schema_version"
	if set.Schema != "" {
		if !validName.MatchString(set.Schema) {
			return fmt.Errorf("migration set %s: schema %q: want lower-case letters, digits and underscores", set.Name, set.Schema)
		}
		cfg = cfg.Copy()
		cfg.RuntimeParams["search_path"] = set.Schema
		table = set.Schema + "." + table
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	if set.Schema != "" {
		if err := createSchema(ctx, db, set.Schema); err != nil {
			return fmt.Errorf("migrations %s: %w", set.Name, err)
		}
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(lockID(set)),
		lock.WithLockTimeout(1, 300), // poll every second, for up to five minutes
	)
	if err != nil {
		return fmt.Errorf("migrations %s: %w", set.Name, err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, set.FS,
		goose.WithSessionLocker(locker),
		goose.WithTableName(table),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("migrations %s: %w", set.Name, err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrations %s: %w", set.Name, err)
	}
	for _, r := range results {
		log.Info("migration applied", "set", set.Name, "schema", set.Schema, "version", r.Source.Version, "took", r.Duration)
	}
	return nil
}

// uniqueViolation is PostgreSQL's SQLSTATE 23505.
const uniqueViolation = "23505"

// createSchema creates the schema unless it exists. Two replicas may race to create it; the
// loser's unique violation means the schema is there.
func createSchema(ctx context.Context, db *sql.DB, schema string) error {
	_, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == uniqueViolation {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	return nil
}

// lockID derives a stable advisory lock key per set (and schema), so unrelated sets never
// wait on each other.
func lockID(set Set) int64 {
	key := "storefront-migrations:" + set.Name
	if set.Schema != "" {
		key += "@" + set.Schema
	}
	return int64(crc64.Checksum([]byte(key), crc64.MakeTable(crc64.ECMA)))
}

// Embedded returns the set of an owner whose migration files are embedded under dir, the way
// every package keeps them (//go:embed migrations/*.sql). A wrong dir is a programming error
// found at start, so it panics.
func Embedded(name, schema string, files fs.FS, dir string) Set {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		panic(fmt.Sprintf("pgmigrate: migrations of %s under %q: %v", name, dir, err))
	}
	return Set{Name: name, Schema: schema, FS: sub}
}
