package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestReviews drives reviews through the REST edge against the fleet as `make run` starts
// it: one review per user per product, the author's edits, an admin's removal, the verified
// purchase flag from paid orders (an order paid before the review and one paid after it), a
// product's reviews newest first, and its rating in the catalog; every negative path answers
// API.md's error and changes nothing.
func TestReviews(t *testing.T) {
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=10000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=10000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword)
	r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	admin := r.json(t)["access_token"].(string)
	_, ada := register(t, f, "ada")
	_, grace := register(t, f, "grace")
	c := reviewsClient{f: f, admin: admin, ada: ada["access_token"].(string), grace: grace["access_token"].(string)}
	c.checkout = checkoutClient{f: f, admin: admin, buyer: c.ada}
	c.checkout.cart = cartClient{f: f, catalog: catalogClient{f: f, admin: admin, customer: c.ada}, shopper: c.ada, other: c.grace}
	c.checkout.category = c.checkout.cart.catalog.category(t, "")
	c.product = c.checkout.cart.product(t, c.checkout.category, "49.90", 20)

	t.Run("write, read, edit", c.testWrite)
	t.Run("bad input changes nothing", c.testNegative)
	t.Run("list newest first and rating", c.testListAndRating)
	t.Run("verified purchase", c.testVerified)
	t.Run("admin removal", c.testRemoval)
}

type reviewsClient struct {
	f                  *fleet
	admin, ada, grace  string
	checkout           checkoutClient
	product            string
	adaReview, gReview string
}

func (c *reviewsClient) post(t *testing.T, token string, body map[string]any) response {
	t.Helper()
	return c.f.do(t, "POST", "/api/v1/reviews", body, token)
}

func (c *reviewsClient) testWrite(t *testing.T) {
	r := c.post(t, c.ada, map[string]any{"product_id": c.product, "rating": 4, "title": "  Solid board ", "text": "Types well."})
	if r.status != 201 {
		t.Fatalf("POST /reviews: %d %s", r.status, r.body)
	}
	rv := r.json(t)
	if rv["product_id"] != c.product || rv["rating"] != 4.0 || rv["title"] != "Solid board" || rv["text"] != "Types well." ||
		rv["author_name"] != "ada" || rv["verified_purchase"] != false || rv["created_at"] == "" || rv["user_id"] == "" {
		t.Fatalf("review %s", r.body)
	}
	c.adaReview = rv["id"].(string)
	got := c.f.do(t, "GET", "/api/v1/reviews/"+c.adaReview, nil, "")
	if got.status != 200 || got.json(t)["title"] != "Solid board" {
		t.Fatalf("GET /reviews/{id}: %d %s", got.status, got.body)
	}
	// One per user per product.
	assertError(t, c.post(t, c.ada, map[string]any{"product_id": c.product, "rating": 5, "title": "Again"}), 409, "already_exists")
	// Only the author edits.
	assertError(t, c.f.do(t, "PATCH", "/api/v1/reviews/"+c.adaReview, map[string]any{"rating": 1}, c.grace), 403, "permission_denied")
	r = c.f.do(t, "PATCH", "/api/v1/reviews/"+c.adaReview, map[string]any{"rating": 2, "text": "The keycaps wore out."}, c.ada)
	if r.status != 200 || r.json(t)["rating"] != 2.0 || r.json(t)["title"] != "Solid board" || r.json(t)["text"] != "The keycaps wore out." {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	if got := c.f.do(t, "GET", "/api/v1/reviews/"+c.adaReview, nil, c.ada).json(t); got["rating"] != 2.0 {
		t.Fatalf("the author's next read: %v", got)
	}
}

func (c *reviewsClient) testNegative(t *testing.T) {
	body := func(kv ...any) map[string]any {
		m := map[string]any{"product_id": c.product, "rating": 3, "title": "Fine", "text": ""}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		code   string
		fields []string
	}{
		{"anonymous", "", body(), 401, "unauthenticated", nil},
		{"rating 0", c.grace, body("rating", 0), 400, "invalid_argument", []string{"rating"}},
		{"rating 6", c.grace, body("rating", 6), 400, "invalid_argument", []string{"rating"}},
		{"no title", c.grace, body("title", " "), 400, "invalid_argument", []string{"title"}},
		{"text too long", c.grace, body("text", strings.Repeat("x", 5001)), 400, "invalid_argument", []string{"text"}},
		{"not a product id", c.grace, body("product_id", "keyboard"), 400, "invalid_argument", []string{"product_id"}},
		{"unknown product", c.grace, body("product_id", "0190a000-0000-7000-8000-000000000999"), 404, "not_found", nil},
		{"unknown field", c.grace, body("stars", 5), 400, "invalid_argument", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, c.post(t, tt.token, tt.body), tt.status, tt.code, tt.fields...)
		})
	}
	assertError(t, c.f.do(t, "PATCH", "/api/v1/reviews/"+c.adaReview, map[string]any{"rating": 9}, c.ada), 400, "invalid_argument", "rating")
	assertError(t, c.f.do(t, "GET", "/api/v1/reviews/0190a000-0000-7000-8000-000000000999", nil, ""), 404, "not_found")
	assertError(t, c.f.do(t, "GET", "/api/v1/reviews/nope", nil, ""), 404, "not_found")
	assertError(t, c.f.do(t, "GET", "/api/v1/products/"+c.product+"/reviews?per_page=0", nil, ""), 400, "invalid_argument", "per_page")
	assertError(t, c.f.do(t, "GET", "/api/v1/products/no-such-product/reviews", nil, ""), 404, "not_found")
	// Nothing changed: grace has no review, ada's is as she left it.
	if got := c.f.do(t, "GET", "/api/v1/reviews/"+c.adaReview, nil, "").json(t); got["rating"] != 2.0 {
		t.Fatalf("ada's review after bad input: %v", got)
	}
}

// reviewsOf polls the product's list (by id or slug) until ok holds (the list is a shared
// view, eventually consistent).
func (c *reviewsClient) reviewsOf(t *testing.T, product, query, what string, ok func(items []any, total float64) bool) []any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := c.f.do(t, "GET", "/api/v1/products/"+product+"/reviews"+query, nil, "")
		if r.status != 200 {
			t.Fatalf("GET reviews: %d %s", r.status, r.body)
		}
		body := r.json(t)
		items, _ := body["items"].([]any)
		if ok(items, body["total"].(float64)) {
			return items
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the list never got there: %s", what, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rating polls the product until its rating is average/count.
func (c *reviewsClient) rating(t *testing.T, average float64, count int) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := c.f.do(t, "GET", "/api/v1/products/"+c.product, nil, "")
		if r.status != 200 {
			t.Fatalf("GET product: %d %s", r.status, r.body)
		}
		p := r.json(t)
		rt := p["rating"].(map[string]any)
		if rt["average"] == average && rt["count"] == float64(count) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("rating never became %v over %d: %v", average, count, rt)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *reviewsClient) testListAndRating(t *testing.T) {
	r := c.post(t, c.grace, map[string]any{"product_id": c.product, "rating": 5, "title": "Best keyboard"})
	if r.status != 201 {
		t.Fatalf("grace's review: %d %s", r.status, r.body)
	}
	c.gReview = r.json(t)["id"].(string)
	items := c.reviewsOf(t, c.product, "", "two reviews", func(items []any, total float64) bool { return total == 2 })
	if got := []any{items[0].(map[string]any)["id"], items[1].(map[string]any)["id"]}; got[0] != c.gReview || got[1] != c.adaReview {
		t.Fatalf("order %v, want newest first", got)
	}
	if items[1].(map[string]any)["rating"] != 2.0 {
		t.Fatalf("the list shows the edit: %v", items[1])
	}
	p := c.rating(t, 3.5, 2)
	// By slug, paginated.
	page := c.reviewsOf(t, p["slug"].(string), "?page=2&per_page=1", "page 2", func(items []any, total float64) bool {
		return total == 2 && len(items) == 1
	})
	if page[0].(map[string]any)["id"] != c.adaReview {
		t.Fatalf("page 2: %v", page)
	}
	c.reviewsOf(t, c.product, "?page=3&per_page=1", "past the end", func(items []any, total float64) bool { return len(items) == 0 && total == 2 })
	// sort=rating_desc sees the rating.
	r = c.f.do(t, "GET", "/api/v1/products?category="+c.checkout.category+"&sort=rating_desc", nil, "")
	if r.status != 200 || !strings.Contains(string(r.body), `"average":3.5`) {
		t.Fatalf("rating_desc: %d %s", r.status, r.body)
	}
}

// verified polls a review until its verified_purchase is true.
func (c *reviewsClient) verified(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.f.do(t, "GET", "/api/v1/reviews/"+id, nil, "")
		if r.status == 200 && r.json(t)["verified_purchase"] == true {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("review %s never verified: %d %s", id, r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *reviewsClient) buy(t *testing.T, token, product string) {
	t.Helper()
	c.checkout.add(t, token, product, 1)
	r := c.checkout.place(t, token, nil)
	if r.status != 201 {
		t.Fatalf("POST /orders: %d %s", r.status, r.body)
	}
	c.checkout.settled(t, token, r.json(t)["id"].(string), "paid")
}

func (c *reviewsClient) testVerified(t *testing.T) {
	// Ada reviewed first, then buys: her review turns verified.
	c.buy(t, c.ada, c.product)
	c.verified(t, c.adaReview)
	c.reviewsOf(t, c.product, "", "verified in the list", func(items []any, _ float64) bool {
		for _, it := range items {
			if it := it.(map[string]any); it["id"] == c.adaReview {
				return it["verified_purchase"] == true
			}
		}
		return false
	})
	// Linus buys first, then reviews: verified from the start, once the payment reached the
	// reviews context.
	_, linus := register(t, c.f, "linus")
	token := linus["access_token"].(string)
	c.buy(t, token, c.product)
	r := c.post(t, token, map[string]any{"product_id": c.product, "rating": 3, "title": "Does the job"})
	if r.status != 201 {
		t.Fatalf("linus's review: %d %s", r.status, r.body)
	}
	c.verified(t, r.json(t)["id"].(string))
	// Grace never bought it.
	if got := c.f.do(t, "GET", "/api/v1/reviews/"+c.gReview, nil, "").json(t); got["verified_purchase"] != false {
		t.Fatalf("grace's review verified: %v", got)
	}
	c.rating(t, 3.33, 3) // 10/3, rounded to two decimals
}

func (c *reviewsClient) testRemoval(t *testing.T) {
	path := "/api/v1/reviews/" + c.gReview
	assertError(t, c.f.do(t, "DELETE", path, nil, c.ada), 403, "permission_denied")
	assertError(t, c.f.do(t, "DELETE", path+"?reason="+strings.Repeat("x", 501), nil, c.admin), 400, "invalid_argument", "reason")
	if r := c.f.do(t, "DELETE", path+"?reason=spam", nil, c.admin); r.status != 204 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	assertError(t, c.f.do(t, "GET", path, nil, ""), 404, "not_found")
	assertError(t, c.f.do(t, "DELETE", path, nil, c.admin), 404, "not_found")
	assertError(t, c.post(t, c.grace, map[string]any{"product_id": c.product, "rating": 5, "title": "Again"}), 409, "already_exists")
	c.reviewsOf(t, c.product, "", "removed from the list", func(items []any, total float64) bool {
		for _, it := range items {
			if it.(map[string]any)["id"] == c.gReview {
				return false
			}
		}
		return total == 2
	})
	c.rating(t, 2.5, 2)
}
