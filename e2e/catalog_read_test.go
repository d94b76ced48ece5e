package e2e

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestCatalogRead drives the catalog's read endpoints through the REST edge: products the
// admin created reach the read model (the projector), then every filter, sort, pagination,
// get by id and slug, categories, the admin list, and the negative paths.
func TestCatalogRead(t *testing.T) {
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=1000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=1000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword,
		// Unfiltered lists and totals count only this test's products.
		"STOREFRONT_DEMO_DATA=false")
	r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	admin := r.json(t)["access_token"].(string)
	_, pair := register(t, f, "browser")
	c := catalogClient{f: f, admin: admin, customer: pair["access_token"].(string)}

	root := c.category(t, "")
	sub := c.category(t, root)
	other := c.category(t, "")
	product := func(name, description, category, price string, stock int) map[string]any {
		b := productBody("RD-"+suffix(), category)
		b["name"], b["description"], b["price"], b["stock"] = name, description, map[string]string{"amount": price, "currency": "USD"}, stock
		b["specs"] = []map[string]string{{"key": "layout", "value": "ansi", "unit": ""}}
		return c.create(t, b)
	}
	rd := readData{c: c, root: root, sub: sub, other: other}
	rd.split = product("Ergo Split Keyboard", "Two halves with tenting.", sub, "129.90", 5)
	rd.compact = product("Compact Mechanical Keyboard", "Sixty percent, hot-swap.", root, "89.99", 0)
	rd.budget = product("Budget Keyboard", "Membrane switches.", root, "89.99", 2)
	rd.monitor = product("Curved Monitor", "A wide screen.", other, "499.00", 3)
	rd.deleted = product("Retired Split Keyboard", "Gone.", sub, "10.00", 1)
	if r := f.do(t, "DELETE", "/api/v1/products/"+rd.deleted["id"].(string), nil, admin); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	rd.waitForReadModel(t)

	t.Run("filters and sorts", rd.testFilters)
	t.Run("pagination", rd.testPagination)
	t.Run("get by id and slug", rd.testGet)
	t.Run("categories", rd.testCategories)
	t.Run("admin list", rd.testAdminList)
	t.Run("invalid queries", rd.testInvalid)
}

type readData struct {
	c                                        catalogClient
	root, sub, other                         string
	split, compact, budget, monitor, deleted map[string]any
}

// waitForReadModel polls (≤ 5 s) until the lists show the products and the deletion.
func (rd readData) waitForReadModel(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a := rd.c.f.do(t, "GET", "/api/v1/products?per_page=100&category="+rd.root, nil, "")
		b := rd.c.f.do(t, "GET", "/api/v1/admin/products?status=deleted", nil, rd.c.admin)
		m := rd.c.f.do(t, "GET", "/api/v1/products?category="+rd.other, nil, "")
		if a.status == 200 && b.status == 200 && m.status == 200 &&
			a.json(t)["total"] == float64(3) && b.json(t)["total"] == float64(1) && m.json(t)["total"] == float64(1) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read model did not show the products within 5s: %d %s / %d %s", a.status, a.body, b.status, b.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func id(p map[string]any) string { return p["id"].(string) }

// byID orders products of equal sort keys as the API breaks ties: by id ascending.
func byID(ps ...map[string]any) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = id(p)
	}
	slices.Sort(out)
	return out
}

func ids(items []any) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func (rd readData) list(t *testing.T, query string) (items []any, total float64) {
	t.Helper()
	r := rd.c.f.do(t, "GET", "/api/v1/products?"+query, nil, "")
	if r.status != 200 {
		t.Fatalf("GET /products?%s: %d %s", query, r.status, r.body)
	}
	body := r.json(t)
	items, _ = body["items"].([]any)
	return items, body["total"].(float64)
}

func (rd readData) testFilters(t *testing.T) {
	cat := "category=" + rd.root
	tie := byID(rd.compact, rd.budget) // same price, same rating
	newest := []string{id(rd.budget), id(rd.compact), id(rd.split)}
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"default sort is newest, subcategories included, deleted left out", cat, newest},
		{"newest", cat + "&sort=newest", newest},
		{"relevance without q sorts as newest", cat + "&sort=relevance", newest},
		{"subcategory alone", "category=" + rd.sub, []string{id(rd.split)}},
		{"other category", "category=" + rd.other, []string{id(rd.monitor)}},
		{"unknown category", "category=no-such-category", []string{}},
		{"price_asc", cat + "&sort=price_asc", append(slices.Clone(tie), id(rd.split))},
		{"price_desc", cat + "&sort=price_desc", append([]string{id(rd.split)}, tie...)},
		{"rating_desc: all unrated, ties by id", cat + "&sort=rating_desc", byID(rd.split, rd.compact, rd.budget)},
		{"price range inclusive", cat + "&price_min=89.99&price_max=89.99", []string{id(rd.budget), id(rd.compact)}},
		{"price_min", "price_min=129.9", []string{id(rd.monitor), id(rd.split)}},
		{"price_max", "price_max=100", []string{id(rd.budget), id(rd.compact)}},
		{"in stock", cat + "&in_stock=true", []string{id(rd.budget), id(rd.split)}},
		{"out of stock", cat + "&in_stock=false", []string{id(rd.compact)}},
		{"q, best match first", "q=" + url.QueryEscape("split"), []string{id(rd.split)}},
		{"q over name, description and specs", "sort=newest&q=" + url.QueryEscape("keyboard"), newest},
		{"q matches specs", "sort=newest&q=" + url.QueryEscape("ansi"), []string{id(rd.monitor), id(rd.budget), id(rd.compact), id(rd.split)}},
		{"q with exclusion", "sort=newest&q=" + url.QueryEscape("keyboard -compact"), []string{id(rd.budget), id(rd.split)}},
		{"q with quoted phrase", "q=" + url.QueryEscape(`"mechanical keyboard"`), []string{id(rd.compact)}},
		{"q and filters", "sort=price_asc&q=keyboard&in_stock=true&" + cat, []string{id(rd.budget), id(rd.split)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, total := rd.list(t, tt.query+"&per_page=100")
			if diff := cmp.Diff(tt.want, ids(items)); diff != "" {
				t.Fatalf("GET /products?%s (-want +got):\n%s", tt.query, diff)
			}
			if int(total) != len(tt.want) {
				t.Fatalf("total %v, want %d", total, len(tt.want))
			}
		})
	}
}

func (rd readData) testPagination(t *testing.T) {
	for _, sort := range []string{"newest", "price_asc", "price_desc", "rating_desc"} {
		t.Run(sort, func(t *testing.T) {
			whole, _ := rd.list(t, "per_page=100&sort="+sort)
			var walked []string
			for page := 1; ; page++ {
				r := rd.c.f.do(t, "GET", fmt.Sprintf("/api/v1/products?sort=%s&per_page=2&page=%d", sort, page), nil, "")
				if r.status != 200 {
					t.Fatalf("page %d: %d %s", page, r.status, r.body)
				}
				body := r.json(t)
				if body["page"] != float64(page) || body["per_page"] != float64(2) || body["total"] != float64(len(whole)) {
					t.Fatalf("page %d envelope: %s", page, r.body)
				}
				items := body["items"].([]any)
				if len(items) == 0 {
					break
				}
				walked = append(walked, ids(items)...)
			}
			if diff := cmp.Diff(ids(whole), walked); diff != "" {
				t.Fatalf("pages walked (-whole +walked):\n%s", diff)
			}
		})
	}
	r := rd.c.f.do(t, "GET", "/api/v1/products?page=50&per_page=10", nil, "")
	if diff := cmp.Diff(map[string]any{"items": []any{}, "page": float64(50), "per_page": float64(10), "total": float64(4)}, r.json(t)); r.status != 200 || diff != "" {
		t.Fatalf("page past the end: %d (-want +got):\n%s", r.status, diff)
	}
	r = rd.c.f.do(t, "GET", "/api/v1/products", nil, "")
	if b := r.json(t); r.status != 200 || b["page"] != float64(1) || b["per_page"] != float64(24) || b["total"] != float64(4) {
		t.Fatalf("defaults: %d %s", r.status, r.body)
	}
}

func (rd readData) testGet(t *testing.T) {
	for _, key := range []string{id(rd.split), rd.split["slug"].(string)} {
		r := rd.c.f.do(t, "GET", "/api/v1/products/"+key, nil, "")
		if r.status != 200 {
			t.Fatalf("GET /products/%s: %d %s", key, r.status, r.body)
		}
		if diff := cmp.Diff(rd.split, r.json(t)); diff != "" {
			t.Fatalf("GET /products/%s (-created +read):\n%s", key, diff)
		}
	}
	for _, key := range []string{id(rd.deleted), rd.deleted["slug"].(string), "0190e4c2-7d5a-7c3e-8f00-0123456789ab", "no-such-product"} {
		assertError(t, rd.c.f.do(t, "GET", "/api/v1/products/"+key, nil, ""), 404, "not_found")
	}
}

func (rd readData) testCategories(t *testing.T) {
	r := rd.c.f.do(t, "GET", "/api/v1/categories", nil, "")
	if r.status != 200 {
		t.Fatalf("GET /categories: %d %s", r.status, r.body)
	}
	body := r.json(t)
	if len(body) != 2 {
		t.Fatalf("body %s, want exactly items and total", r.body)
	}
	items := body["items"].([]any)
	if body["total"] != float64(len(items)) {
		t.Fatalf("total %v for %d items", body["total"], len(items))
	}
	var slugs []string
	found := map[string]any{}
	for _, it := range items {
		c := it.(map[string]any)
		slugs = append(slugs, c["slug"].(string))
		found[c["slug"].(string)] = c
	}
	if !slices.IsSorted(slugs) { // Go compares strings byte-wise, as the API orders them
		t.Fatalf("categories not in byte order: %v", slugs)
	}
	want := map[string]any{"slug": rd.sub, "name": "Category " + rd.sub, "parent": rd.root}
	if diff := cmp.Diff(want, found[rd.sub]); diff != "" {
		t.Fatalf("subcategory (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"slug": rd.root, "name": "Category " + rd.root, "parent": ""}, found[rd.root]); diff != "" {
		t.Fatalf("category (-want +got):\n%s", diff)
	}
}

func (rd readData) testAdminList(t *testing.T) {
	newestFirst := []string{id(rd.deleted), id(rd.monitor), id(rd.budget), id(rd.compact), id(rd.split)}
	tests := []struct {
		query string
		want  []string
	}{
		{"", newestFirst},
		{"status=deleted", []string{id(rd.deleted)}},
		{"status=active", newestFirst[1:]},
	}
	for _, tt := range tests {
		t.Run("?"+tt.query, func(t *testing.T) {
			r := rd.c.f.do(t, "GET", "/api/v1/admin/products?per_page=100&"+tt.query, nil, rd.c.admin)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			body := r.json(t)
			if diff := cmp.Diff(tt.want, ids(body["items"].([]any))); diff != "" || body["total"] != float64(len(tt.want)) {
				t.Fatalf("admin list (-want +got):\n%s\ntotal %v", diff, body["total"])
			}
			if tt.query == "status=deleted" && body["items"].([]any)[0].(map[string]any)["status"] != "deleted" {
				t.Fatalf("deleted product's status: %s", r.body)
			}
		})
	}
	assertError(t, rd.c.f.do(t, "GET", "/api/v1/admin/products", nil, ""), 401, "unauthenticated")
	assertError(t, rd.c.f.do(t, "GET", "/api/v1/admin/products", nil, rd.c.customer), 403, "permission_denied")
	assertError(t, rd.c.f.do(t, "GET", "/api/v1/admin/products?status=gone", nil, rd.c.admin), 400, "invalid_argument", "status")
}

func (rd readData) testInvalid(t *testing.T) {
	tests := []struct {
		query  string
		fields []string
	}{
		{"per_page=0", []string{"per_page"}},
		{"per_page=101", []string{"per_page"}},
		{"page=0", []string{"page"}},
		{"sort=bogus", []string{"sort"}},
		{"price_min=abc", []string{"price_min"}},
		{"price_min=12.345", []string{"price_min"}},
		{"price_max=-1", []string{"price_max"}},
		{"price_min=20&price_max=10", []string{"price_min"}},
		{"page=0&per_page=0&sort=bogus", []string{"page", "per_page", "sort"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			assertError(t, rd.c.f.do(t, "GET", "/api/v1/products?"+tt.query, nil, ""), 400, "invalid_argument", tt.fields...)
		})
	}
	if r := rd.c.f.do(t, "GET", "/api/v1/products?q="+url.QueryEscape(strings.Repeat("x", 201)), nil, ""); r.status != 400 {
		t.Fatalf("a 201-character q: %d %s", r.status, r.body)
	}
}
