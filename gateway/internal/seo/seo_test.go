package seo

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"testing"
	"time"
)

type fakeSource struct {
	pages []Page
	err   error
	calls int
}

func (f *fakeSource) Pages(context.Context) ([]Page, error) {
	f.calls++
	return f.pages, f.err
}

func get(t *testing.T, h *Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	h.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

func TestSitemap_FollowsTheProtocol(t *testing.T) {
	updated := time.Date(2026, 12, 4, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	products := &fakeSource{pages: []Page{{Path: "/products/split-keyboard", LastMod: updated}, {Path: "/products/a&b"}}}
	posts := &fakeSource{pages: []Page{{Path: "/blog/hello", LastMod: updated}}}
	h := &Handler{PublicURL: "https://shop.example.com", Static: []string{"/", "/blog"}, Sources: []Source{products, posts}, Log: slog.New(slog.DiscardHandler)}
	rec := get(t, h, "/sitemap.xml")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/xml") {
		t.Fatalf("GET /sitemap.xml: %d %s", rec.Code, rec.Header())
	}
	body := rec.Body.String()
	if !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Fatalf("no XML declaration: %s", body)
	}
	var got struct {
		XMLName xml.Name
		URLs    []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.XMLName.Space != "http://www.sitemaps.org/schemas/sitemap/0.9" || got.XMLName.Local != "urlset" {
		t.Fatalf("root %v", got.XMLName)
	}
	want := []string{"https://shop.example.com/", "https://shop.example.com/blog", "https://shop.example.com/products/split-keyboard",
		"https://shop.example.com/products/a&b", "https://shop.example.com/blog/hello"}
	if len(got.URLs) != len(want) {
		t.Fatalf("%d urls, want %d: %s", len(got.URLs), len(want), body)
	}
	for i, u := range got.URLs {
		if u.Loc != want[i] {
			t.Errorf("url %d: %s, want %s", i, u.Loc, want[i])
		}
		if pu, err := neturl.Parse(u.Loc); err != nil || !pu.IsAbs() || len(u.Loc) > 2048 {
			t.Errorf("loc %q is not an absolute URL of at most 2048 characters", u.Loc)
		}
	}
	if got.URLs[2].LastMod != "2026-12-04T09:30:00Z" || got.URLs[3].LastMod != "" {
		t.Errorf("lastmod: %q, %q; want W3C datetime in UTC, and none when unknown", got.URLs[2].LastMod, got.URLs[3].LastMod)
	}
	if !strings.Contains(body, "a&amp;b") {
		t.Errorf("& not escaped: %s", body)
	}
}

func TestSitemap_CachedAndStaleOnFailure(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	src := &fakeSource{err: errors.New("catalog down")}
	h := &Handler{PublicURL: "http://x", Sources: []Source{src}, TTL: time.Minute, Log: slog.New(slog.DiscardHandler), Clock: func() time.Time { return now }}
	if rec := get(t, h, "/sitemap.xml"); rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("no sitemap yet and the catalog down: %d", rec.Code)
	}
	src.err, src.pages = nil, []Page{{Path: "/products/one"}}
	if rec := get(t, h, "/sitemap.xml"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "/products/one") {
		t.Fatalf("after recovery: %d %s", rec.Code, rec.Body)
	}
	calls := src.calls
	get(t, h, "/sitemap.xml")
	if src.calls != calls {
		t.Fatalf("rebuilt within the TTL")
	}
	now = now.Add(2 * time.Minute)
	src.err = errors.New("down again")
	if rec := get(t, h, "/sitemap.xml"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "/products/one") || src.calls != calls+1 {
		t.Fatalf("stale sitemap on failure: %d, %d calls", rec.Code, src.calls)
	}
}

func TestSitemap_AtMostTheProtocolsLimit(t *testing.T) {
	pages := make([]Page, MaxURLs+10)
	for i := range pages {
		pages[i] = Page{Path: "/products/p"}
	}
	h := &Handler{PublicURL: "http://x", Sources: []Source{&fakeSource{pages: pages}}, Log: slog.New(slog.DiscardHandler)}
	body, err := h.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(body), "<url>"); n != MaxURLs {
		t.Fatalf("%d urls, want %d", n, MaxURLs)
	}
}

func TestRobots(t *testing.T) {
	rec := get(t, &Handler{PublicURL: "https://shop.example.com"}, "/robots.txt")
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /robots.txt: %d", rec.Code)
	}
	for _, want := range []string{"User-agent: *\n", "Disallow: /api/\n", "Disallow: /admin\n", "Sitemap: https://shop.example.com/sitemap.xml\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("robots.txt lacks %q:\n%s", want, body)
		}
	}
}
