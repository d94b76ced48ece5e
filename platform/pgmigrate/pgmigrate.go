// Package pgmigrate applies versioned SQL migrations embedded in a binary, through goose,
// under a PostgreSQL advisory lock so that replicas starting together migrate once.
//
// Every owner of tables (the event store, each service, each projection) has its own Set with
// its own version table, so their migrations evolve independently in one database.
package pgmigrate

import (
	"context"
	"database/sql"
	"fmt"
	"hash/crc64"
	"io/fs"
	"log/slog"
	"regexp"

	"github.com/jackc/pgx/v5"
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
	FS   fs.FS
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// Apply brings the database at url up to the newest version of every set, in order.
func Apply(ctx context.Context, log *slog.Logger, url string, sets ...Set) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	for _, set := range sets {
		if err := applySet(ctx, log, db, set); err != nil {
			return err
		}
	}
	return nil
}

func applySet(ctx context.Context, log *slog.Logger, db *sql.DB, set Set) error {
	if !validName.MatchString(set.Name) {
		return fmt.Errorf("migration set name %q: want lower-case letters, digits and underscores", set.Name)
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(lockID(set.Name)),
		lock.WithLockTimeout(1, 300), // poll every second, for up to five minutes
	)
	if err != nil {
		return fmt.Errorf("migrations %s: %w", set.Name, err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, set.FS,
		goose.WithSessionLocker(locker),
		goose.WithTableName(set.Name+"_schema_version"),
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
		log.Info("migration applied", "set", set.Name, "version", r.Source.Version, "took", r.Duration)
	}
	return nil
}

// lockID derives a stable advisory lock key per set, so unrelated sets never wait on each other.
func lockID(name string) int64 {
	return int64(crc64.Checksum([]byte("storefront-migrations:"+name), crc64.MakeTable(crc64.ECMA)))
}
