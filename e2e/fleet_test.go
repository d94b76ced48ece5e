package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/devenv"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

// buildOnce builds the fleet's binaries with the Makefile once per test process.
var buildOnce = sync.OnceValues(func() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(wd)
	bin, err := os.MkdirTemp("", "sf-e2e-bin-")
	if err != nil {
		return "", err
	}
	out, err := exec.Command("make", "--no-print-directory", "-C", root, "build", "BIN="+bin).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("make build: %v\n%s", err, out)
	}
	mock := filepath.Join(root, ".bin", "stripe-mock")
	if _, err := os.Stat(mock); err != nil {
		return "", fmt.Errorf("stripe-mock is not built (run `make tools`; `make test` does): %w", err)
	}
	return bin, os.Symlink(mock, filepath.Join(bin, "stripe-mock"))
})

// fleet is a running `storefront run` with its own database and data directory.
type fleet struct {
	base    string     // http://127.0.0.1:port
	db      *pgtest.DB // the fleet's database
	natsURL string     // the fleet's (embedded) JetStream
	mailDir string
	logs    *pidLog
	cmd     *exec.Cmd
	exited  chan error
	stopped bool
}

// stop sends the launcher SIGTERM, as Ctrl-C would, and returns how it exited.
func (f *fleet) stop() error {
	if f.stopped {
		return nil
	}
	f.stopped = true
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-f.exited:
		return err
	case <-time.After(60 * time.Second):
		_ = f.cmd.Process.Kill()
		return fmt.Errorf("launcher still running 60s after SIGTERM")
	}
}

// startFleet starts the fleet as `make run` does, with extra environment, and stops it when
// the test ends. Tests share nothing with `make run`'s data.
func startFleet(t *testing.T, env ...string) *fleet {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.New(t)
	port, err := devenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.MkdirTemp("", "sf-e2e-data-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(data, 0o755)
	t.Cleanup(func() { os.RemoveAll(data) })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(filepath.Join(bin, "storefront"), "run", "-bin", bin, "-data", data)
	cmd.Env = append(os.Environ(), "STOREFRONT_HTTP_ADDR="+addr, "STOREFRONT_DATABASE_URL="+db.URL,
		"STOREFRONT_BCRYPT_COST=4", "STOREFRONT_LOG_LEVEL=warn",
		// Tests start from an empty catalog; TestDemoCatalog turns the demo data back on.
		"STOREFRONT_DEMO_DATA=false",
		// Fleets share the machine's Redis; their keys must not meet.
		fmt.Sprintf("STOREFRONT_REDIS_PREFIX=e2e%d:", port))
	cmd.Env = append(cmd.Env, env...)
	f := &fleet{base: "http://" + addr, db: db, mailDir: filepath.Join(data, "mail"), logs: &pidLog{}, cmd: cmd, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = f.logs, f.logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { f.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if err := f.stop(); err != nil {
			t.Errorf("stopping the fleet: %v", err)
		}
		if t.Failed() {
			t.Logf("fleet logs:\n%s", f.logs)
		}
	})
	if err := waitReady(f.base+"/readyz", 90*time.Second, f.exited); err != nil {
		t.Fatalf("fleet not ready: %v\nlogs:\n%s", err, f.logs)
	}
	for f.natsURL == "" {
		if m := natsLine.FindStringSubmatch(f.logs.String()); m != nil {
			f.natsURL = m[1]
		} else if time.Since(start) > 100*time.Second {
			t.Fatalf("the launcher printed no NATS URL:\n%s", f.logs)
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return f
}

var natsLine = regexp.MustCompile(`(?m)^\s+NATS\s+(nats://\S+)`)

// response is a decoded HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object (%d): %s", r.status, r.body)
	}
	return m
}

// do sends a request with an optional JSON body (a string is sent as it is) and bearer token.
func (f *fleet) do(t *testing.T, method, path string, body any, token string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}
