package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSmoke_MakeRunServesAndStopsCleanly starts the fleet as `make run` does (the Makefile's
// build, then the launcher), checks the edge and the services' metrics, and stops it with
// SIGTERM: the launcher must exit 0 and every process it started must be gone.
func TestSmoke_MakeRunServesAndStopsCleanly(t *testing.T) {
	start := time.Now()
	f := startFleet(t)
	t.Logf("make run → /readyz 200 and the banner in %s (binaries prebuilt)", time.Since(start).Round(time.Millisecond))

	if status, body := get(t, f.base+"/healthz"); status != 200 {
		t.Errorf("/healthz = %d %s", status, body)
	}
	status, body := get(t, f.base+"/api/v1/openapi.json")
	var doc struct {
		Swagger string         `json:"swagger"`
		Paths   map[string]any `json:"paths"`
	}
	if status != 200 || json.Unmarshal(body, &doc) != nil || doc.Swagger != "2.0" || len(doc.Paths) == 0 {
		t.Errorf("/api/v1/openapi.json = %d %.200s", status, body)
	}

	// Every service serves its metrics; identity's show the admin bootstrap's appends and
	// its relay at work.
	m := serviceMetrics.FindStringSubmatch(f.logs.String())
	if m == nil {
		t.Fatalf("the banner names no identity metrics endpoint:\n%s", f.logs)
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

	if err := f.stop(); err != nil {
		t.Fatalf("launcher exit after SIGTERM: %v\nlogs:\n%s", err, f.logs)
	}
	pids := f.logs.pids()
	if len(pids) == 0 {
		t.Fatalf("the launcher logged no child pids:\n%s", f.logs)
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
