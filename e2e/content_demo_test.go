package e2e

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	catalogdemo "github.com/storefront/storefront/services/catalog/demo"
	blogdemo "github.com/storefront/storefront/services/content/demo"
)

// TestDemoBlog_LoadedAtStart: with demo data on (make run's default), the launcher publishes
// the demo blog posts, which the public list shows newest first.
func TestDemoBlog_LoadedAtStart(t *testing.T) {
	f := startFleet(t, "STOREFRONT_DEMO_DATA=true")
	want := blogdemo.Posts()
	var items []any
	for deadline := time.Now().Add(60 * time.Second); len(items) != len(want); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the public blog list has %d posts, want the %d demo posts", len(items), len(want))
		}
		items, _ = f.do(t, "GET", "/api/v1/blog/posts", nil, "").json(t)["items"].([]any)
	}
	if got := items[0].(map[string]any); got["slug"] != want[len(want)-1].GetSlug() || got["author_name"] != blogdemo.Author ||
		got["body_html"] == "" || got["excerpt"] == "" {
		t.Fatalf("newest demo post %v, want %s", got, want[len(want)-1].GetSlug())
	}

	// The sitemap, built from the read models once the posts are there: every demo post and
	// the demo products (loaded before the posts), each with its lastmod.
	r := f.do(t, "GET", "/sitemap.xml", nil, "")
	if r.status != 200 {
		t.Fatalf("GET /sitemap.xml: %d %s", r.status, r.body)
	}
	var sm struct {
		XMLName xml.Name
		URLs    []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal(r.body, &sm); err != nil || sm.XMLName.Space != "http://www.sitemaps.org/schemas/sitemap/0.9" {
		t.Fatalf("sitemap: %v %v", err, sm.XMLName)
	}
	locs := map[string]string{}
	for _, u := range sm.URLs {
		locs[u.Loc] = u.LastMod
	}
	pages := []string{"/products/" + catalogdemo.Products()[0].Slug}
	for _, p := range want {
		pages = append(pages, "/blog/"+p.GetSlug())
	}
	for _, p := range pages {
		lastmod, ok := locs[f.base+p]
		if _, err := time.Parse(time.RFC3339, lastmod); !ok || err != nil {
			t.Errorf("sitemap: %s listed %v, lastmod %q", p, ok, lastmod)
		}
	}
	if len(sm.URLs) < len(catalogdemo.Products())/2 {
		t.Errorf("sitemap lists %d urls for %d demo products", len(sm.URLs), len(catalogdemo.Products()))
	}
	r = f.do(t, "GET", "/robots.txt", nil, "")
	if r.status != 200 || !strings.Contains(string(r.body), "Sitemap: "+f.base+"/sitemap.xml") {
		t.Fatalf("GET /robots.txt: %d %s", r.status, r.body)
	}
}
