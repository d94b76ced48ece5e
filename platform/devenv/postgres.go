package devenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// LocalPostgresURL is the server the machine is expected to run, with trust authentication.
const LocalPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresAnswers reports whether a server at url accepts a connection and a query within
// the context's deadline (or two seconds).
func PostgresAnswers(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx) == nil
}

// EnsureDatabase creates database name on the server at adminURL unless it exists, and returns
// the URL of that database. Concurrent callers are safe: a lost race is not an error.
func EnsureDatabase(ctx context.Context, adminURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look up database %s: %w", name, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil && !isDuplicateDatabase(err) {
			return "", fmt.Errorf("create database %s: %w", name, err)
		}
	}
	return WithDatabase(adminURL, name)
}

// WithDatabase returns url with its database name replaced.
func WithDatabase(rawURL, name string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func isDuplicateDatabase(err error) bool {
	return strings.Contains(err.Error(), "SQLSTATE 42P04") || strings.Contains(err.Error(), "SQLSTATE 23505")
}

// PrivateCluster is a PostgreSQL cluster that this process initialised and started under a
// directory of its own, from the installed server binaries.
type PrivateCluster struct {
	Dir  string
	Port int
	bin  string
	cred *syscall.Credential
}

// ErrNoPostgresBinaries means no PostgreSQL server binaries were found on this machine.
var ErrNoPostgresBinaries = errors.New("no PostgreSQL server binaries found (install them, e.g. `apt-get install postgresql`, or set STOREFRONT_DATABASE_URL)")

// FindPostgresBinDir returns the directory holding initdb, pg_ctl and postgres: from PATH,
// else the newest /usr/lib/postgresql/*/bin.
func FindPostgresBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoPostgresBinaries
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// StartPrivateCluster initialises dir as a cluster (unless it already is one) and starts it on
// port, listening on 127.0.0.1 only, with trust authentication for the local user postgres.
// PostgreSQL refuses to run as root, so as root the cluster belongs to the "postgres" user.
// Data in dir survives Stop; a later Start reuses it.
func StartPrivateCluster(ctx context.Context, log *slog.Logger, dir string, port int) (*PrivateCluster, error) {
	bin, err := FindPostgresBinDir()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &PrivateCluster{Dir: dir, Port: port, bin: bin}
	if os.Geteuid() == 0 {
		if c.cred, err = credentialOf("postgres"); err != nil {
			return nil, fmt.Errorf("running as root, and PostgreSQL must run as another user: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if c.cred != nil {
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, fmt.Errorf("chown %s: %w", dir, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		log.Info("initialising a private PostgreSQL cluster", "dir", dir)
		if err := c.run(ctx, "initdb", "-D", dir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"); err != nil {
			return nil, err
		}
	}
	logFile := filepath.Join(dir, "server.log")
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", port)
	if err := c.run(ctx, "pg_ctl", "-D", dir, "-l", logFile, "-o", opts, "-w", "-t", "60", "start"); err != nil {
		return nil, fmt.Errorf("%w (see %s)", err, logFile)
	}
	log.Info("private PostgreSQL cluster started", "dir", dir, "port", port)
	return c, nil
}

// URL is the admin URL of the cluster's postgres database.
func (c *PrivateCluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
}

// Stop shuts the cluster down (fast mode: clients are disconnected, data is kept).
func (c *PrivateCluster) Stop(ctx context.Context) error {
	return c.run(ctx, "pg_ctl", "-D", c.Dir, "-m", "fast", "-w", "stop")
}

func (c *PrivateCluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = os.TempDir()
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func credentialOf(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// Ports handed out for a process to bind later come from below Linux's ephemeral range
// (32768–60999 by default): a port of that range is free when picked, but the kernel may give
// it to an outgoing connection's local end before the process binds it, and a fleet makes
// hundreds of connections while it starts.
const (
	freePortLow  = 20000
	freePortHigh = 32000
)

// Ports hands out free ports, never the same one twice: a launcher that picks all its
// children's ports before they bind would otherwise, now and then, give two of them the same
// free port (with two dozen picks from 12,000 ports, a few percent of fleets). Safe for
// concurrent use; the zero value is ready.
type Ports struct {
	mu    sync.Mutex
	given map[int]bool
}

// Free returns a TCP port on 127.0.0.1 that is free now and was not returned before.
func (p *Ports) Free() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range 100 {
		port, err := FreePort()
		if err != nil {
			return 0, err
		}
		if !p.given[port] {
			if p.given == nil {
				p.given = map[int]bool{}
			}
			p.given[port] = true
			return port, nil
		}
	}
	return 0, errors.New("devenv: no free port that was not handed out already")
}

// FreePort returns a TCP port on 127.0.0.1 that is free now, for a process to bind soon.
// A caller that picks several before they are bound uses Ports.
func FreePort() (int, error) {
	for range 200 {
		port := freePortLow + rand.IntN(freePortHigh-freePortLow)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // taken: another one
		}
		_ = l.Close()
		return port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
