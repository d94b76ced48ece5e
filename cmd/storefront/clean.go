package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/devenv"
)

// cleanData wipes what `storefront run` kept: the data directory, and the database it made on
// the machine's PostgreSQL server, if it made one there.
func cleanData(ctx context.Context, log *slog.Logger, data string) error {
	if _, err := os.Stat(filepath.Join(data, "postgres", "postmaster.pid")); err == nil {
		return errors.New("the private PostgreSQL cluster under the data directory is running: stop `make run` first")
	}
	if _, err := os.Stat(filepath.Join(data, "local-database")); err == nil && devenv.PostgresAnswers(ctx, devenv.LocalPostgresURL) {
		conn, err := pgx.Connect(ctx, devenv.LocalPostgresURL)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS storefront WITH (FORCE)`); err != nil {
			return fmt.Errorf("drop database storefront: %w", err)
		}
		log.Info("dropped database storefront on the local server")
	}
	if err := os.RemoveAll(data); err != nil {
		return err
	}
	log.Info("removed", "dir", data)
	return nil
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
