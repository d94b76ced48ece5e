package webapp_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/storefront/storefront/gateway/internal/edge"
	"github.com/storefront/storefront/gateway/internal/webapp"
)

// A build like Vite's: index.html, content-hashed files under assets/, the public/ files at
// the root, and a manifest under .vite/ that is not to be served.
var (
	indexHTML = `<!doctype html><html lang="en"><head><meta charset="UTF-8" /><title>Storefront</title>` +
		`<script type="module" crossorigin src="/assets/index-B2x9Qk.js"></script>` +
		`<link rel="stylesheet" crossorigin href="/assets/index-Dq81Lm.css"></head>` +
		`<body><div id="root"></div><noscript>Storefront needs JavaScript to run in your browser.</noscript></body></html>`
	script = strings.Repeat(`export function add(a,b){return a+b}console.log("storefront");`, 40)
	style  = strings.Repeat(`.product-card{display:grid;gap:1rem;padding:1rem}`, 40)
	font   = "wOF2\x00\x01\x00\x00\x00\x00\x10\x93\xfa\x81\x02"
	icon   = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" fill="#0a7"/><rect x="4" y="4" width="8" height="8" fill="#fff"/></svg>`
)

func writeDist(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"index.html":                 indexHTML,
		"favicon.svg":                icon,
		"assets/index-B2x9Qk.js":     script,
		"assets/index-Dq81Lm.css":    style,
		"assets/inter-Cw3hTf.woff2":  font,
		"assets/tiny-A1b2C3.js":      "x",
		".vite/manifest.json":        `{"index.html":{"file":"assets/index-B2x9Qk.js"}}`,
		"assets/nested/logo-Zz9.svg": icon,
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// serve builds the handler on a mux behind the edge's security headers, as the gateway does.
func serve(t *testing.T, opts webapp.Options) http.Handler {
	t.Helper()
	h, err := webapp.New(writeDist(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	return edge.Chain(mux, edge.SecurityHeaders())
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestHandler_Routes(t *testing.T) {
	const notFound, notAllowed = edge.CodeNotFound, edge.CodeInvalidArgument
	tests := []struct {
		name           string
		method, path   string
		acceptEncoding string
		wantStatus     int
		wantCache      string // Cache-Control; "" for an error
		wantType       string // Content-Type prefix
		wantGzip       bool
		wantVary       bool
		wantBody       string // decompressed; for HEAD the body the GET would send
		wantError      string // the error body's code
	}{
		{name: "asset", method: "GET", path: "/assets/index-B2x9Qk.js", wantStatus: 200, wantCache: webapp.CacheImmutable,
			wantType: "text/javascript", wantVary: true, wantBody: script},
		{name: "asset gzipped", method: "GET", path: "/assets/index-B2x9Qk.js", acceptEncoding: "gzip, deflate, br", wantStatus: 200,
			wantCache: webapp.CacheImmutable, wantType: "text/javascript", wantGzip: true, wantVary: true, wantBody: script},
		{name: "stylesheet gzipped by a wildcard", method: "GET", path: "/assets/index-Dq81Lm.css", acceptEncoding: "br;q=1, *;q=0.5",
			wantStatus: 200, wantCache: webapp.CacheImmutable, wantType: "text/css", wantGzip: true, wantVary: true, wantBody: style},
		{name: "gzip refused", method: "GET", path: "/assets/index-B2x9Qk.js", acceptEncoding: "gzip;q=0, br", wantStatus: 200,
			wantCache: webapp.CacheImmutable, wantType: "text/javascript", wantVary: true, wantBody: script},
		{name: "font is never gzipped", method: "GET", path: "/assets/inter-Cw3hTf.woff2", acceptEncoding: "gzip", wantStatus: 200,
			wantCache: webapp.CacheImmutable, wantType: "font/woff2", wantBody: font},
		{name: "a file gzip would not shrink", method: "GET", path: "/assets/tiny-A1b2C3.js", acceptEncoding: "gzip", wantStatus: 200,
			wantCache: webapp.CacheImmutable, wantType: "text/javascript", wantBody: "x"},
		{name: "nested asset", method: "GET", path: "/assets/nested/logo-Zz9.svg", acceptEncoding: "gzip", wantStatus: 200,
			wantCache: webapp.CacheImmutable, wantType: "image/svg+xml", wantGzip: true, wantVary: true, wantBody: icon},
		{name: "asset HEAD", method: "HEAD", path: "/assets/index-B2x9Qk.js", acceptEncoding: "gzip", wantStatus: 200,
			wantCache: webapp.CacheImmutable, wantType: "text/javascript", wantGzip: true, wantVary: true, wantBody: script},
		{name: "unknown asset is a 404, not the page", method: "GET", path: "/assets/index-Old123.js", wantStatus: 404, wantError: notFound},
		{name: "the assets directory itself", method: "GET", path: "/assets/", wantStatus: 404, wantError: notFound},
		{name: "a file at the root", method: "GET", path: "/favicon.svg", wantStatus: 200, wantCache: webapp.CacheRevalidate,
			wantType: "image/svg+xml", wantVary: true, wantBody: icon},
		{name: "home page", method: "GET", path: "/", wantStatus: 200, wantCache: webapp.CacheRevalidate, wantType: "text/html",
			wantVary: true, wantBody: indexHTML},
		{name: "home page gzipped", method: "GET", path: "/", acceptEncoding: "gzip", wantStatus: 200, wantCache: webapp.CacheRevalidate,
			wantType: "text/html", wantGzip: true, wantVary: true, wantBody: indexHTML},
		{name: "index.html by name", method: "GET", path: "/index.html", wantStatus: 200, wantCache: webapp.CacheRevalidate,
			wantType: "text/html", wantVary: true, wantBody: indexHTML},
		{name: "product page", method: "GET", path: "/products/split-keyboard-75", acceptEncoding: "gzip", wantStatus: 200,
			wantCache: webapp.CacheRevalidate, wantType: "text/html", wantGzip: true, wantVary: true, wantBody: indexHTML},
		{name: "cart", method: "GET", path: "/cart", wantStatus: 200, wantCache: webapp.CacheRevalidate, wantType: "text/html",
			wantVary: true, wantBody: indexHTML},
		{name: "an order", method: "GET", path: "/orders/0b7c2a4e-5d1f-4c6e-9a38-2f7d1e0c9b11?placed=1", wantStatus: 200,
			wantCache: webapp.CacheRevalidate, wantType: "text/html", wantVary: true, wantBody: indexHTML},
		{name: "admin page", method: "GET", path: "/admin/orders?status=paid&page=2", wantStatus: 200, wantCache: webapp.CacheRevalidate,
			wantType: "text/html", wantVary: true, wantBody: indexHTML},
		{name: "password reset link", method: "GET", path: "/reset-password?token=abc.DEF-123_x", wantStatus: 200,
			wantCache: webapp.CacheRevalidate, wantType: "text/html", wantVary: true, wantBody: indexHTML},
		{name: "a build tool's dot-file is not served", method: "GET", path: "/.vite/manifest.json", wantStatus: 200,
			wantCache: webapp.CacheRevalidate, wantType: "text/html", wantVary: true, wantBody: indexHTML},
		{name: "client route HEAD", method: "HEAD", path: "/cart", wantStatus: 200, wantCache: webapp.CacheRevalidate,
			wantType: "text/html", wantVary: true, wantBody: indexHTML},
		{name: "POST on a client route", method: "POST", path: "/cart", wantStatus: 405,
			wantError: notAllowed},
		{name: "DELETE on the home page", method: "DELETE", path: "/", wantStatus: 405,
			wantError: notAllowed},
		{name: "unknown API path", method: "GET", path: "/api/v2/products", wantStatus: 404, wantError: notFound},
		{name: "the API root", method: "GET", path: "/api", wantStatus: 404, wantError: notFound},
		{name: "unknown API path, POST", method: "POST", path: "/api/v1/nothing", wantStatus: 404, wantError: notFound},
		{name: "unknown media path", method: "GET", path: "/media/", wantStatus: 404, wantError: notFound},
		{name: "a webhook's GET", method: "GET", path: "/webhooks/stripe", wantStatus: 404, wantError: notFound},
	}
	h := serve(t, webapp.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.acceptEncoding != "" {
				req.Header.Set("Accept-Encoding", tt.acceptEncoding)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %.200s", res.StatusCode, tt.wantStatus, rec.Body)
			}
			if tt.wantError != "" {
				var e edge.ErrorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != tt.wantError || e.Error.Message == "" ||
					e.Error.Details == nil || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
					t.Fatalf("%s %q, want the JSON error body with code %s", res.Header.Get("Content-Type"), rec.Body, tt.wantError)
				}
				if tt.wantStatus == 405 && res.Header.Get("Allow") != "GET, HEAD" {
					t.Errorf("Allow %q, want GET, HEAD", res.Header.Get("Allow"))
				}
				return
			}
			if got := res.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control %q, want %q", got, tt.wantCache)
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, tt.wantType) {
				t.Errorf("Content-Type %q, want %s", got, tt.wantType)
			}
			if got := res.Header.Get("Vary") == "Accept-Encoding"; got != tt.wantVary {
				t.Errorf("Vary %q, want Accept-Encoding: %v", res.Header.Get("Vary"), tt.wantVary)
			}
			if !strings.HasPrefix(res.Header.Get("ETag"), `"`) {
				t.Errorf("ETag %q, want a strong one", res.Header.Get("ETag"))
			}
			if !strings.HasPrefix(res.Header.Get("Content-Security-Policy"), "default-src 'self';") {
				t.Errorf("Content-Security-Policy %q is not the pages'", res.Header.Get("Content-Security-Policy"))
			}
			gzipped := res.Header.Get("Content-Encoding") == "gzip"
			if gzipped != tt.wantGzip {
				t.Fatalf("Content-Encoding %q, want gzip: %v", res.Header.Get("Content-Encoding"), tt.wantGzip)
			}
			length, err := strconv.Atoi(res.Header.Get("Content-Length"))
			if err != nil {
				t.Fatalf("Content-Length %q", res.Header.Get("Content-Length"))
			}
			if tt.method == "HEAD" {
				if rec.Body.Len() != 0 {
					t.Fatalf("HEAD sent a body of %d bytes", rec.Body.Len())
				}
				if !gzipped && length != len(tt.wantBody) {
					t.Fatalf("HEAD Content-Length %d, want %d", length, len(tt.wantBody))
				}
				return
			}
			if length != rec.Body.Len() {
				t.Fatalf("Content-Length %d, body %d bytes", length, rec.Body.Len())
			}
			body := rec.Body.String()
			if gzipped {
				if length >= len(tt.wantBody) {
					t.Errorf("gzipped %d bytes, identity %d", length, len(tt.wantBody))
				}
				body = gunzip(t, rec.Body.Bytes())
			}
			if body != tt.wantBody {
				t.Fatalf("body %.120q, want %.120q", body, tt.wantBody)
			}
		})
	}
}

func TestHandler_ContentSecurityPolicy(t *testing.T) {
	tests := []struct {
		name        string
		mediaOrigin string
		wantImg     string
	}{
		{name: "pictures from the site", wantImg: "img-src 'self' data: blob:"},
		{name: "pictures from a CDN", mediaOrigin: "https://CDN.example.com", wantImg: "img-src 'self' data: blob: https://cdn.example.com"},
		{name: "an origin with a port and a slash", mediaOrigin: "http://127.0.0.1:9000/", wantImg: "img-src 'self' data: blob: http://127.0.0.1:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := serve(t, webapp.Options{MediaOrigin: tt.mediaOrigin})
			for _, path := range []string{"/", "/products/split-keyboard-75", "/assets/index-B2x9Qk.js"} {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				directives := map[string]string{}
				for _, d := range strings.Split(rec.Header().Get("Content-Security-Policy"), ";") {
					d = strings.TrimSpace(d)
					name, _, _ := strings.Cut(d, " ")
					directives[name] = d
				}
				if got := directives["script-src"]; got != "script-src 'self'" {
					t.Errorf("%s: %q: scripts only from the site, never inline or evaluated", path, got)
				}
				if got := directives["img-src"]; got != tt.wantImg {
					t.Errorf("%s: %q, want %q", path, got, tt.wantImg)
				}
				for name, want := range map[string]string{
					"default-src": "default-src 'self'", "style-src": "style-src 'self' 'unsafe-inline'", "font-src": "font-src 'self'",
					"connect-src": "connect-src 'self'", "object-src": "object-src 'none'", "base-uri": "base-uri 'self'",
					"form-action": "form-action 'self'", "frame-ancestors": "frame-ancestors 'none'",
				} {
					if directives[name] != want {
						t.Errorf("%s: %q, want %q", path, directives[name], want)
					}
				}
			}
		})
	}
}

func TestHandler_ConditionalRequests(t *testing.T) {
	h := serve(t, webapp.Options{})
	get := func(path, acceptEncoding, ifNoneMatch string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, path := range []string{"/assets/index-B2x9Qk.js", "/cart"} {
		plain, zipped := get(path, "", "").Header().Get("ETag"), get(path, "gzip", "").Header().Get("ETag")
		if plain == "" || plain == zipped {
			t.Fatalf("%s: ETags %q and %q: each encoding needs its own", path, plain, zipped)
		}
		tests := []struct {
			acceptEncoding, ifNoneMatch string
			want                        int
		}{
			{"", plain, http.StatusNotModified},
			{"gzip", zipped, http.StatusNotModified},
			{"gzip", `"other", W/` + zipped, http.StatusNotModified},
			{"gzip", "*", http.StatusNotModified},
			{"gzip", plain, http.StatusOK}, // the client holds the other encoding
			{"", `"stale"`, http.StatusOK},
		}
		for _, tt := range tests {
			rec := get(path, tt.acceptEncoding, tt.ifNoneMatch)
			if rec.Code != tt.want {
				t.Errorf("%s, Accept-Encoding %q, If-None-Match %s: %d, want %d", path, tt.acceptEncoding, tt.ifNoneMatch, rec.Code, tt.want)
			}
			if rec.Code == http.StatusNotModified && (rec.Body.Len() != 0 || rec.Header().Get("Cache-Control") == "") {
				t.Errorf("%s: 304 with a body of %d bytes or no Cache-Control", path, rec.Body.Len())
			}
		}
	}
}

func TestNew_RefusesWhatIsNotABuild(t *testing.T) {
	empty := t.TempDir()
	missing := filepath.Join(empty, "dist")
	file := filepath.Join(empty, "index.html")
	if err := os.WriteFile(file, []byte("<!doctype html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	noIndex := t.TempDir()
	if err := os.MkdirAll(filepath.Join(noIndex, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, mediaOrigin, wantIn string
	}{
		{name: "missing directory", dir: missing, wantIn: missing},
		{name: "a file, not a directory", dir: file, wantIn: file},
		{name: "no index.html", dir: noIndex, wantIn: noIndex},
		{name: "a media URL, not an origin", dir: empty, mediaOrigin: "https://cdn.example.com/media/", wantIn: "media origin"},
		{name: "not http", dir: empty, mediaOrigin: "ftp://cdn.example.com", wantIn: "media origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webapp.New(tt.dir, webapp.Options{MediaOrigin: tt.mediaOrigin})
			if err == nil || !strings.Contains(err.Error(), tt.wantIn) {
				t.Fatalf("err = %v, want one naming %s", err, tt.wantIn)
			}
		})
	}
	if _, err := webapp.New(empty, webapp.Options{}); err != nil {
		t.Fatalf("a directory with index.html only: %v", err)
	}
}
