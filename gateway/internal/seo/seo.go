// Package seo serves what search engines read at the site root: /sitemap.xml (every active
// product page and published post, with lastmod, per the sitemap protocol) and /robots.txt.
// The pages' list comes from the read models behind the catalog and content services'
// public list RPCs, cached briefly so that crawlers do not walk the catalog on every fetch.
package seo

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// MaxURLs is the most URLs one sitemap may hold (the protocol's limit).
const MaxURLs = 50000

// Page is one page of the storefront a sitemap lists.
type Page struct {
	// Path is the page's path on the storefront, e.g. /products/split-keyboard.
	Path    string
	LastMod time.Time
}

// Source lists pages: the catalog's products, the blog's posts.
type Source interface {
	Pages(ctx context.Context) ([]Page, error)
}

// Handler serves /sitemap.xml and /robots.txt.
type Handler struct {
	// PublicURL is the storefront's address, without a trailing slash.
	PublicURL string
	// Static are pages always listed (the home page, the blog's index).
	Static []string
	// Sources are asked for their pages, in order.
	Sources []Source
	// TTL is how long a built sitemap is served before it is built again (default 5m).
	TTL   time.Duration
	Log   *slog.Logger
	Clock func() time.Time

	mu      sync.Mutex
	built   []byte
	builtAt time.Time
}

// Register adds the routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /sitemap.xml", h.sitemap)
	mux.HandleFunc("GET /robots.txt", h.robots)
}

func (h *Handler) now() time.Time {
	if h.Clock != nil {
		return h.Clock()
	}
	return time.Now()
}

func (h *Handler) sitemap(w http.ResponseWriter, r *http.Request) {
	body, err := h.cached(r.Context())
	if err != nil {
		h.Log.ErrorContext(r.Context(), "sitemap not built", "err", err)
		w.Header().Set("Retry-After", "30")
		http.Error(w, "the sitemap is unavailable; try again shortly", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(body)
}

// cached returns the sitemap, building it when the last one is older than the TTL. One
// request builds it; the others wait for it.
func (h *Handler) cached(ctx context.Context) ([]byte, error) {
	ttl := h.TTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.built != nil && h.now().Sub(h.builtAt) < ttl {
		return h.built, nil
	}
	body, err := h.Build(ctx)
	if err != nil {
		if h.built != nil {
			// A stale sitemap is better for crawlers than none.
			h.Log.WarnContext(ctx, "sitemap not rebuilt; serving the last one", "err", err)
			return h.built, nil
		}
		return nil, err
	}
	h.built, h.builtAt = body, h.now()
	return body, nil
}

type urlset struct {
	XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []url    `xml:"url"`
}

type url struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// Build asks every source for its pages and renders the sitemap.
func (h *Handler) Build(ctx context.Context) ([]byte, error) {
	set := urlset{}
	for _, p := range h.Static {
		set.URLs = append(set.URLs, url{Loc: h.PublicURL + p})
	}
	for _, s := range h.Sources {
		pages, err := s.Pages(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range pages {
			u := url{Loc: h.PublicURL + p.Path}
			if !p.LastMod.IsZero() {
				u.LastMod = p.LastMod.UTC().Format(time.RFC3339)
			}
			set.URLs = append(set.URLs, u)
		}
	}
	if len(set.URLs) > MaxURLs {
		h.Log.WarnContext(ctx, "sitemap truncated to the protocol's limit", "urls", len(set.URLs), "limit", MaxURLs)
		set.URLs = set.URLs[:MaxURLs]
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(set); err != nil {
		return nil, fmt.Errorf("render sitemap: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func (h *Handler) robots(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	// The API, the shopper's own pages and the back office are not for search engines.
	for _, p := range []string{"/api/", "/admin", "/account", "/cart", "/checkout", "/orders", "/wishlist"} {
		b.WriteString("Disallow: " + p + "\n")
	}
	b.WriteString("\nSitemap: " + h.PublicURL + "/sitemap.xml\n")
	_, _ = w.Write([]byte(b.String()))
}
