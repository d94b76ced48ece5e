package testkit

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/storefront/storefront/platform/devenv"
)

// Environment variables that point tests at servers.
const (
	DatabaseURLEnv = "STOREFRONT_TEST_DATABASE_URL"
	NATSURLEnv     = "STOREFRONT_TEST_NATS_URL"
)

// privateClusterPort is fixed so that the test binaries of one `make test`, which run in
// parallel processes, find and share one private cluster.
const privateClusterPort = 55432

// postgresOnce caches the server for the whole test process: finding it costs connections,
// and every test of a package uses the same one.
var postgresOnce = sync.OnceValues(findPostgres)

// PostgresAdminURL returns the URL of a database on a test server whose user may create
// databases, or an error that says what to start.
func PostgresAdminURL() (string, error) { return postgresOnce() }

func findPostgres() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if url, ok := os.LookupEnv(DatabaseURLEnv); ok && url != "" {
		if !devenv.PostgresAnswers(ctx, url) {
			return "", fmt.Errorf("%s is set but no PostgreSQL answers there", DatabaseURLEnv)
		}
		return url, nil
	}
	if devenv.PostgresAnswers(ctx, devenv.LocalPostgresURL) {
		return devenv.LocalPostgresURL, nil
	}
	if url, err := postgresContainer(ctx); err == nil {
		return url, nil
	}
	url, err := sharedPrivateCluster(ctx)
	if err != nil {
		return "", fmt.Errorf("no PostgreSQL for tests: set %s, start the local server "+
			"(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), "+
			"or install PostgreSQL's binaries for a private cluster: %w", DatabaseURLEnv, err)
	}
	return url, nil
}

// sharedPrivateCluster starts (once per machine, under a file lock) a cluster under the
// temporary directory that every test process shares; it is left running for the next run.
func sharedPrivateCluster(ctx context.Context) (string, error) {
	base := filepath.Join(os.TempDir(), "storefront-test-postgres")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(base, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", privateClusterPort)
	if devenv.PostgresAnswers(ctx, url) {
		return url, nil
	}
	c, err := devenv.StartPrivateCluster(ctx, slog.Default(), filepath.Join(base, "data"), privateClusterPort)
	if err != nil {
		return "", err
	}
	return c.URL(), nil
}

// NATSURL returns the URL of a JetStream server for tests, starting an embedded one (stopped
// when the test ends) when no other answers.
func NATSURL(tb interface {
	Cleanup(func())
	TempDir() string
}) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if url, ok := os.LookupEnv(NATSURLEnv); ok && url != "" {
		if !devenv.NATSAnswers(ctx, url) {
			return "", fmt.Errorf("%s is set but no NATS server with JetStream answers there", NATSURLEnv)
		}
		return url, nil
	}
	if devenv.NATSAnswers(ctx, devenv.LocalNATSURL) {
		return devenv.LocalNATSURL, nil
	}
	if url, err := natsContainer(ctx); err == nil {
		return url, nil
	}
	srv, err := devenv.StartEmbeddedNATS(tb.TempDir(), 0)
	if err != nil {
		return "", fmt.Errorf("no NATS for tests: set %s or start nats-server -js on 4222: %w", NATSURLEnv, err)
	}
	tb.Cleanup(srv.Shutdown)
	return srv.URL(), nil
}
