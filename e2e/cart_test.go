package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestCartAndWishlist drives the cart and the wishlist through the REST edge against the
// fleet as `make run` starts it: a shopper fills a cart and a wishlist with products an admin
// created, the catalog's price changes and deletions reach them through NATS, and every
// negative path answers API.md's error body and changes nothing.
func TestCartAndWishlist(t *testing.T) {
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=5000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=5000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword)
	r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	admin := r.json(t)["access_token"].(string)
	_, pair := register(t, f, "cart-shopper")
	shopper := pair["access_token"].(string)
	_, other := register(t, f, "cart-other")
	c := cartClient{f: f, catalog: catalogClient{f: f, admin: admin, customer: shopper}, shopper: shopper, other: other["access_token"].(string)}
	cat := c.catalog.category(t, "")
	c.keyboard = c.product(t, cat, "129.90", 7)
	c.monitor = c.product(t, cat, "300", 50)

	t.Run("empty cart", c.testEmptyCart)
	t.Run("add, raise, patch, remove", c.testLines)
	t.Run("bad input changes nothing", c.testNegative)
	t.Run("another user's lines", c.testOtherUser)
	t.Run("wishlist", c.testWishlist)
	t.Run("price change reaches carts and wishlists", c.testPriceChange)
	t.Run("deleted product", c.testDeletedProduct)
	t.Run("cart events reach JetStream", c.testEvents)
}

type cartClient struct {
	f                 *fleet
	catalog           catalogClient
	shopper, other    string
	keyboard, monitor string
}

// product creates a product and waits until the cart context knows it (its read model is
// eventually consistent: API.md allows a 404 for a product a moment old).
func (c cartClient) product(t *testing.T, category, price string, stock int) string {
	t.Helper()
	body := productBody("CART-"+suffix(), category)
	body["price"], body["stock"] = map[string]string{"amount": price, "currency": "USD"}, stock
	id := c.catalog.create(t, body)["id"].(string)
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := c.f.do(t, "POST", "/api/v1/wishlist/items", map[string]string{"product_id": id}, c.other)
		if r.status == 201 {
			c.f.do(t, "DELETE", "/api/v1/wishlist/items/"+r.json(t)["id"].(string), nil, c.other)
			return id
		}
		if r.status != 404 || time.Now().After(deadline) {
			t.Fatalf("the cart never learned of product %s: %d %s", id, r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c cartClient) cart(t *testing.T, token string) map[string]any {
	t.Helper()
	r := c.f.do(t, "GET", "/api/v1/cart", nil, token)
	if r.status != 200 {
		t.Fatalf("GET /cart: %d %s", r.status, r.body)
	}
	return r.json(t)
}

func items(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, it := range m["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func amount(m map[string]any, field string) string {
	return m[field].(map[string]any)["amount"].(string)
}

func (c cartClient) testEmptyCart(t *testing.T) {
	cart := c.cart(t, c.other)
	if cart["id"] == "" || len(items(cart)) != 0 || cart["item_count"] != 0.0 || amount(cart, "subtotal") != "0.00" {
		t.Fatalf("a new user's cart: %v", cart)
	}
	if again := c.cart(t, c.other); again["id"] != cart["id"] {
		t.Fatalf("the cart's id changed: %v then %v", cart["id"], again["id"])
	}
	assertError(t, c.f.do(t, "GET", "/api/v1/cart", nil, ""), 401, "unauthenticated")
	assertError(t, c.f.do(t, "GET", "/api/v1/wishlist", nil, ""), 401, "unauthenticated")
}

func (c cartClient) testLines(t *testing.T) {
	r := c.f.do(t, "POST", "/api/v1/cart/items", map[string]any{"product_id": c.keyboard, "quantity": 2}, c.shopper)
	if r.status != 201 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	cart := r.json(t)
	line := items(cart)[0]
	if line["product_id"] != c.keyboard || line["quantity"] != 2.0 || amount(line, "unit_price") != "129.90" ||
		amount(line, "line_total") != "259.80" || line["available"] != true || line["stock"] != 7.0 || line["sku"] == "" || line["name"] == "" {
		t.Fatalf("line after the add: %v", line)
	}
	// The same product again adds to its line; no quantity means 1.
	cart = c.f.do(t, "POST", "/api/v1/cart/items", map[string]any{"product_id": c.keyboard}, c.shopper).json(t)
	if got := items(cart); len(got) != 1 || got[0]["id"] != line["id"] || got[0]["quantity"] != 3.0 {
		t.Fatalf("after adding the product again: %v", cart)
	}
	cart = c.f.do(t, "POST", "/api/v1/cart/items", map[string]any{"product_id": c.monitor, "quantity": 1}, c.shopper).json(t)
	if cart["item_count"] != 4.0 || amount(cart, "subtotal") != "689.70" {
		t.Fatalf("cart with two lines: %v", cart)
	}
	// Read-your-writes: the next read shows it.
	if got := c.cart(t, c.shopper); got["item_count"] != 4.0 || len(items(got)) != 2 {
		t.Fatalf("GET after the adds: %v", got)
	}
	r = c.f.do(t, "PATCH", "/api/v1/cart/items/"+line["id"].(string), map[string]any{"quantity": 1}, c.shopper)
	if r.status != 200 || items(r.json(t))[0]["quantity"] != 1.0 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	monitorLine := items(cart)[1]["id"].(string)
	if r := c.f.do(t, "DELETE", "/api/v1/cart/items/"+monitorLine, nil, c.shopper); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	assertError(t, c.f.do(t, "DELETE", "/api/v1/cart/items/"+monitorLine, nil, c.shopper), 404, "not_found")
	if got := c.cart(t, c.shopper); len(items(got)) != 1 || got["item_count"] != 1.0 || amount(got, "subtotal") != "129.90" {
		t.Fatalf("after patch and delete: %v", got)
	}
}

func (c cartClient) testNegative(t *testing.T) {
	before := c.f.do(t, "GET", "/api/v1/cart", nil, c.shopper).body
	line := items(c.cart(t, c.shopper))[0]["id"].(string)
	post := func(body any) response { return c.f.do(t, "POST", "/api/v1/cart/items", body, c.shopper) }
	assertError(t, post(map[string]any{"product_id": c.keyboard, "quantity": 7}), 409, "failed_precondition")
	assertError(t, post(map[string]any{"product_id": c.keyboard, "quantity": 0}), 400, "invalid_argument", "quantity")
	assertError(t, post(map[string]any{"product_id": c.keyboard, "quantity": 100}), 400, "invalid_argument", "quantity")
	assertError(t, post(map[string]any{"product_id": c.keyboard, "quantitiy": 1}), 400, "invalid_argument")
	assertError(t, post(`{"product_id": "`+c.keyboard+`", "quantity": "two"}`), 400, "invalid_argument")
	assertError(t, post(map[string]any{"product_id": "01900000-0000-7000-8000-000000000000"}), 404, "not_found")
	assertError(t, post(map[string]any{"product_id": "keyboard"}), 400, "invalid_argument", "product_id")
	assertError(t, post(map[string]any{}), 400, "invalid_argument", "product_id")
	patch := func(id string, q any) response {
		return c.f.do(t, "PATCH", "/api/v1/cart/items/"+id, map[string]any{"quantity": q}, c.shopper)
	}
	assertError(t, patch(line, 8), 409, "failed_precondition")
	assertError(t, patch(line, 0), 400, "invalid_argument", "quantity")
	assertError(t, patch("01900000-0000-7000-8000-000000000000", 1), 404, "not_found")
	if after := c.f.do(t, "GET", "/api/v1/cart", nil, c.shopper).body; string(after) != string(before) {
		t.Fatalf("refused requests changed the cart:\nbefore %s\nafter  %s", before, after)
	}
}

func (c cartClient) testOtherUser(t *testing.T) {
	line := items(c.cart(t, c.shopper))[0]["id"].(string)
	assertError(t, c.f.do(t, "PATCH", "/api/v1/cart/items/"+line, map[string]any{"quantity": 2}, c.other), 404, "not_found")
	assertError(t, c.f.do(t, "DELETE", "/api/v1/cart/items/"+line, nil, c.other), 404, "not_found")
	if len(items(c.cart(t, c.shopper))) != 1 {
		t.Fatal("another user changed the shopper's cart")
	}
	for _, it := range items(c.cart(t, c.other)) {
		if it["id"] == line {
			t.Fatal("another user sees the shopper's line")
		}
	}
}

func (c cartClient) testWishlist(t *testing.T) {
	r := c.f.do(t, "POST", "/api/v1/wishlist/items", map[string]any{"product_id": c.monitor}, c.shopper)
	if r.status != 201 {
		t.Fatalf("wishlist add: %d %s", r.status, r.body)
	}
	item := r.json(t)
	if item["product_id"] != c.monitor || amount(item, "price") != "300.00" || item["name"] == "" || item["added_at"] == "" || item["available"] != true {
		t.Fatalf("wishlist item: %v", item)
	}
	again := c.f.do(t, "POST", "/api/v1/wishlist/items", map[string]any{"product_id": c.monitor}, c.shopper)
	if again.status != 200 || again.json(t)["id"] != item["id"] {
		t.Fatalf("adding it again: %d %s, want 200 with item %v", again.status, again.body, item["id"])
	}
	if again.header.Get("Grpc-Metadata-X-Sf-Http-Status") != "" {
		t.Fatal("the backend's status hint leaked as a header")
	}
	list := c.f.do(t, "GET", "/api/v1/wishlist", nil, c.shopper).json(t)
	if list["total"] != 1.0 || len(items(list)) != 1 {
		t.Fatalf("wishlist: %v", list)
	}
	assertError(t, c.f.do(t, "DELETE", "/api/v1/wishlist/items/"+item["id"].(string), nil, c.other), 404, "not_found")
	assertError(t, c.f.do(t, "POST", "/api/v1/wishlist/items", map[string]any{"product_id": "01900000-0000-7000-8000-000000000000"}, c.shopper), 404, "not_found")
	if r := c.f.do(t, "DELETE", "/api/v1/wishlist/items/"+item["id"].(string), nil, c.shopper); r.status != 204 {
		t.Fatalf("wishlist delete: %d %s", r.status, r.body)
	}
	if list := c.f.do(t, "GET", "/api/v1/wishlist", nil, c.shopper).json(t); list["total"] != 0.0 {
		t.Fatalf("wishlist after delete: %v", list)
	}
	c.f.do(t, "POST", "/api/v1/wishlist/items", map[string]any{"product_id": c.keyboard}, c.shopper)
}

// eventually polls until ok holds of the shopper's cart and wishlist.
func (c cartClient) eventually(t *testing.T, what string, ok func(cart, wishlist map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		cart, wishlist := c.cart(t, c.shopper), c.f.do(t, "GET", "/api/v1/wishlist", nil, c.shopper).json(t)
		if ok(cart, wishlist) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed: cart %v, wishlist %v", what, cart, wishlist)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c cartClient) testPriceChange(t *testing.T) {
	c.f.do(t, "PATCH", "/api/v1/cart/items/"+items(c.cart(t, c.shopper))[0]["id"].(string), map[string]any{"quantity": 2}, c.shopper)
	body := productBody("CART-"+suffix(), c.catalog.category(t, ""))
	body["price"], body["stock"] = map[string]string{"amount": "99.5", "currency": "USD"}, 7
	if r := c.f.do(t, "PUT", "/api/v1/products/"+c.keyboard, body, c.catalog.admin); r.status != 200 {
		t.Fatalf("price change: %d %s", r.status, r.body)
	}
	c.eventually(t, "the new price", func(cart, wishlist map[string]any) bool {
		line := items(cart)[0]
		w := items(wishlist)
		return amount(line, "unit_price") == "99.50" && amount(line, "line_total") == "199.00" && amount(cart, "subtotal") == "199.00" &&
			line["sku"] == body["sku"] && len(w) == 1 && amount(w[0], "price") == "99.50"
	})
}

func (c cartClient) testDeletedProduct(t *testing.T) {
	c.f.do(t, "POST", "/api/v1/cart/items", map[string]any{"product_id": c.monitor, "quantity": 1}, c.shopper)
	if r := c.f.do(t, "DELETE", "/api/v1/products/"+c.keyboard, nil, c.catalog.admin); r.status != 204 {
		t.Fatalf("delete product: %d %s", r.status, r.body)
	}
	c.eventually(t, "the deleted product", func(cart, wishlist map[string]any) bool {
		lines := items(cart)
		return len(lines) == 2 && lines[0]["available"] == false && lines[0]["stock"] == 0.0 && lines[1]["available"] == true &&
			cart["item_count"] == 1.0 && amount(cart, "subtotal") == "300.00" && items(wishlist)[0]["available"] == false
	})
	assertError(t, c.f.do(t, "POST", "/api/v1/cart/items", map[string]any{"product_id": c.keyboard}, c.shopper), 404, "not_found")
	line := items(c.cart(t, c.shopper))[0]["id"].(string)
	assertError(t, c.f.do(t, "PATCH", "/api/v1/cart/items/"+line, map[string]any{"quantity": 3}, c.shopper), 409, "failed_precondition")
	if r := c.f.do(t, "PATCH", "/api/v1/cart/items/"+line, map[string]any{"quantity": 1}, c.shopper); r.status != 200 {
		t.Fatalf("lowering a deleted product's line: %d %s", r.status, r.body)
	}
	if r := c.f.do(t, "DELETE", "/api/v1/cart", nil, c.shopper); r.status != 204 {
		t.Fatalf("clear the cart: %d %s", r.status, r.body)
	}
	if cart := c.cart(t, c.shopper); len(items(cart)) != 0 || amount(cart, "subtotal") != "0.00" {
		t.Fatalf("after clearing: %v", cart)
	}
}

func (c cartClient) testEvents(t *testing.T) {
	nc, err := nats.Connect(c.f.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cart.cart.CartItemAdded", "cart.cart.CartItemQuantityChanged", "cart.cart.CartItemRemoved", "cart.cart.CartCleared",
		"cart.wishlist.WishlistItemAdded", "cart.wishlist.WishlistItemRemoved"}
	deadline := time.Now().Add(15 * time.Second)
	for {
		missing := want[:0:0]
		if stream, err := js.Stream(t.Context(), "CART"); err == nil {
			seen := subjects(t, stream)
			for _, s := range want {
				if !seen[s] {
					missing = append(missing, s)
				}
			}
		} else {
			missing = want
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not on the CART stream: %s", strings.Join(missing, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func subjects(t *testing.T, s jetstream.Stream) map[string]bool {
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		msg, err := s.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		out[msg.Subject] = true
	}
	return out
}
