package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	"github.com/storefront/storefront/gateway/internal/edge"
	"github.com/storefront/storefront/gateway/internal/server"
	"github.com/storefront/storefront/gateway/internal/webapp"
)

func newEdge(checks ...edge.Check) http.Handler {
	log := slog.New(slog.DiscardHandler)
	return server.New(server.Config{CORSOrigins: []string{"https://shop.example"}}, server.Deps{
		Log:     log,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "# metrics\n") }),
		API:     runtime.NewServeMux(edge.GatewayOptions(log)...),
		Checks:  checks,
	})
}

// sameJSON fails the test unless body is the JSON of want, compared structurally.
func sameJSON(t *testing.T, body []byte, want string) {
	t.Helper()
	var got, w any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body is not JSON: %.300s", body)
	}
	_ = json.Unmarshal([]byte(want), &w)
	if diff := cmp.Diff(w, got); diff != "" {
		t.Fatalf("body mismatch (-want +got):\n%s", diff)
	}
}

func TestEdge_Routes(t *testing.T) {
	failing := edge.Check{Name: "identity", Run: func(context.Context) error { return errors.New("dial 10.0.0.7:9000: refused") }}
	passing := edge.Check{Name: "redis", Run: func(context.Context) error { return nil }}
	tests := []struct {
		name       string
		checks     []edge.Check
		method     string
		path       string
		wantStatus int
		wantBody   string // JSON compared structurally; empty: not compared
		wantIn     string // substring of the body
	}{
		{name: "liveness", method: "GET", path: "/healthz", wantStatus: 200, wantBody: `{"status":"ok"}`},
		{name: "ready when every check passes", checks: []edge.Check{passing}, method: "GET", path: "/readyz", wantStatus: 200,
			wantBody: `{"status":"ready","checks":{"redis":"ok"}}`},
		{name: "not ready names the failing check, not its reason", checks: []edge.Check{passing, failing}, method: "GET", path: "/readyz", wantStatus: 503,
			wantBody: `{"error":{"code":"unavailable","message":"not ready","details":[{"field":"identity","reason":"unavailable"}]}}`},
		{name: "openapi", method: "GET", path: "/api/v1/openapi.json", wantStatus: 200, wantIn: `"swagger": "2.0"`},
		{name: "metrics", method: "GET", path: "/metrics", wantStatus: 200, wantIn: "# metrics"},
		{name: "unknown api path", method: "GET", path: "/api/v1/no-such-thing", wantStatus: 404,
			wantBody: `{"error":{"code":"not_found","message":"no such resource","details":[]}}`},
		{name: "unknown path outside the api", method: "GET", path: "/wp-admin", wantStatus: 404,
			wantBody: `{"error":{"code":"not_found","message":"no such resource","details":[]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newEdge(tt.checks...).ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantBody != "" {
				sameJSON(t, rec.Body.Bytes(), tt.wantBody)
			}
			if !strings.Contains(rec.Body.String(), tt.wantIn) {
				t.Fatalf("body lacks %q: %.300s", tt.wantIn, rec.Body)
			}
			for _, h := range []string{"Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy", "Content-Security-Policy", "X-Request-Id"} {
				if rec.Header().Get(h) == "" {
					t.Errorf("response lacks %s", h)
				}
			}
		})
	}
}

func TestEdge_CORS(t *testing.T) {
	h := newEdge()
	pre := httptest.NewRequest("OPTIONS", "/api/v1/products", nil)
	pre.Header.Set("Origin", "https://shop.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, pre)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Fatalf("preflight from an allowed origin: %d %v", rec.Code, rec.Header())
	}

	other := httptest.NewRequest("GET", "/healthz", nil)
	other.Header.Set("Origin", "https://evil.example")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, other)
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("origin not on the allow-list got Access-Control-Allow-Origin %q", got)
	}
}

func TestEdge_RequestIDIsKeptWhenWellFormed(t *testing.T) {
	h := newEdge()
	for in, keep := range map[string]bool{"abc-123": true, "bad id with spaces": false, strings.Repeat("x", 200): false} {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Header.Set("X-Request-Id", in)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-Id")
		if (got == in) != keep || got == "" {
			t.Errorf("X-Request-Id %q → %q, keep=%v", in, got, keep)
		}
	}
}

func TestEdge_RefusesBodiesOverOneMiB(t *testing.T) {
	req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(strings.Repeat("x", edge.MaxBodyBytes+1)))
	rec := httptest.NewRecorder()
	newEdge().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `"invalid_argument"`) {
		t.Fatalf("oversized body: %d %s", rec.Code, rec.Body)
	}
}

func TestEdge_PanicIsA500WithoutInternals(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	h := server.New(server.Config{}, server.Deps{
		Log:     log,
		Metrics: http.NotFoundHandler(),
		API:     http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("db password is hunter2") }),
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/anything", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "hunter2") || !strings.Contains(rec.Body.String(), `"internal"`) {
		t.Fatalf("panic: %d %s", rec.Code, rec.Body)
	}
}

// robots stands in for the SEO routes, which must win over the web app's files and pages.
type robots struct{}

func (robots) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /robots.txt", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "User-agent: *\n") })
}

func TestEdge_WebAppLeavesTheEdgesRoutesAlone(t *testing.T) {
	const index = "<!doctype html><title>Storefront</title>"
	dist := t.TempDir()
	for name, body := range map[string]string{"index.html": index, "robots.txt": "from the build", "assets/app-x1.js": "run()"} {
		path := filepath.Join(dist, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	web, err := webapp.New(dist, webapp.Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(server.Config{}, server.Deps{
		Log:     log,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "# metrics\n") }),
		API:     runtime.NewServeMux(edge.GatewayOptions(log)...),
		SEO:     robots{},
		Web:     web,
	})
	const notFound = `{"error":{"code":"not_found","message":"no such resource","details":[]}}`
	tests := []struct {
		method, path string
		wantStatus   int
		wantBody     string // exact, or JSON compared structurally when it starts with {
		wantCSP      string // prefix
	}{
		{"GET", "/api/v1/no-such-thing", 404, notFound, "default-src 'none'"},
		{"GET", "/api/v1/products/unknown/thing?page=2", 404, notFound, "default-src 'none'"},
		{"GET", "/api/v2/products", 404, notFound, "default-src 'none'"},
		{"POST", "/api/v1/no-such-thing", 404, notFound, "default-src 'none'"},
		{"GET", "/healthz", 200, `{"status":"ok"}`, "default-src 'none'"},
		{"GET", "/metrics", 200, "# metrics\n", "default-src 'none'"},
		{"GET", "/robots.txt", 200, "User-agent: *\n", "default-src 'none'"},
		{"GET", "/assets/app-x1.js", 200, "run()", "default-src 'self'"},
		{"GET", "/assets/app-gone.js", 404, notFound, "default-src 'none'"},
		{"GET", "/", 200, index, "default-src 'self'"},
		{"GET", "/products/split-keyboard-75?ref=home", 200, index, "default-src 'self'"},
		{"HEAD", "/orders/123", 200, "", "default-src 'self'"},
		{"POST", "/cart", 405, `{"error":{"code":"invalid_argument","message":"method not allowed on this resource","details":[]}}`, "default-src 'none'"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %.200s", rec.Code, tt.wantStatus, rec.Body)
			}
			if strings.HasPrefix(tt.wantBody, "{") {
				sameJSON(t, rec.Body.Bytes(), tt.wantBody)
			} else if rec.Body.String() != tt.wantBody {
				t.Fatalf("body %.200q, want %q", rec.Body, tt.wantBody)
			}
			if got := rec.Header().Get("Content-Security-Policy"); !strings.HasPrefix(got, tt.wantCSP) {
				t.Errorf("Content-Security-Policy %q, want %s...", got, tt.wantCSP)
			}
			if rec.Header().Get("Strict-Transport-Security") == "" || rec.Header().Get("X-Request-Id") == "" {
				t.Errorf("the edge's headers are missing: %v", rec.Header())
			}
		})
	}
}
