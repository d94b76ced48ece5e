package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestBlog drives the blog through the REST edge: an admin writes a draft that nobody else
// can see, publishes it, finds it in the list of its tag, cannot take its slug twice,
// unpublishes and deletes it; bad input and customers are refused.
func TestBlog(t *testing.T) {
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=1000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=1000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword)
	r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	admin := r.json(t)["access_token"].(string)
	adminName := f.do(t, "GET", "/api/v1/users/me", nil, admin).json(t)["name"].(string)
	_, pair := register(t, f, "reader")
	customer := pair["access_token"].(string)

	tag := "e2e-" + suffix()
	slug := "hello-" + suffix()
	body := map[string]any{
		"title": "Hello, blog", "slug": slug, "body_markdown": "# Hello\n\nA **first** post. <script>alert(1)</script>",
		"tags": []string{tag, "Go"}, "seo": map[string]string{"title": "Hello", "description": "The first post"},
	}

	// Only admins write.
	assertError(t, f.do(t, "POST", "/api/v1/blog/posts", body, customer), 403, "permission_denied")
	assertError(t, f.do(t, "POST", "/api/v1/blog/posts", body, ""), 401, "unauthenticated")
	// Bad input: every bad field named, nothing created.
	assertError(t, f.do(t, "POST", "/api/v1/blog/posts", map[string]any{"title": "", "slug": "Bad Slug", "body_markdown": "x",
		"tags": []string{"ok", "not ok"}, "seo": map[string]string{"title": strings.Repeat("t", 71)}}, admin),
		400, "invalid_argument", "title", "slug", "tags[1]", "seo.title")
	assertError(t, f.do(t, "POST", "/api/v1/blog/posts", map[string]any{"title": "T", "body_markdown": "x", "bogus": 1}, admin),
		400, "invalid_argument")

	// A draft: the admin sees it, nobody else does.
	r = f.do(t, "POST", "/api/v1/blog/posts", body, admin)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.json(t)
	if created["status"] != "draft" || created["published_at"] != "" || created["slug"] != slug || created["author_name"] != adminName {
		t.Fatalf("created %s (admin %q)", r.body, adminName)
	}
	if html := created["body_html"].(string); strings.Contains(html, "<script") || !strings.Contains(html, "<strong>first</strong>") {
		t.Fatalf("body_html %q", html)
	}
	if created["excerpt"] != "Hello A first post. alert(1)" {
		t.Fatalf("excerpt %q", created["excerpt"])
	}
	eventually(t, "the admin reads the draft", func() bool {
		return f.do(t, "GET", "/api/v1/blog/posts/"+slug, nil, admin).status == 200
	})
	assertError(t, f.do(t, "GET", "/api/v1/blog/posts/"+slug, nil, ""), 404, "not_found")
	assertError(t, f.do(t, "GET", "/api/v1/blog/posts/"+slug, nil, customer), 404, "not_found")

	// Published: in the list of its tag, for everyone.
	r = f.do(t, "POST", "/api/v1/blog/posts/"+slug+"/publish", map[string]any{}, admin)
	if r.status != 200 || r.json(t)["status"] != "published" || r.json(t)["published_at"] == "" {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	eventually(t, "the post in its tag's list", func() bool {
		l := f.do(t, "GET", "/api/v1/blog/posts?tag="+tag, nil, "").json(t)
		items, _ := l["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["slug"] == slug && l["total"] == float64(1) &&
			l["page"] == float64(1) && l["per_page"] == float64(24)
	})
	r = f.do(t, "GET", "/api/v1/blog/posts/"+slug, nil, "")
	if r.status != 200 || r.json(t)["seo"].(map[string]any)["description"] != "The first post" {
		t.Fatalf("public read: %d %s", r.status, r.body)
	}
	assertError(t, f.do(t, "GET", "/api/v1/blog/posts?per_page=101&tag=Not%20A%20Tag", nil, ""), 400, "invalid_argument", "per_page", "tag")

	// The slug is taken.
	other := map[string]any{"title": "Another", "slug": slug, "body_markdown": "Other."}
	assertError(t, f.do(t, "POST", "/api/v1/blog/posts", other, admin), 409, "already_exists")

	// Edited by PUT.
	r = f.do(t, "PUT", "/api/v1/blog/posts/"+slug, map[string]any{"title": "Hello again", "body_markdown": "Edited.", "tags": []string{tag}}, admin)
	if r.status != 200 || r.json(t)["title"] != "Hello again" || r.json(t)["excerpt"] != "Edited." || r.json(t)["status"] != "published" {
		t.Fatalf("update: %d %s", r.status, r.body)
	}

	// Unpublished: gone for the public.
	r = f.do(t, "POST", "/api/v1/blog/posts/"+slug+"/unpublish", map[string]any{}, admin)
	if r.status != 200 || r.json(t)["status"] != "draft" {
		t.Fatalf("unpublish: %d %s", r.status, r.body)
	}
	eventually(t, "the unpublished post leaves the public", func() bool {
		l := f.do(t, "GET", "/api/v1/blog/posts?tag="+tag, nil, "").json(t)
		return l["total"] == float64(0) && f.do(t, "GET", "/api/v1/blog/posts/"+slug, nil, "").status == 404
	})

	// Deleted: gone for everyone, and its slug is free.
	if r = f.do(t, "DELETE", "/api/v1/blog/posts/"+slug, nil, admin); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	assertError(t, f.do(t, "DELETE", "/api/v1/blog/posts/"+slug, nil, admin), 404, "not_found")
	eventually(t, "the deleted post leaves the read model", func() bool {
		return f.do(t, "GET", "/api/v1/blog/posts/"+slug, nil, admin).status == 404
	})
	if r = f.do(t, "POST", "/api/v1/blog/posts", other, admin); r.status != 201 {
		t.Fatalf("reusing a deleted post's slug: %d %s", r.status, r.body)
	}
}

// eventually polls ok for up to 10 s: the blog's reads are eventually consistent.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
