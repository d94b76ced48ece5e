package e2e

import (
	"testing"
	"time"

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
}
