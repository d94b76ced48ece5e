// Package stripetest starts the local Stripe API for a test: the pinned stripe-mock (built
// into the repository's .bin by `make tools`) behind the stand-in of package
// platform/devenv/stripestandin, as `make run` does.
package stripetest

import (
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/devenv/stripestandin"
)

// Key is a secret key stripe-mock takes (sk_test_ and letters and digits).
const Key = "sk_test_storefronttests"

// Server is a running stand-in.
type Server struct {
	URL     string
	Handler *stripestandin.Handler
}

// Start runs stripe-mock and the stand-in until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := mockBinary()
	if err != nil {
		tb.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", "127.0.0.1:0")
	if err := cmd.Start(); err != nil {
		tb.Fatalf("stripetest: start stripe-mock: %v", err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("stripetest: stripe-mock does not answer on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h, err := stripestandin.New("http://" + addr)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Handler: h}
}

// mockBinary finds .bin/stripe-mock above the working directory.
func mockBinary() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ".bin", "stripe-mock")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("stripetest: no .bin/stripe-mock above the working directory (run `make tools`; `make test` does)")
		}
		dir = parent
	}
}
