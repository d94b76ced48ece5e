package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/bench/internal/fleet"
	"github.com/storefront/storefront/platform/devenv"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
)

// fixedCart is the reference's cart service: GetCart and AddCartItem answer with one fixed
// cart (the fleet's own answer for a 3-line cart, decoded), without reading or writing
// anything. Every other method is unimplemented.
type fixedCart struct {
	cartv1.UnimplementedCartServiceServer
	cart *cartv1.Cart
}

// GetCart implements cartv1.CartServiceServer.
func (s fixedCart) GetCart(context.Context, *cartv1.GetCartRequest) (*cartv1.Cart, error) {
	return s.cart, nil
}

// AddCartItem implements cartv1.CartServiceServer.
func (s fixedCart) AddCartItem(context.Context, *cartv1.AddCartItemRequest) (*cartv1.Cart, error) {
	return s.cart, nil
}

// serveFixedCart serves fixedCart (and gRPC health, SERVING, which the edge's /readyz asks)
// on a free port of 127.0.0.1, in this process: a plain grpc.Server, no interceptors.
func serveFixedCart(cart *cartv1.Cart) (addr string, stop func(), err error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := grpc.NewServer()
	cartv1.RegisterCartServiceServer(srv, fixedCart{cart: proto.Clone(cart).(*cartv1.Cart)})
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(lis) }()
	return lis.Addr().String(), func() {
		done := make(chan struct{})
		go func() { srv.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			srv.Stop()
		}
	}, nil
}

// twinGateway is a second edge, started from the fleet's gateway binary with the fleet's
// gateway environment (identity and the other backends, Redis and its prefix, rate limits,
// log level), except its HTTP address and STOREFRONT_CART_ADDR, which points at fixedCart:
// the same edge path in front of a cart service that does no work.
type twinGateway struct {
	baseURL string
	cmd     *exec.Cmd
	logPath string
}

func startTwinGateway(ctx context.Context, f *fleet.Fleet, cartAddr, token string) (_ *twinGateway, err error) {
	env, err := f.ProcessEnv("gateway")
	if err != nil {
		return nil, err
	}
	port, err := devenv.FreePort()
	if err != nil {
		return nil, err
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", port)
	t := &twinGateway{baseURL: "http://" + httpAddr,
		logPath: filepath.Join(os.TempDir(), fmt.Sprintf("sf-bench-cart-twin-gateway-%d.log", os.Getpid()))}
	lf, err := os.Create(t.logPath)
	if err != nil {
		return nil, err
	}
	defer lf.Close() // the child holds its own descriptor
	t.cmd = exec.Command(filepath.Join(f.Bin, "gateway"))
	// Later entries win: the twin's own address and its cart backend.
	t.cmd.Env = append(env, "STOREFRONT_HTTP_ADDR="+httpAddr, "STOREFRONT_CART_ADDR="+cartAddr)
	t.cmd.Stdout, t.cmd.Stderr = lf, lf
	t.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := t.cmd.Start(); err != nil {
		_ = os.Remove(t.logPath)
		return nil, fmt.Errorf("start the twin gateway: %w", err)
	}
	defer func() {
		if err != nil {
			t.stop()
		}
	}()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.baseURL+"/api/v1/cart", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return t, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the twin gateway did not serve GET /api/v1/cart within 60s (last: %v):\n%s", err, t.logTail(2048))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (t *twinGateway) logTail(n int) string {
	data, _ := os.ReadFile(t.logPath)
	return string(data[max(0, len(data)-n):])
}

// errorLines returns the twin's error log lines (at most 10).
func (t *twinGateway) errorLines() []string {
	data, _ := os.ReadFile(t.logPath)
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if (strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, "panic")) && len(out) < 10 {
			out = append(out, line)
		}
	}
	return out
}

func (t *twinGateway) stop() {
	if t.cmd != nil && t.cmd.Process != nil {
		_ = t.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = t.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = t.cmd.Process.Kill()
			<-done
		}
		t.cmd = nil
	}
	_ = os.Remove(t.logPath)
}
