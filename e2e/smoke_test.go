package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/devenv"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

// repoRoot is where the Makefile is, two levels above this package's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// TestSmoke_MakeRunServesAndStopsCleanly builds the fleet with the Makefile's build target and
// starts it with the launcher, as `make run` does, then checks the edge and stops it with
// SIGTERM: every process it started must be gone.
func TestSmoke_MakeRunServesAndStopsCleanly(t *testing.T) {
	root := repoRoot(t)
	stripeMock := filepath.Join(root, ".bin", "stripe-mock")
	if _, err := os.Stat(stripeMock); err != nil {
		t.Fatalf("stripe-mock is not built (run `make tools`; `make test` does): %v", err)
	}
	bin := t.TempDir()
	build := exec.Command("make", "--no-print-directory", "-C", root, "build", "BIN="+bin)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	if err := os.Symlink(stripeMock, filepath.Join(bin, "stripe-mock")); err != nil {
		t.Fatal(err)
	}

	// The fleet gets a database of its own, so the test never touches `make run`'s data.
	db := pgtest.New(t)
	port, err := devenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	data := filepath.Join(os.TempDir(), fmt.Sprintf("sf-smoke-%d", port))
	t.Cleanup(func() { os.RemoveAll(data) })

	cmd := exec.Command(filepath.Join(bin, "storefront"), "run", "-bin", bin, "-data", data)
	cmd.Env = append(os.Environ(), "STOREFRONT_HTTP_ADDR="+addr, "STOREFRONT_DATABASE_URL="+db.URL)
	logs := &pidLog{}
	cmd.Stdout = logs
	cmd.Stderr = logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})

	base := "http://" + addr
	if err := waitReady(base+"/readyz", 90*time.Second, exited); err != nil {
		t.Fatalf("fleet not ready: %v\nlogs:\n%s", err, logs)
	}
	for !strings.Contains(logs.String(), "Storefront is running") {
		if time.Since(start) > 100*time.Second {
			t.Fatalf("the launcher did not print its banner:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("make run → /readyz 200 in %s (binaries prebuilt)", time.Since(start).Round(time.Millisecond))

	status, body := get(t, base+"/healthz")
	if status != 200 {
		t.Errorf("/healthz = %d %s", status, body)
	}
	status, body = get(t, base+"/api/v1/openapi.json")
	var doc struct {
		Swagger string         `json:"swagger"`
		Paths   map[string]any `json:"paths"`
	}
	if status != 200 || json.Unmarshal(body, &doc) != nil || doc.Swagger != "2.0" {
		t.Errorf("/api/v1/openapi.json = %d %.200s", status, body)
	}

	// Every service serves its metrics; identity's show the admin bootstrap's appends and
	// its relay at work.
	m := serviceMetrics.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("the banner names no identity metrics endpoint:\n%s", logs)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body := get(t, m[1])
		if status == 200 && strings.Contains(string(body), "storefront_es_events_appended_total") &&
			strings.Contains(string(body), "relay_events_published_total") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("identity metrics at %s lack appends or relay counts: %d\n%.3000s", m[1], status, body)
		}
		time.Sleep(200 * time.Millisecond)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("launcher exit after SIGTERM: %v\nlogs:\n%s", err, logs)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("launcher still running 60s after SIGTERM\nlogs:\n%s", logs)
	}
	pids := logs.pids()
	if len(pids) == 0 {
		t.Fatalf("the launcher logged no child pids:\n%s", logs)
	}
	for name, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) outlived the launcher: %v", name, pid, err)
		}
	}
}

func waitReady(url string, limit time.Duration, exited <-chan error) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("launcher exited: %v", err)
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not 200 within %s", url, limit)
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// pidLog collects the launcher's output and the pids of the processes it reports starting.
type pidLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *pidLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *pidLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

var serviceMetrics = regexp.MustCompile(`(http://127\.0\.0\.1:\d+/metrics) \(identity\)`)

var startedLine = regexp.MustCompile(`msg=started .*process=(\S+) pid=(\d+)`)

func (l *pidLog) pids() map[string]int {
	out := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		if m := startedLine.FindStringSubmatch(sc.Text()); m != nil {
			pid, _ := strconv.Atoi(m[2])
			out[m[1]] = pid
		}
	}
	return out
}
