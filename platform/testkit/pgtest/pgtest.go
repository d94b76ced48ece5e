// Package pgtest gives each test its own PostgreSQL database, created from a template that
// already holds the migrations the test asks for, and dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/devenv"
	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/testkit"
)

// DB is a test's private database.
type DB struct {
	Name string
	URL  string
	Pool *pgxpool.Pool
}

// New creates a database for this test with every migration set applied, and drops it (and
// closes its pool) when the test ends. A missing server fails the test with what to start.
func New(tb testing.TB, sets ...pgmigrate.Set) *DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	adminURL, err := testkit.PostgresAdminURL()
	if err != nil {
		tb.Fatal(err)
	}
	tpl, err := template(ctx, adminURL, sets)
	if err != nil {
		tb.Fatalf("pgtest: template database: %v", err)
	}
	sweepOnce.Do(func() { sweep(ctx, tb, adminURL) })
	// The creation time in the name lets a later run drop what a killed run left behind.
	name := fmt.Sprintf("sf_test_%d_%s", time.Now().Unix(), randomHex(6))
	if err := createFromTemplate(ctx, adminURL, name, tpl); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	url, err := devenv.WithDatabase(adminURL, name)
	if err != nil {
		tb.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	tb.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := exec(ctx, adminURL, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return &DB{Name: name, URL: url, Pool: pool}
}

// staleAfter is when a test database is surely abandoned: no test runs that long.
const staleAfter = 6 * time.Hour

// sweepOnce runs sweep once per test process.
var sweepOnce sync.Once

// sweep drops the test databases that test processes killed before their clean-up left
// behind (and those named before names carried their creation time).
func sweep(ctx context.Context, tb testing.TB, adminURL string) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'sf\_test\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		parts := strings.Split(name, "_")
		if len(parts) == 4 {
			if sec, err := strconv.ParseInt(parts[2], 10, 64); err == nil && time.Since(time.Unix(sec, 0)) < staleAfter {
				continue
			}
		}
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Logf("pgtest: could not drop stale database %s: %v", name, err)
		}
	}
}

// template returns the name of a database holding exactly these migrations, building it once
// per distinct content under an advisory lock, so parallel test processes share it.
func template(ctx context.Context, adminURL string, sets []pgmigrate.Set) (string, error) {
	fp, err := fingerprint(sets)
	if err != nil {
		return "", err
	}
	name := "sf_tpl_" + fp
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1))`, name); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, name)

	// A template is complete once it carries the comment "ready"; a half-built one (a test
	// process killed mid-migration) is rebuilt.
	var comment *string
	err = conn.QueryRow(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, name).Scan(&comment)
	switch {
	case err == nil && comment != nil && *comment == "ready":
		return name, nil
	case err == nil:
		if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return "", err
		}
	case err != pgx.ErrNoRows:
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	url, err := devenv.WithDatabase(adminURL, name)
	if err != nil {
		return "", err
	}
	if err := pgmigrate.Apply(ctx, slog.New(slog.DiscardHandler), url, sets...); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "COMMENT ON DATABASE "+pgx.Identifier{name}.Sanitize()+" IS 'ready'"); err != nil {
		return "", err
	}
	return name, nil
}

func createFromTemplate(ctx context.Context, adminURL, name, tpl string) error {
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE " + pgx.Identifier{tpl}.Sanitize()
	var err error
	// CREATE DATABASE fails while another session is connected to the template; the only such
	// sessions are brief (another process checking it), so retry for a while.
	for range 50 {
		if err = exec(ctx, adminURL, sql); err == nil || !strings.Contains(err.Error(), "is being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("create database %s from %s: %w", name, tpl, err)
	}
	return nil
}

// fingerprint hashes the names, schemas and file contents of the sets, so a changed migration
// builds a new template.
func fingerprint(sets []pgmigrate.Set) (string, error) {
	h := sha256.New()
	for _, set := range sets {
		fmt.Fprintf(h, "set %s\n", set.Name)
		if set.Schema != "" {
			fmt.Fprintf(h, "schema %s\n", set.Schema)
		}
		err := fs.WalkDir(set.FS, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(set.FS, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "file %s %d\n", path, len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("read migrations of %s: %w", set.Name, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

func exec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
