package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestCatalogAdmin drives the catalog's admin commands through the REST edge: categories,
// and creating, replacing and deleting products, with their RBAC and validation errors.
// (The list and read endpoints serve the catalog read model, tested with it.)
func TestCatalogAdmin(t *testing.T) {
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=1000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=1000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword)
	r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	admin := r.json(t)["access_token"].(string)
	_, pair := register(t, f, "shopper")
	customer := pair["access_token"].(string)
	c := catalogClient{f: f, admin: admin, customer: customer}

	t.Run("categories", c.testCategories)
	t.Run("create product", c.testCreateProduct)
	t.Run("update product", c.testUpdateProduct)
	t.Run("delete product", c.testDeleteProduct)
	t.Run("product images", c.testImages)
	t.Run("product events reach JetStream", c.testCatalogEvents)
}

type catalogClient struct {
	f               *fleet
	admin, customer string
}

func suffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// category creates a category as the admin and returns its slug.
func (c catalogClient) category(t *testing.T, parent string) string {
	t.Helper()
	slug := "cat-" + suffix()
	r := c.f.do(t, "POST", "/api/v1/categories", map[string]string{"slug": slug, "name": "Category " + slug, "parent": parent}, c.admin)
	if r.status != 201 {
		t.Fatalf("create category: %d %s", r.status, r.body)
	}
	return slug
}

func productBody(sku, category string) map[string]any {
	return map[string]any{
		"sku": sku, "name": "Split Keyboard " + sku, "description": "A split mechanical keyboard.", "category": category,
		"brand": "Keeb Co", "price": map[string]string{"amount": "129.9", "currency": "USD"},
		"specs":  []map[string]string{{"key": "switches", "value": "Gateron Brown", "unit": ""}, {"key": "weight", "value": "1.2", "unit": "kg"}},
		"images": []map[string]string{{"url": "https://img.example.com/kb.png", "alt": "the keyboard"}},
		"stock":  7,
	}
}

// imageID is the id of a product's i-th image, which must be a UUID.
func imageID(t *testing.T, product map[string]any, i int) string {
	t.Helper()
	images, _ := product["images"].([]any)
	if len(images) <= i {
		t.Fatalf("product has no image %d: %v", i, product["images"])
	}
	id, _ := images[i].(map[string]any)["id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("image id %q is not a UUID", id)
	}
	return id
}

func (c catalogClient) create(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	r := c.f.do(t, "POST", "/api/v1/products", body, c.admin)
	if r.status != 201 {
		t.Fatalf("create product: %d %s", r.status, r.body)
	}
	return r.json(t)
}

func (c catalogClient) testCategories(t *testing.T) {
	parent := "kb-" + suffix()
	r := c.f.do(t, "POST", "/api/v1/categories", map[string]string{"slug": parent, "name": "Keyboards", "parent": ""}, c.admin)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if diff := cmp.Diff(map[string]any{"slug": parent, "name": "Keyboards", "parent": ""}, r.json(t)); diff != "" {
		t.Fatalf("category body (-want +got):\n%s", diff)
	}
	child := parent + "-split"
	r = c.f.do(t, "POST", "/api/v1/categories", map[string]string{"slug": child, "name": "Split keyboards", "parent": parent}, c.admin)
	if r.status != 201 || r.json(t)["parent"] != parent {
		t.Fatalf("create child: %d %s", r.status, r.body)
	}
	tests := []struct {
		name   string
		body   any
		token  string
		status int
		code   string
		fields []string
	}{
		{"duplicate slug", map[string]string{"slug": parent, "name": "Again"}, c.admin, 409, "already_exists", nil},
		{"missing parent", map[string]string{"slug": "orphan-" + suffix(), "name": "Orphan", "parent": "no-such-" + suffix()}, c.admin, 400, "invalid_argument", []string{"parent"}},
		{"bad slug and no name", map[string]string{"slug": "Key Boards", "name": ""}, c.admin, 400, "invalid_argument", []string{"slug", "name"}},
		{"customer", map[string]string{"slug": "x-" + suffix(), "name": "X"}, c.customer, 403, "permission_denied", nil},
		{"no token", map[string]string{"slug": "x-" + suffix(), "name": "X"}, "", 401, "unauthenticated", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, c.f.do(t, "POST", "/api/v1/categories", tt.body, tt.token), tt.status, tt.code, tt.fields...)
		})
	}
}

func (c catalogClient) testCreateProduct(t *testing.T) {
	cat := c.category(t, "")
	sku := "KB-" + suffix()
	got := c.create(t, productBody(sku, cat))
	id, _ := got["id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("id %q is not a UUID", got["id"])
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if s, _ := got[k].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(s) {
			t.Fatalf("%s %q is not RFC 3339 UTC", k, got[k])
		}
	}
	want := map[string]any{
		"id": id, "sku": sku, "name": "Split Keyboard " + sku, "slug": "split-keyboard-" + strings.ToLower(sku),
		"description": "A split mechanical keyboard.", "category": cat, "brand": "Keeb Co",
		"price": map[string]any{"amount": "129.90", "currency": "USD"},
		"specs": []any{map[string]any{"key": "switches", "value": "Gateron Brown", "unit": ""}, map[string]any{"key": "weight", "value": "1.2", "unit": "kg"}},
		// An image given by URL has an id, and no size or renditions (API.md).
		"images": []any{map[string]any{"url": "https://img.example.com/kb.png", "alt": "the keyboard", "id": imageID(t, got, 0),
			"width": float64(0), "height": float64(0), "variants": []any{}}},
		"stock": float64(7), "in_stock": true, "rating": map[string]any{"average": float64(0), "count": float64(0)}, "status": "active",
		"created_at": got["created_at"], "updated_at": got["updated_at"],
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("product body (-want +got):\n%s", diff)
	}

	// The same name again: the derived slug gets a numeric suffix.
	again := productBody("KB2-"+suffix(), cat)
	again["name"] = got["name"]
	if s := c.create(t, again)["slug"]; s != got["slug"].(string)+"-2" {
		t.Fatalf("second slug %q", s)
	}

	with := func(edit func(map[string]any)) map[string]any {
		b := productBody("KB-"+suffix(), cat)
		edit(b)
		return b
	}
	tests := []struct {
		name   string
		body   any
		token  string
		status int
		code   string
		fields []string
	}{
		{"duplicate SKU", productBody(sku, cat), c.admin, 409, "already_exists", nil},
		{"duplicate SKU in other case", productBody(strings.ToLower(sku), cat), c.admin, 409, "already_exists", nil},
		{"given slug taken", with(func(b map[string]any) { b["slug"] = got["slug"] }), c.admin, 409, "already_exists", nil},
		{"price 0", with(func(b map[string]any) { b["price"] = map[string]string{"amount": "0", "currency": "USD"} }), c.admin, 400, "invalid_argument", []string{"price"}},
		{"negative price", with(func(b map[string]any) { b["price"] = map[string]string{"amount": "-1.00"} }), c.admin, 400, "invalid_argument", []string{"price"}},
		{"three decimals", with(func(b map[string]any) { b["price"] = map[string]string{"amount": "12.345"} }), c.admin, 400, "invalid_argument", []string{"price"}},
		{"price as a JSON number", with(func(b map[string]any) { b["price"] = map[string]any{"amount": 12.5} }), c.admin, 400, "invalid_argument", nil},
		{"no price", with(func(b map[string]any) { delete(b, "price") }), c.admin, 400, "invalid_argument", []string{"price"}},
		{"other currency", with(func(b map[string]any) { b["price"] = map[string]string{"amount": "1", "currency": "EUR"} }), c.admin, 400, "invalid_argument", []string{"price.currency"}},
		{"unknown category", with(func(b map[string]any) { b["category"] = "no-such-" + suffix() }), c.admin, 400, "invalid_argument", []string{"category"}},
		{"bad image URL and spec", with(func(b map[string]any) {
			b["images"] = []map[string]string{{"url": "javascript:alert(1)"}}
			b["specs"] = []map[string]string{{"key": "", "value": "x"}}
		}), c.admin, 400, "invalid_argument", []string{"images[0].url", "specs[0].key"}},
		{"negative stock", with(func(b map[string]any) { b["stock"] = -1 }), c.admin, 400, "invalid_argument", []string{"stock"}},
		{"no sku or name", with(func(b map[string]any) { b["sku"], b["name"] = "", "" }), c.admin, 400, "invalid_argument", []string{"sku", "name"}},
		{"unknown field", with(func(b map[string]any) { b["prise"] = "1" }), c.admin, 400, "invalid_argument", nil},
		{"customer", productBody("KB-"+suffix(), cat), c.customer, 403, "permission_denied", nil},
		{"no token", productBody("KB-"+suffix(), cat), "", 401, "unauthenticated", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, c.f.do(t, "POST", "/api/v1/products", tt.body, tt.token), tt.status, tt.code, tt.fields...)
		})
	}
}

func (c catalogClient) testUpdateProduct(t *testing.T) {
	cat, other := c.category(t, ""), c.category(t, "")
	p := c.create(t, productBody("KB-"+suffix(), cat))
	id := p["id"].(string)
	body := productBody(p["sku"].(string), other)
	body["name"] = "Split Keyboard Pro"
	body["price"] = map[string]string{"amount": "149"}
	body["stock"] = 2
	body["specs"] = []any{}
	r := c.f.do(t, "PUT", "/api/v1/products/"+id, body, c.admin)
	if r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	got := r.json(t)
	if got["name"] != "Split Keyboard Pro" || got["slug"] != p["slug"] || got["category"] != other || got["stock"] != float64(2) ||
		got["price"].(map[string]any)["amount"] != "149.00" || len(got["specs"].([]any)) != 0 || got["created_at"] != p["created_at"] {
		t.Fatalf("updated product %s", r.body)
	}
	// Stock left out keeps the stock.
	delete(body, "stock")
	if r := c.f.do(t, "PUT", "/api/v1/products/"+id, body, c.admin); r.status != 200 || r.json(t)["stock"] != float64(2) {
		t.Fatalf("put without stock: %d %s", r.status, r.body)
	}
	taken := c.create(t, productBody("KB-"+suffix(), cat))
	tests := []struct {
		name   string
		path   string
		edit   func(map[string]any)
		token  string
		status int
		code   string
		fields []string
	}{
		{"unknown product", "/api/v1/products/0190e4c2-7d5a-7c3e-8f00-0123456789ab", nil, c.admin, 404, "not_found", nil},
		{"price 0", "", func(b map[string]any) { b["price"] = map[string]string{"amount": "0.00"} }, c.admin, 400, "invalid_argument", []string{"price"}},
		{"SKU of another product", "", func(b map[string]any) { b["sku"] = taken["sku"] }, c.admin, 409, "already_exists", nil},
		{"slug of another product", "", func(b map[string]any) { b["slug"] = taken["slug"] }, c.admin, 409, "already_exists", nil},
		{"bad status", "", func(b map[string]any) { b["status"] = "gone" }, c.admin, 400, "invalid_argument", []string{"status"}},
		{"customer", "", nil, c.customer, 403, "permission_denied", nil},
		{"no token", "", nil, "", 401, "unauthenticated", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := map[string]any{}
			for k, v := range body {
				b[k] = v
			}
			if tt.edit != nil {
				tt.edit(b)
			}
			path := tt.path
			if path == "" {
				path = "/api/v1/products/" + id
			}
			assertError(t, c.f.do(t, "PUT", path, b, tt.token), tt.status, tt.code, tt.fields...)
		})
	}
}

func (c catalogClient) testDeleteProduct(t *testing.T) {
	cat := c.category(t, "")
	p := c.create(t, productBody("KB-"+suffix(), cat))
	path := "/api/v1/products/" + p["id"].(string)
	assertError(t, c.f.do(t, "DELETE", path, nil, c.customer), 403, "permission_denied")
	assertError(t, c.f.do(t, "DELETE", path, nil, ""), 401, "unauthenticated")
	for range 2 { // deleting is idempotent
		if r := c.f.do(t, "DELETE", path, nil, c.admin); r.status != 204 || len(r.body) != 0 {
			t.Fatalf("delete: %d %q", r.status, r.body)
		}
	}
	assertError(t, c.f.do(t, "DELETE", "/api/v1/products/0190e4c2-7d5a-7c3e-8f00-0123456789ab", nil, c.admin), 404, "not_found")
	// A deleted product keeps its SKU, and changes only when restored.
	assertError(t, c.f.do(t, "POST", "/api/v1/products", productBody(p["sku"].(string), cat), c.admin), 409, "already_exists")
	body := productBody(p["sku"].(string), cat)
	assertError(t, c.f.do(t, "PUT", path, body, c.admin), 409, "failed_precondition")
	body["status"] = "active"
	if r := c.f.do(t, "PUT", path, body, c.admin); r.status != 200 || r.json(t)["status"] != "active" {
		t.Fatalf("restore: %d %s", r.status, r.body)
	}
}

func (c catalogClient) testCatalogEvents(t *testing.T) {
	cat := c.category(t, "")
	sku := "EV-" + suffix()
	c.create(t, productBody(sku, cat))
	nc, err := nats.Connect(c.f.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if stream, err := js.Stream(t.Context(), "CATALOG"); err == nil && hasMessage(t, stream, "catalog.product.ProductCreated", sku) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ProductCreated for %s on the CATALOG stream", sku)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func hasMessage(t *testing.T, s jetstream.Stream, subject, content string) bool {
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		msg, err := s.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(msg.Subject, "catalog.reservation.") {
			t.Fatalf("private reservation event on JetStream: %s", msg.Subject)
		}
		if msg.Subject == subject && strings.Contains(string(msg.Data), content) {
			return true
		}
	}
	return false
}
