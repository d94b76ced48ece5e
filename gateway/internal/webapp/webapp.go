// Package webapp serves the built web storefront (the single-page app of web/, whose
// production build is web/dist) at the site root, beside the REST edge:
//
//   - /assets/...: the build's content-hashed files, cached for a year (immutable); an
//     unknown one is the JSON 404, never the page.
//   - the build's other files (favicon.svg, ...): revalidated on every use (no-cache).
//   - every other GET or HEAD: index.html (no-cache), so that the app's client routes
//     (/products/{slug}, /cart, /orders/{id}, /reset-password?token=...) load it; other
//     methods there are 405. Paths of the edge's own namespaces (/api/, /media/, /webhooks/)
//     that no route matched keep answering the JSON 404.
//
// The build is read once, by New, and kept in memory with a gzip copy of each text file,
// served to clients that accept gzip. Every served file carries the pages'
// Content-Security-Policy, which replaces the API's: scripts from the site only, never
// inline.
package webapp

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/storefront/storefront/gateway/internal/edge"
)

// Cache-Control values of the served files.
const (
	// CacheImmutable is for the files under /assets/: their names change with their content.
	CacheImmutable = "public, max-age=31536000, immutable"
	// CacheRevalidate is for index.html and the build's other files, whose names stay.
	CacheRevalidate = "no-cache"
)

// AssetsPrefix is the path under which the build's content-hashed files are served.
const AssetsPrefix = "/assets/"

// Options tune the handler.
type Options struct {
	// MediaOrigin is the origin product pictures are served from when it is not the
	// storefront's own (the origin of STOREFRONT_MEDIA_PUBLIC_URL, e.g.
	// "https://cdn.example.com"); the pages' img-src allows it. Empty: the site's own.
	MediaOrigin string
	// Log reports what was loaded; nil discards it.
	Log *slog.Logger
}

// Handler serves one loaded build. It is safe for concurrent use.
type Handler struct {
	files map[string]*file // by URL path: "/index.html", "/favicon.svg", "/assets/index-3f2a.js"
	index *file
	csp   string
}

// file is one file of the build, ready to be served.
type file struct {
	contentType string
	body        []byte
	etag        string
	// gzipped is the gzip encoding of body, nil when the file is not text or gzip would not
	// make it smaller.
	gzipped     []byte
	gzippedETag string
}

// New loads the build in dir: every regular file below it except dot-files (a build tool's
// .vite/ manifest, say), which must include index.html.
func New(dir string, opts Options) (*Handler, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	csp, err := contentSecurityPolicy(opts.MediaOrigin)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("web app directory %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("web app directory %s is not a directory", dir)
	}
	h := &Handler{files: map[string]*file{}, csp: csp}
	var size, compressed int
	fsys := os.DirFS(dir)
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		// Stat follows a symbolic link: one to a file is served, one to a directory is not.
		if fi, err := fs.Stat(fsys, name); err != nil || !fi.Mode().IsRegular() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		f, err := newFile(name, body)
		if err != nil {
			return fmt.Errorf("compress %s: %w", name, err)
		}
		h.files["/"+name] = f
		size += len(f.body)
		compressed += len(f.gzipped)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load web app directory %s: %w", dir, err)
	}
	if h.index = h.files["/index.html"]; h.index == nil {
		return nil, fmt.Errorf("web app directory %s has no index.html (is it the web app's build, web/dist?)", dir)
	}
	log.Info("web app loaded", "dir", dir, "files", len(h.files), "bytes", size, "gzip_bytes", compressed)
	return h, nil
}

// Register adds the routes to mux: /assets/ for GET and HEAD, and the site root for every
// method, which every more specific route of the edge overrides (ServeMux precedence).
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+AssetsPrefix, h.asset)
	mux.HandleFunc("/", h.page)
}

func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	f, ok := h.files[r.URL.Path]
	if !ok {
		edge.WriteError(w, http.StatusNotFound, edge.CodeNotFound, "no such resource")
		return
	}
	h.serve(w, r, f, CacheImmutable)
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	if edgeNamespace(r.URL.Path) {
		edge.WriteError(w, http.StatusNotFound, edge.CodeNotFound, "no such resource")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		edge.WriteError(w, http.StatusMethodNotAllowed, edge.CodeInvalidArgument, "method not allowed on this resource")
		return
	}
	f, ok := h.files[r.URL.Path]
	if !ok {
		f = h.index // a client route
	}
	h.serve(w, r, f, CacheRevalidate)
}

// edgeNamespace reports whether path is under a prefix the edge serves itself, where a
// path no route matched is an API miss, not a page of the app.
func edgeNamespace(p string) bool {
	for _, prefix := range []string{"/api", "/media", "/webhooks", strings.TrimSuffix(AssetsPrefix, "/")} {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// serve writes f, gzipped when the client accepts it, or 304 when the client's copy is
// current.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, f *file, cacheControl string) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", h.csp)
	hdr.Set("Cache-Control", cacheControl)
	body, etag := f.body, f.etag
	if f.gzipped != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			body, etag = f.gzipped, f.gzippedETag
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	if noneMatch := r.Header.Get("If-None-Match"); noneMatch != "" && etagListed(noneMatch, etag) {
		hdr.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func newFile(name string, body []byte) (*file, error) {
	sum := sha256.Sum256(body)
	tag := base64.RawURLEncoding.EncodeToString(sum[:16])
	f := &file{contentType: contentType(name, body), body: body, etag: `"` + tag + `"`}
	if !compressible(name) {
		return f, nil
	}
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if b.Len() < len(body) {
		f.gzipped, f.gzippedETag = b.Bytes(), `"`+tag+`-gzip"`
	}
	return f, nil
}

// compressible reports whether the file is text that gzip shrinks (fonts and pictures other
// than SVG are compressed already).
func compressible(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".html", ".js", ".mjs", ".css", ".svg", ".json", ".map", ".txt", ".xml", ".webmanifest":
		return true
	}
	return false
}

// contentType names the file's media type by its extension: the build's own types first
// (the system's MIME tables vary between machines), then the system's, then by sniffing.
func contentType(name string, body []byte) string {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".webmanifest":
		return "application/manifest+json"
	case ".svg":
		return "image/svg+xml"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".woff2":
		return "font/woff2"
	case ".woff":
		return "font/woff"
	case ".ico":
		return "image/x-icon"
	case ".png":
		return "image/png"
	case ".webp":
		return "image/webp"
	case ".wasm":
		return "application/wasm"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return http.DetectContentType(body)
}

// acceptsGzip reports whether Accept-Encoding values allow gzip: named with a non-zero
// quality, or not named and "*" allowed.
func acceptsGzip(values []string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					} else {
						q = 0
					}
				}
			}
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, q)
			case "*":
				starQ = max(starQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// etagListed reports whether an If-None-Match value names etag (weak comparison, RFC 9110
// 13.1.2) or is "*".
func etagListed(header, etag string) bool {
	if strings.TrimSpace(header) == "*" {
		return true
	}
	for _, t := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == etag {
			return true
		}
	}
	return false
}

// contentSecurityPolicy is the pages' policy: everything from the site itself, styles also
// inline (the app's components set style attributes), pictures also from data:, blob: and
// the media origin; scripts never inline nor evaluated.
func contentSecurityPolicy(mediaOrigin string) (string, error) {
	img := "'self' data: blob:"
	if mediaOrigin != "" {
		origin, err := parseOrigin(mediaOrigin)
		if err != nil {
			return "", err
		}
		img += " " + origin
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src " + img,
		"font-src 'self'",
		"connect-src 'self'",
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; "), nil
}

// parseOrigin checks that s is an http(s) origin, scheme://host[:port] and nothing more,
// and returns it in lower case.
func parseOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("media origin %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" ||
		strings.ContainsAny(u.Host, " ;,'\"") {
		return "", fmt.Errorf("media origin %q is not an http(s) origin such as https://cdn.example.com", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
