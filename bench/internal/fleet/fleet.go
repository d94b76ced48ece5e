// Package fleet runs the whole storefront fleet for a benchmark program, the way `make run`
// does and the e2e tests do: binaries built by the Makefile into a temporary directory, the
// launcher on a free port with its own database, data directory and Redis key prefix, all
// removed again by Stop.
package fleet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/bench/internal/proccpu"
	"github.com/storefront/storefront/platform/devenv"
	"github.com/storefront/storefront/platform/testkit"
)

// Options tune a fleet.
type Options struct {
	// Env is added to the launcher's environment (after the fleet's own variables, so it
	// may override them): rate limits, bcrypt cost, log level.
	Env []string
	// ReadyTimeout bounds the wait for /readyz; 0 means 2 minutes.
	ReadyTimeout time.Duration
}

// Fleet is a running `storefront run`. Stop it to free what it holds.
type Fleet struct {
	// BaseURL is the REST edge's address, http://127.0.0.1:<port>.
	BaseURL string
	// LogPath is the file that receives the fleet's output.
	LogPath string
	// DatabaseURL is the fleet's own database (dropped by Stop).
	DatabaseURL string
	// Bin is the directory holding the fleet's binaries (removed by Stop).
	Bin string

	cmd      *exec.Cmd
	exited   chan error
	adminURL string
	dbName   string
	prefix   string
	dirs     []string
}

// Start builds the fleet's binaries from the repository at root and starts the launcher.
// The fleet uses the machine's PostgreSQL (as the tests find it) with a database of its own,
// the local Redis when it answers, and an embedded NATS. On error, whatever was started is
// stopped again.
func Start(ctx context.Context, root string, opts Options) (_ *Fleet, err error) {
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 2 * time.Minute
	}
	f := &Fleet{exited: make(chan error, 1)}
	defer func() {
		if err != nil {
			_ = f.Stop(context.Background())
		}
	}()

	bin, err := f.tempDir("sf-bench-bin-")
	if err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, "make", "--no-print-directory", "-C", root, "build", "BIN="+bin).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("make build: %w\n%s", err, out)
	}
	mock := filepath.Join(root, ".bin", "stripe-mock")
	if _, err := os.Stat(mock); err != nil {
		return nil, fmt.Errorf("stripe-mock is not built (run `make tools`): %w", err)
	}
	if err := os.Symlink(mock, filepath.Join(bin, "stripe-mock")); err != nil {
		return nil, err
	}
	data, err := f.tempDir("sf-bench-data-")
	if err != nil {
		return nil, err
	}
	// 0755: a private PostgreSQL cluster below it may run as another user.
	if err := os.Chmod(data, 0o755); err != nil {
		return nil, err
	}

	dbURL, err := f.createDatabase(ctx)
	if err != nil {
		return nil, err
	}
	f.DatabaseURL, f.Bin = dbURL, bin
	port, err := devenv.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	f.BaseURL = "http://" + addr
	// Fleets share the machine's Redis; their keys must not meet.
	f.prefix = fmt.Sprintf("bench-fleet%d:", port)

	f.LogPath = filepath.Join(data, "fleet.log")
	logFile, err := os.Create(f.LogPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	f.cmd = exec.Command(filepath.Join(bin, "storefront"), "run", "-bin", bin, "-data", data)
	f.cmd.Env = append(os.Environ(), "STOREFRONT_HTTP_ADDR="+addr, "STOREFRONT_DATABASE_URL="+dbURL,
		"STOREFRONT_REDIS_PREFIX="+f.prefix)
	f.cmd.Env = append(f.cmd.Env, opts.Env...)
	f.cmd.Stdout, f.cmd.Stderr = logFile, logFile
	// Should this program die without stopping the launcher, the kernel stops it (and it
	// stops its children the same way).
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the launcher: %w", err)
	}
	go func() { f.exited <- f.cmd.Wait() }()
	if err := f.waitReady(ctx, opts.ReadyTimeout); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, f.LogTail(4096))
	}
	return f, nil
}

func (f *Fleet) tempDir(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	f.dirs = append(f.dirs, dir)
	return dir, nil
}

func (f *Fleet) createDatabase(ctx context.Context) (string, error) {
	admin, err := testkit.PostgresAdminURL()
	if err != nil {
		return "", err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sf_bench_fleet_" + hex.EncodeToString(b)
	if err := execSQL(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	f.adminURL, f.dbName = admin, name
	return devenv.WithDatabase(admin, name)
}

func execSQL(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func (f *Fleet) waitReady(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get(f.BaseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("fleet not ready at %s after %s", f.BaseURL, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-f.exited:
			f.exited <- err
			return fmt.Errorf("the launcher exited while starting: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// PID is the launcher's process id; the fleet's processes are its descendants.
func (f *Fleet) PID() int {
	if f.cmd == nil || f.cmd.Process == nil {
		return 0
	}
	return f.cmd.Process.Pid
}

// ProcessEnv returns the environment of the fleet's running process whose program name
// (/proc/<pid>/comm) is name, e.g. "catalog", as the launcher gave it: the addresses it picked.
// Linux only.
func (f *Fleet) ProcessEnv(name string) ([]string, error) {
	pid, err := f.descendant(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		return nil, fmt.Errorf("fleet: environment of %s: %w", name, err)
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), nil
}

// Getenv returns the value of variable in the environment of the fleet's process name.
func (f *Fleet) Getenv(name, variable string) (string, error) {
	env, err := f.ProcessEnv(name)
	if err != nil {
		return "", err
	}
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == variable {
			v = val
		}
	}
	if v == "" {
		return "", fmt.Errorf("fleet: %s has no %s", name, variable)
	}
	return v, nil
}

// descendant finds the launcher's descendant process named name.
func (f *Fleet) descendant(name string) (int, error) {
	if pid, ok := proccpu.Take().Find(name, f.PID()); ok {
		return pid, nil
	}
	return 0, fmt.Errorf("fleet: no running process %q under the launcher (pid %d)", name, f.PID())
}

// LogTail returns up to the last n bytes of the fleet's output.
func (f *Fleet) LogTail(n int) string {
	b, err := os.ReadFile(f.LogPath)
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// Stop ends the launcher with SIGTERM (it stops the fleet in order), then drops the
// database, deletes the fleet's Redis keys and removes the temporary directories. It returns
// the first failure but always tries every step.
func (f *Fleet) Stop(ctx context.Context) error {
	var errs []error
	if f.cmd != nil && f.cmd.Process != nil {
		_ = f.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-f.exited:
			f.exited <- err
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				errs = append(errs, fmt.Errorf("launcher: %w", err))
			}
		case <-time.After(90 * time.Second):
			_ = f.cmd.Process.Kill()
			errs = append(errs, errors.New("the launcher did not stop within 90s; killed it"))
		}
		f.cmd = nil
	}
	if f.dbName != "" {
		if err := execSQL(ctx, f.adminURL, "DROP DATABASE IF EXISTS "+pgx.Identifier{f.dbName}.Sanitize()+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("drop database %s: %w", f.dbName, err))
		}
		f.dbName = ""
	}
	if f.prefix != "" {
		if err := deleteKeys(ctx, f.prefix); err != nil {
			errs = append(errs, fmt.Errorf("delete Redis keys %s*: %w", f.prefix, err))
		}
		f.prefix = ""
	}
	for _, d := range f.dirs {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err)
		}
	}
	f.dirs = nil
	return errors.Join(errs...)
}

// deleteKeys removes the keys under prefix from the Redis the launcher picked:
// STOREFRONT_REDIS_URL, else the local one if it answers.
func deleteKeys(ctx context.Context, prefix string) error {
	url := os.Getenv("STOREFRONT_REDIS_URL")
	if url == "" {
		url = devenv.LocalRedisURL
	}
	if !devenv.RedisAnswers(ctx, url) {
		return nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	return rdb.Unlink(ctx, keys...).Err()
}

// WorkspaceRoot is the nearest directory at or above the working directory that holds
// go.work: `make bench` runs the benchmarks from there.
func WorkspaceRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work at or above the working directory: run from the repository")
		}
		dir = parent
	}
}
