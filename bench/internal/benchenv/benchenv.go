// Package benchenv finds the servers a benchmark program measures, and gives it a private
// PostgreSQL database and JetStream server connection that it removes when it ends.
//
// Benchmarks start no server of their own unless none runs: PostgreSQL must answer (the
// local server, or STOREFRONT_BENCH_DATABASE_URL); NATS JetStream is the local server (or
// STOREFRONT_BENCH_NATS_URL) when it answers, else an embedded nats-server in a temporary
// directory that Close removes.
package benchenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/storefront/storefront/platform/devenv"
)

// Environment variables that point benchmarks at servers.
const (
	DatabaseURLEnv = "STOREFRONT_BENCH_DATABASE_URL"
	NATSURLEnv     = "STOREFRONT_BENCH_NATS_URL"
)

// PostgresAdminURL returns the URL of a database on the server to measure, whose user may
// create and drop databases, or an error that says what to start.
func PostgresAdminURL(ctx context.Context) (string, error) {
	if url := os.Getenv(DatabaseURLEnv); url != "" {
		if !devenv.PostgresAnswers(ctx, url) {
			return "", fmt.Errorf("benchenv: %s is set but no PostgreSQL answers there", DatabaseURLEnv)
		}
		return url, nil
	}
	if devenv.PostgresAnswers(ctx, devenv.LocalPostgresURL) {
		return devenv.LocalPostgresURL, nil
	}
	return "", fmt.Errorf("benchenv: no PostgreSQL at %s: start the local server or set %s", devenv.LocalPostgresURL, DatabaseURLEnv)
}

// Database is a database a benchmark created for itself.
type Database struct {
	Name     string
	URL      string
	adminURL string
}

// CreateDatabase creates a database named prefix_<random> on the server at adminURL.
func CreateDatabase(ctx context.Context, adminURL, prefix string) (*Database, error) {
	name := prefix + "_" + RandomHex(6)
	url, err := devenv.EnsureDatabase(ctx, adminURL, name)
	if err != nil {
		return nil, fmt.Errorf("benchenv: %w", err)
	}
	return &Database{Name: name, URL: url, adminURL: adminURL}, nil
}

// Drop drops the database, disconnecting whoever is still connected.
func (d *Database) Drop(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, d.adminURL)
	if err != nil {
		return fmt.Errorf("benchenv: drop %s: %w", d.Name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.Name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("benchenv: drop %s: %w", d.Name, err)
	}
	return nil
}

// NATS is a connection to the JetStream server benchmarks use.
type NATS struct {
	// URL is the server's client URL.
	URL string
	// Embedded reports whether the server runs inside this process (no server answered).
	Embedded bool
	Conn     *nats.Conn
	JS       jetstream.JetStream

	srv *devenv.EmbeddedNATS
	dir string
}

// ConnectNATS connects to STOREFRONT_BENCH_NATS_URL, else to the local server, else starts an
// embedded one. Close disconnects and stops what it started.
func ConnectNATS(ctx context.Context) (*NATS, error) {
	n := &NATS{URL: os.Getenv(NATSURLEnv)}
	switch {
	case n.URL != "":
		if !devenv.NATSAnswers(ctx, n.URL) {
			return nil, fmt.Errorf("benchenv: %s is set but no JetStream server answers there", NATSURLEnv)
		}
	case devenv.NATSAnswers(ctx, devenv.LocalNATSURL):
		n.URL = devenv.LocalNATSURL
	default:
		dir, err := os.MkdirTemp("", "storefront-bench-nats-")
		if err != nil {
			return nil, fmt.Errorf("benchenv: %w", err)
		}
		srv, err := devenv.StartEmbeddedNATS(dir, 0)
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("benchenv: %w", err)
		}
		n.URL, n.Embedded, n.srv, n.dir = srv.URL(), true, srv, dir
	}
	nc, err := nats.Connect(n.URL, nats.Name("storefront-bench"), nats.Timeout(5*time.Second))
	if err != nil {
		n.stop()
		return nil, fmt.Errorf("benchenv: connect to NATS at %s: %w", n.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		n.stop()
		return nil, fmt.Errorf("benchenv: jetstream client: %w", err)
	}
	n.Conn, n.JS = nc, js
	return n, nil
}

// Close disconnects, and stops and deletes an embedded server.
func (n *NATS) Close() {
	if n.Conn != nil {
		n.Conn.Close()
	}
	n.stop()
}

func (n *NATS) stop() {
	if n.srv != nil {
		n.srv.Shutdown()
		_ = os.RemoveAll(n.dir)
	}
}

// RandomHex returns 2n random lower-case hex digits, to make names no one else uses.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
