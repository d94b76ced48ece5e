package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCheckout drives checkout through the REST edge against the fleet as `make run` starts
// it (catalog, cart, payments behind the Stripe stand-in, ordering and its saga, the
// projector): orders are paid or cancelled with the right reason, stock never oversells,
// Idempotency-Key and discounts hold under concurrency, the lifecycle refunds and restocks,
// and every negative path answers API.md's error and changes nothing.
func TestCheckout(t *testing.T) {
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=10000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=10000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword)
	c := newCheckout(t, f, "buyer")

	t.Run("paid", c.testPaid)
	t.Run("declined", c.testDeclined)
	t.Run("paypal", c.testPayPal)
	t.Run("bad input changes nothing", c.testNegative)
	t.Run("idempotency key", c.testIdempotency)
	t.Run("50 buyers for 10 units", c.testNoOversell)
	t.Run("discounts", c.testDiscounts)
	t.Run("cancel refunds and releases", c.testCancel)
	t.Run("ship, deliver, return", c.testReturn)
	t.Run("stripe webhook", c.testStripeWebhook)
	t.Run("admin views and analytics", c.testAdmin)
}

// newCheckout signs the admin in, registers a buyer and makes a category for the products.
func newCheckout(t *testing.T, f *fleet, buyer string) checkoutClient {
	t.Helper()
	r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	admin := r.json(t)["access_token"].(string)
	email, pair := register(t, f, buyer)
	c := checkoutClient{f: f, admin: admin, buyer: pair["access_token"].(string), buyerEmail: email}
	c.cart = cartClient{f: f, catalog: catalogClient{f: f, admin: admin, customer: c.buyer}, shopper: c.buyer, other: c.buyer}
	c.category = c.cart.catalog.category(t, "")
	return c
}

type checkoutClient struct {
	f            *fleet
	admin, buyer string
	buyerEmail   string
	cart         cartClient
	category     string
}

var shipTo = map[string]string{"line1": "1 Infinite Loop", "city": "Cupertino", "state": "CA", "postal_code": "95014", "country": "US"}

// call is a request safe to make from any goroutine (it reports errors instead of failing).
func (c checkoutClient) call(method, path string, body any, token string, headers ...string) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.f.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return res.StatusCode, nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, out, nil
}

// buyer registers a new customer with the product in their cart.
func (c checkoutClient) buyerWith(t *testing.T, name, productID string, quantity int) string {
	t.Helper()
	_, pair := register(t, c.f, name)
	token := pair["access_token"].(string)
	c.add(t, token, productID, quantity)
	return token
}

func (c checkoutClient) add(t *testing.T, token, productID string, quantity int) {
	t.Helper()
	r := c.f.do(t, "POST", "/api/v1/cart/items", map[string]any{"product_id": productID, "quantity": quantity}, token)
	if r.status != 201 {
		t.Fatalf("add to cart: %d %s", r.status, r.body)
	}
}

func (c checkoutClient) place(t *testing.T, token string, body map[string]any, headers ...string) response {
	t.Helper()
	if body == nil {
		body = map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_visa"}
	}
	return c.f.do(t, "POST", "/api/v1/orders", body, token, headers...)
}

// settled polls the order until its status is one of want.
func (c checkoutClient) settled(t *testing.T, token, id string, want ...string) map[string]any {
	t.Helper()
	return c.eventuallyOrder(t, token, id, fmt.Sprintf("status one of %v", want), func(o map[string]any) bool {
		return slices.Contains(want, o["status"].(string))
	})
}

// eventuallyOrder polls the order (20 s at most) until ok holds, and returns it.
func (c checkoutClient) eventuallyOrder(t *testing.T, token, id, what string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.f.do(t, "GET", "/api/v1/orders/"+id, nil, token)
		if r.status != 200 {
			t.Fatalf("GET /orders/%s: %d %s", id, r.status, r.body)
		}
		if o := r.json(t); ok(o) {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s never had %s: %s", id, what, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func refunded(o map[string]any) bool { return o["payment"].(map[string]any)["refunded"] == true }

func (c checkoutClient) stock(t *testing.T, productID string) float64 {
	t.Helper()
	r := c.f.do(t, "GET", "/api/v1/admin/products?per_page=100", nil, c.admin)
	for _, p := range r.json(t)["items"].([]any) {
		if p := p.(map[string]any); p["id"] == productID {
			return p["stock"].(float64)
		}
	}
	t.Fatalf("product %s not in the admin list", productID)
	return 0
}

// eventuallyStock waits for the catalog's read model to show the stock.
func (c checkoutClient) eventuallyStock(t *testing.T, productID string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := c.stock(t, productID)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stock of %s is %v, want %v", productID, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventuallyMail waits for a mail of the kind about the order to the address.
func (c checkoutClient) eventuallyMail(t *testing.T, to, kind, orderID string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		entries, _ := os.ReadDir(c.f.mailDir)
		for _, e := range entries {
			if !strings.Contains(e.Name(), kind) {
				continue
			}
			raw, err := os.ReadFile(filepath.Join(c.f.mailDir, e.Name()))
			if err == nil && strings.Contains(string(raw), to) && strings.Contains(string(raw), orderID[:8]) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s mail to %s about order %s in %s", kind, to, orderID, c.f.mailDir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func statuses(o map[string]any) []string {
	var out []string
	for _, h := range o["status_history"].([]any) {
		out = append(out, h.(map[string]any)["status"].(string))
	}
	return out
}

func (c checkoutClient) testPaid(t *testing.T) {
	p := c.cart.product(t, c.category, "129.90", 5)
	c.add(t, c.buyer, p, 2)
	r := c.place(t, c.buyer, nil)
	if r.status != 201 {
		t.Fatalf("POST /orders: %d %s", r.status, r.body)
	}
	o := r.json(t)
	if o["status"] != "pending" && o["status"] != "paid" {
		t.Fatalf("a new order is %s", o["status"])
	}
	if amount(o, "subtotal") != "259.80" || amount(o, "discount") != "0.00" || amount(o, "total") != "259.80" {
		t.Fatalf("money: %v %v %v", o["subtotal"], o["discount"], o["total"])
	}
	o = c.settled(t, c.buyer, o["id"].(string), "paid")
	pay := o["payment"].(map[string]any)
	if pay["status"] != "succeeded" || !strings.HasPrefix(pay["provider_ref"].(string), "pi_") || pay["refunded"] != false {
		t.Fatalf("payment %v", pay)
	}
	if got := strings.Join(statuses(o), ","); got != "pending,paid" {
		t.Fatalf("history %s", got)
	}
	item := o["items"].([]any)[0].(map[string]any)
	if item["product_id"] != p || item["quantity"] != 2.0 || amount(item, "unit_price") != "129.90" || amount(item, "line_total") != "259.80" {
		t.Fatalf("item %v", item)
	}
	if a := o["shipping_address"].(map[string]any); a["city"] != "Cupertino" || a["country"] != "US" {
		t.Fatalf("address %v", a)
	}
	c.eventuallyStock(t, p, 3)
	// The cart gave the lines up, and the caller's list shows the order at once.
	deadline := time.Now().Add(5 * time.Second)
	for len(items(c.cart.cart(t, c.buyer))) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the cart still holds the ordered lines: %v", c.cart.cart(t, c.buyer))
		}
		time.Sleep(20 * time.Millisecond)
	}
	list := c.f.do(t, "GET", "/api/v1/orders", nil, c.buyer).json(t)
	if list["total"] != 1.0 || list["items"].([]any)[0].(map[string]any)["id"] != o["id"] {
		t.Fatalf("GET /orders: %v", list)
	}
	// The customer got the confirmation and the receipt (the mail directory of `make run`).
	c.eventuallyMail(t, c.buyerEmail, "order_confirmation", o["id"].(string))
	c.eventuallyMail(t, c.buyerEmail, "payment_receipt", o["id"].(string))
	// Another customer cannot see it.
	_, other := register(t, c.f, "nosy")
	assertError(t, c.f.do(t, "GET", "/api/v1/orders/"+o["id"].(string), nil, other["access_token"].(string)), 404, "not_found")
}

func (c checkoutClient) testDeclined(t *testing.T) {
	p := c.cart.product(t, c.category, "49.00", 3)
	token := c.buyerWith(t, "declined", p, 1)
	r := c.place(t, token, map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_chargeDeclined"})
	if r.status != 201 {
		t.Fatalf("POST /orders: %d %s", r.status, r.body)
	}
	o := c.settled(t, token, r.json(t)["id"].(string), "cancelled", "paid")
	if o["status"] != "cancelled" || o["cancellation_reason"] != "payment_declined" || o["payment"].(map[string]any)["status"] != "declined" {
		t.Fatalf("declined order: %v", o)
	}
	c.eventuallyStock(t, p, 3)
}

func (c checkoutClient) testPayPal(t *testing.T) {
	p := c.cart.product(t, c.category, "75.00", 3)
	token := c.buyerWith(t, "paypal", p, 2)
	r := c.place(t, token, map[string]any{"shipping_address": shipTo, "payment_method": "paypal"})
	if r.status != 201 {
		t.Fatalf("POST /orders: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	// The order waits for the buyer at PayPal's approval link.
	var approval string
	deadline := time.Now().Add(20 * time.Second)
	for approval == "" {
		o := c.f.do(t, "GET", "/api/v1/orders/"+id, nil, token).json(t)
		pay := o["payment"].(map[string]any)
		if pay["provider"] != "paypal" || o["status"] != "pending" || pay["status"] != "pending" {
			t.Fatalf("a PayPal order: %v", o)
		}
		approval = pay["approval_url"].(string)
		if time.Now().After(deadline) {
			t.Fatalf("no approval URL: %v", o)
		}
		time.Sleep(20 * time.Millisecond)
	}
	capture := "/api/v1/orders/" + id + "/payment/capture"
	assertError(t, c.f.do(t, "POST", capture, map[string]any{}, token), 409, "failed_precondition")
	_, other := register(t, c.f, "paypal-nosy")
	assertError(t, c.f.do(t, "POST", capture, map[string]any{}, other["access_token"].(string)), 404, "not_found")
	// The buyer opens the link (PayPal then sends them back to the store).
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Get(approval)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "/orders/"+id) {
		t.Fatalf("approval: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	r = c.f.do(t, "POST", capture, map[string]any{}, token)
	if r.status != 200 || r.json(t)["status"] != "paid" {
		t.Fatalf("capture: %d %s", r.status, r.body)
	}
	o := r.json(t)
	if pay := o["payment"].(map[string]any); pay["status"] != "succeeded" || pay["approval_url"] != "" || !strings.HasPrefix(pay["provider_ref"].(string), "CAP") {
		t.Fatalf("captured payment: %v", pay)
	}
	if again := c.f.do(t, "POST", capture, map[string]any{}, token); again.status != 200 || again.json(t)["status"] != "paid" {
		t.Fatalf("capture again: %d %s", again.status, again.body)
	}
	c.eventuallyStock(t, p, 1)
	// A refund made at PayPal (its dashboard) reaches the order through PayPal's webhook.
	captureID := o["payment"].(map[string]any)["provider_ref"].(string)
	c.payPalRefund(t, captureID, "10.00")
	c.eventuallyOrder(t, token, id, "the refund made at PayPal (and still paid)", func(o map[string]any) bool {
		return refunded(o) && o["status"] == "paid"
	})
	// Cancelling refunds the rest through PayPal's capture refunds, once.
	if r := c.f.do(t, "POST", "/api/v1/orders/"+id+"/cancel", map[string]any{}, token); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	c.settled(t, token, id, "cancelled")
	c.eventuallyStock(t, p, 3)
	// The rest (150.00 − 10.00) went back, not the whole total again: PayPal refuses more.
	if r := c.payPalRefundStatus(t, captureID, "0.01"); r != http.StatusUnprocessableEntity {
		t.Fatalf("after the refunds PayPal still holds money of the capture: %d", r)
	}
}

var payPalLine = regexp.MustCompile(`(?m)^\s+PayPal API\s+(http://\S+)`)

// payPalRefund refunds part of a capture at the PayPal stand-in, as its dashboard would.
func (c checkoutClient) payPalRefund(t *testing.T, capture, value string) {
	t.Helper()
	if s := c.payPalRefundStatus(t, capture, value); s != http.StatusCreated {
		t.Fatalf("refund at PayPal: %d", s)
	}
}

func (c checkoutClient) payPalRefundStatus(t *testing.T, capture, value string) int {
	t.Helper()
	m := payPalLine.FindStringSubmatch(c.f.logs.String())
	if m == nil {
		t.Fatal("the launcher printed no PayPal API")
	}
	req, _ := http.NewRequest("POST", m[1]+"/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth("storefront-dev", "storefront-dev-secret")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	body := fmt.Sprintf(`{"amount":{"currency_code":"USD","value":%q}}`, value)
	req, _ = http.NewRequest("POST", m[1]+"/v2/payments/captures/"+capture+"/refund", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	req.Header.Set("Content-Type", "application/json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (c checkoutClient) testNegative(t *testing.T) {
	_, pair := register(t, c.f, "empty-cart")
	empty := pair["access_token"].(string)
	assertError(t, c.place(t, empty, nil), 409, "failed_precondition")
	p := c.cart.product(t, c.category, "10.00", 2)
	token := c.buyerWith(t, "negative", p, 1)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		fields []string
	}{
		{"no payment method", map[string]any{"shipping_address": shipTo}, 400, "invalid_argument", []string{"payment_method"}},
		{"no address", map[string]any{"payment_method": "pm_card_visa"}, 400, "invalid_argument", []string{"shipping_address"}},
		{"both addresses", map[string]any{"shipping_address": shipTo, "address_id": "0190a000-0000-7000-8000-000000000001", "payment_method": "pm_card_visa"}, 400, "invalid_argument", []string{"address_id"}},
		{"unknown address", map[string]any{"address_id": "0190a000-0000-7000-8000-000000000001", "payment_method": "pm_card_visa"}, 400, "invalid_argument", []string{"address_id"}},
		{"bad country", map[string]any{"shipping_address": map[string]string{"line1": "x", "city": "y", "postal_code": "1", "country": "Germany"}, "payment_method": "pm_card_visa"}, 400, "invalid_argument", []string{"shipping_address.country"}},
		{"unknown discount", map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_visa", "discount_code": "NOSUCHCODE"}, 400, "invalid_argument", []string{"discount_code"}},
		{"unknown field", map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_visa", "discount": "x"}, 400, "invalid_argument", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertError(t, c.f.do(t, "POST", "/api/v1/orders", tc.body, token), tc.status, tc.code, tc.fields...)
		})
	}
	assertError(t, c.place(t, token, nil, "Idempotency-Key", strings.Repeat("k", 256)), 400, "invalid_argument")
	// More than the catalog shows available: 409 at once, nothing created. (The greedy
	// buyer's 2 units fitted when added; another buyer's order holds 1 of them now.)
	c.add(t, token, p, 1)
	greedy := c.buyerWith(t, "greedy", p, 2)
	rival := c.buyerWith(t, "rival", p, 1)
	if r := c.place(t, rival, nil); r.status != 201 {
		t.Fatalf("rival order: %d %s", r.status, r.body)
	}
	c.eventuallyStock(t, p, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := c.place(t, greedy, nil)
		if r.status == 409 {
			assertError(t, r, 409, "failed_precondition")
			break
		}
		if r.status != 201 || time.Now().After(deadline) {
			t.Fatalf("a cart beyond the stock: %d %s", r.status, r.body)
		}
		// The cart's read model had not seen the reservation yet: this order is the
		// reservation's to refuse (cancelled out_of_stock); try again with a full cart.
		c.settled(t, greedy, r.json(t)["id"].(string), "cancelled")
		c.add(t, greedy, p, 2)
	}
	if list := c.f.do(t, "GET", "/api/v1/orders", nil, token).json(t); list["total"] != 0.0 {
		t.Fatalf("bad requests created orders: %v", list)
	}
	if got := len(items(c.cart.cart(t, token))); got != 1 || items(c.cart.cart(t, token))[0]["quantity"] != 2.0 {
		t.Fatalf("bad requests changed the cart: %d lines", got)
	}
	assertError(t, c.f.do(t, "GET", "/api/v1/orders/0190a000-0000-7000-8000-00000000dead", nil, token), 404, "not_found")
	assertError(t, c.f.do(t, "GET", "/api/v1/orders?per_page=101", nil, token), 400, "invalid_argument", "per_page")
	assertError(t, c.f.do(t, "GET", "/api/v1/orders", nil, ""), 401, "unauthenticated")
}

func (c checkoutClient) testIdempotency(t *testing.T) {
	p := c.cart.product(t, c.category, "20.00", 50)
	token := c.buyerWith(t, "idem", p, 1)
	key := "checkout-" + suffix()
	body := map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_visa"}
	var wg sync.WaitGroup
	ids, errs := make([]string, 10), make([]error, 10)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, o, err := c.call("POST", "/api/v1/orders", body, token, "Idempotency-Key", key)
			switch {
			case err != nil:
				errs[i] = err
			case status != 201:
				errs[i] = fmt.Errorf("status %d: %v", status, o)
			default:
				ids[i] = o["id"].(string)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if ids[i] != ids[0] {
			t.Fatalf("one key gave orders %v", ids)
		}
	}
	o := c.settled(t, token, ids[0], "paid")
	if list := c.f.do(t, "GET", "/api/v1/orders", nil, token).json(t); list["total"] != 1.0 {
		t.Fatalf("ten requests with one key made %v orders", list["total"])
	}
	// The same key again answers with the order as it is now; another body is a conflict.
	again := c.place(t, token, body, "Idempotency-Key", key)
	if again.status != 201 || again.json(t)["id"] != o["id"] || again.json(t)["status"] != "paid" {
		t.Fatalf("replay: %d %s", again.status, again.body)
	}
	other := map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_mastercard"}
	assertError(t, c.place(t, token, other, "Idempotency-Key", key), 409, "already_exists")
	// Keys are per user: another user's same key is their own order (of their own cart).
	token2 := c.buyerWith(t, "idem2", p, 1)
	if r := c.place(t, token2, body, "Idempotency-Key", key); r.status != 201 || r.json(t)["id"] == o["id"] {
		t.Fatalf("another user's key: %d %s", r.status, r.body)
	}
}

func (c checkoutClient) testNoOversell(t *testing.T) {
	p := c.cart.product(t, c.category, "99.00", 10)
	const buyers = 50
	tokens := make([]string, buyers)
	for i := range tokens {
		tokens[i] = c.buyerWith(t, fmt.Sprintf("rush%d", i), p, 1)
	}
	type result struct {
		status int
		order  map[string]any
		err    error
	}
	results := make([]result, buyers)
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, o, err := c.call("POST", "/api/v1/orders", map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_visa"}, tokens[i])
			results[i] = result{status, o, err}
		}()
	}
	wg.Wait()
	paid, outOfStock, refused := 0, 0, 0
	for i, r := range results {
		switch {
		case r.err != nil:
			t.Fatalf("buyer %d: %v", i, r.err)
		case r.status == 409:
			refused++ // the cart's stock check saw the shortage first: nothing created
			continue
		case r.status != 201:
			t.Fatalf("buyer %d: %d %v", i, r.status, r.order)
		}
		o := c.settled(t, tokens[i], r.order["id"].(string), "paid", "cancelled")
		switch {
		case o["status"] == "paid":
			paid++
		case o["cancellation_reason"] == "out_of_stock" && o["payment"].(map[string]any)["provider_ref"] == "":
			outOfStock++
		default:
			t.Fatalf("buyer %d: %v", i, o)
		}
	}
	t.Logf("paid %d, cancelled out_of_stock %d, refused at POST %d", paid, outOfStock, refused)
	if paid != 10 || outOfStock+refused != buyers-10 {
		t.Fatalf("paid %d, out of stock %d, refused %d", paid, outOfStock, refused)
	}
	c.eventuallyStock(t, p, 0)
}

func (c checkoutClient) testDiscounts(t *testing.T) {
	code := "SAVE" + strings.ToUpper(suffix())
	r := c.f.do(t, "POST", "/api/v1/admin/discounts", map[string]any{"code": strings.ToLower(code), "percent_off": 15, "max_redemptions": 3,
		"min_subtotal": map[string]string{"amount": "10.00", "currency": "USD"}}, c.admin)
	if r.status != 201 {
		t.Fatalf("create discount: %d %s", r.status, r.body)
	}
	d := r.json(t)
	if d["code"] != code || d["percent_off"] != 15.0 || amount(d, "amount_off") != "0.00" || d["redemptions"] != 0.0 {
		t.Fatalf("discount %v", d)
	}
	assertError(t, c.f.do(t, "POST", "/api/v1/admin/discounts", map[string]any{"code": code, "percent_off": 10}, c.admin), 409, "already_exists")
	assertError(t, c.f.do(t, "POST", "/api/v1/admin/discounts", map[string]any{"code": "BOTH1", "percent_off": 10,
		"amount_off": map[string]string{"amount": "5.00", "currency": "USD"}}, c.admin), 400, "invalid_argument", "percent_off")
	assertError(t, c.f.do(t, "POST", "/api/v1/admin/discounts", map[string]any{"code": "NEG1", "percent_off": 101}, c.admin), 400, "invalid_argument", "percent_off")
	assertError(t, c.f.do(t, "POST", "/api/v1/admin/discounts", map[string]any{"code": "X1", "percent_off": 10}, c.buyer), 403, "permission_denied")
	expired := "OLD" + strings.ToUpper(suffix())
	if r := c.f.do(t, "POST", "/api/v1/admin/discounts", map[string]any{"code": expired, "amount_off": map[string]string{"amount": "5", "currency": "USD"},
		"expires_at": "2020-01-01T00:00:00Z"}, c.admin); r.status != 201 {
		t.Fatalf("an expired discount may be created: %d %s", r.status, r.body)
	}

	p := c.cart.product(t, c.category, "10.10", 100)
	// Below the minimum, expired: 409 and nothing redeemed.
	small := c.buyerWith(t, "small", c.cart.product(t, c.category, "9.99", 5), 1)
	assertError(t, c.place(t, small, map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_visa", "discount_code": code}), 409, "failed_precondition")
	assertError(t, c.place(t, small, map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_visa", "discount_code": expired}), 409, "failed_precondition")

	const buyers = 8
	tokens := make([]string, buyers)
	for i := range tokens {
		tokens[i] = c.buyerWith(t, fmt.Sprintf("coupon%d", i), p, 1+i%2) // subtotal 10.10 or 20.20
	}
	var wg sync.WaitGroup
	statuses := make([]int, buyers)
	orders := make([]map[string]any, buyers)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], orders[i], _ = c.call("POST", "/api/v1/orders", map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_visa",
				"discount_code": code}, tokens[i])
		}()
	}
	wg.Wait()
	ok := 0
	for i, s := range statuses {
		switch s {
		case 201:
			ok++
			o := orders[i]
			sub, disc := amount(o, "subtotal"), amount(o, "discount")
			want := map[string]string{"10.10": "1.52", "20.20": "3.03"}[sub] // 15 % rounded half up
			if disc != want || o["discount_code"] != code {
				t.Fatalf("order %v: discount %s of %s, want %s", o["id"], disc, sub, want)
			}
		case 409:
		default:
			t.Fatalf("buyer %d: %d %v", i, s, orders[i])
		}
	}
	if ok != 3 {
		t.Fatalf("%d orders redeemed a code of 3 redemptions", ok)
	}
	// A cancelled order's redemption comes back.
	for i, s := range statuses {
		if s == 201 {
			c.settled(t, tokens[i], orders[i]["id"].(string), "paid")
			if r := c.f.do(t, "POST", "/api/v1/orders/"+orders[i]["id"].(string)+"/cancel", map[string]any{}, tokens[i]); r.status != 200 {
				t.Fatalf("cancel: %d %s", r.status, r.body)
			}
			break
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		late := c.buyerWith(t, "late"+suffix(), p, 1)
		r := c.place(t, late, map[string]any{"shipping_address": shipTo, "payment_method": "pm_card_visa", "discount_code": code})
		if r.status == 201 {
			break
		}
		if r.status != 409 || time.Now().After(deadline) {
			t.Fatalf("after a cancellation the redemption never came back: %d %s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c checkoutClient) paidOrder(t *testing.T, name string) (token, id, product string) {
	t.Helper()
	product = c.cart.product(t, c.category, "30.00", 4)
	token = c.buyerWith(t, name, product, 2)
	r := c.place(t, token, nil)
	if r.status != 201 {
		t.Fatalf("POST /orders: %d %s", r.status, r.body)
	}
	id = r.json(t)["id"].(string)
	c.settled(t, token, id, "paid")
	c.eventuallyStock(t, product, 2)
	return token, id, product
}

func (c checkoutClient) testCancel(t *testing.T) {
	token, id, product := c.paidOrder(t, "canceller")
	r := c.f.do(t, "POST", "/api/v1/orders/"+id+"/cancel", map[string]any{"reason": "changed my mind"}, token)
	if r.status != 200 || r.json(t)["status"] != "cancelled" || r.json(t)["cancellation_reason"] != "customer" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	assertError(t, c.f.do(t, "POST", "/api/v1/orders/"+id+"/cancel", map[string]any{}, token), 409, "failed_precondition")
	c.eventuallyOrder(t, token, id, "the cancellation's refund", refunded)
	c.eventuallyStock(t, product, 4)
}

func (c checkoutClient) testReturn(t *testing.T) {
	token, id, product := c.paidOrder(t, "returner")
	move := func(status string) response {
		return c.f.do(t, "PATCH", "/api/v1/admin/orders/"+id+"/status", map[string]string{"status": status}, c.admin)
	}
	assertError(t, move("delivered"), 409, "failed_precondition")
	assertError(t, move("pending"), 409, "failed_precondition")
	assertError(t, move("lost"), 400, "invalid_argument", "status")
	assertError(t, c.f.do(t, "PATCH", "/api/v1/admin/orders/"+id+"/status", map[string]string{"status": "shipped"}, token), 403, "permission_denied")
	assertError(t, c.f.do(t, "POST", "/api/v1/orders/"+id+"/return", map[string]string{"reason": "too loud"}, token), 409, "failed_precondition")
	if r := move("shipped"); r.status != 200 || r.json(t)["status"] != "shipped" {
		t.Fatalf("ship: %d %s", r.status, r.body)
	}
	assertError(t, c.f.do(t, "POST", "/api/v1/orders/"+id+"/cancel", map[string]any{}, token), 409, "failed_precondition")
	if r := move("delivered"); r.status != 200 {
		t.Fatalf("deliver: %d %s", r.status, r.body)
	}
	assertError(t, c.f.do(t, "POST", "/api/v1/orders/"+id+"/return", map[string]string{}, token), 400, "invalid_argument", "reason")
	if r := c.f.do(t, "POST", "/api/v1/orders/"+id+"/return", map[string]string{"reason": "too loud"}, token); r.status != 200 || r.json(t)["status"] != "return_requested" {
		t.Fatalf("return: %d %s", r.status, r.body)
	}
	if r := move("returned"); r.status != 200 {
		t.Fatalf("returned: %d %s", r.status, r.body)
	}
	o := c.eventuallyOrder(t, token, id, "the return's refund", refunded)
	if got := strings.Join(statuses(o), ","); got != "pending,paid,shipped,delivered,return_requested,returned" {
		t.Fatalf("history %s", got)
	}
	// Shipping sold the 2 units (stock stays 2), the return put them back.
	c.eventuallyStock(t, product, 4)
}

// stripeSign signs a webhook payload as Stripe does (Stripe-Signature: t=…,v1=HMAC-SHA256 of
// "t.payload" with the endpoint's secret).
func stripeSign(secret string, payload []byte, at time.Time) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.%s", at.Unix(), payload)
	return fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(mac.Sum(nil)))
}

func (c checkoutClient) testStripeWebhook(t *testing.T) {
	token, id, _ := c.paidOrder(t, "webhooked")
	o := c.f.do(t, "GET", "/api/v1/orders/"+id, nil, token).json(t)
	pi := o["payment"].(map[string]any)["provider_ref"].(string)
	payload, _ := json.Marshal(map[string]any{"id": "evt_" + suffix(), "object": "event", "type": "charge.refunded", "api_version": "2020-08-27",
		"data": map[string]any{"object": map[string]any{"id": "ch_" + suffix(), "object": "charge", "payment_intent": pi,
			"refunds": map[string]any{"object": "list", "data": []any{map[string]any{"id": "re_" + suffix(), "object": "refund", "amount": 1_000}}}}}})
	post := func(sig string) response {
		return c.f.do(t, "POST", "/webhooks/stripe", string(payload), "", "Stripe-Signature", sig, "Content-Type", "application/json")
	}
	assertError(t, post(stripeSign("whsec_wrong", payload, time.Now())), 400, "invalid_argument")
	assertError(t, post(stripeSign("whsec_storefrontdev", payload, time.Now().Add(-time.Hour))), 400, "invalid_argument")
	for range 2 { // a redelivery changes nothing
		if r := post(stripeSign("whsec_storefrontdev", payload, time.Now())); r.status != 200 {
			t.Fatalf("webhook: %d %s", r.status, r.body)
		}
	}
	c.eventuallyOrder(t, token, id, "the refund made at Stripe", refunded)
	if o := c.f.do(t, "GET", "/api/v1/orders/"+id, nil, token).json(t); o["status"] != "paid" {
		t.Fatalf("a partial refund at the provider changed the order's status: %v", o["status"])
	}
}

func (c checkoutClient) testAdmin(t *testing.T) {
	assertError(t, c.f.do(t, "GET", "/api/v1/admin/orders", nil, c.buyer), 403, "permission_denied")
	assertError(t, c.f.do(t, "GET", "/api/v1/admin/orders?status=lost", nil, c.admin), 400, "invalid_argument", "status")
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := c.f.do(t, "GET", "/api/v1/admin/orders?status=returned", nil, c.admin)
		if r.status != 200 {
			t.Fatalf("admin orders: %d %s", r.status, r.body)
		}
		if r.json(t)["total"] == 1.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the admin list never showed the returned order: %s", r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r := c.f.do(t, "GET", "/api/v1/admin/discounts", nil, c.admin)
	if r.status != 200 || r.json(t)["total"].(float64) < 2 {
		t.Fatalf("admin discounts: %d %s", r.status, r.body)
	}
	a := c.f.do(t, "GET", "/api/v1/admin/analytics", nil, c.admin)
	if a.status != 200 {
		t.Fatalf("analytics: %d %s", a.status, a.body)
	}
	body := a.json(t)
	byStatus := body["orders_by_status"].(map[string]any)
	for _, s := range []string{"pending", "paid", "shipped", "delivered", "cancelled", "return_requested", "returned"} {
		if _, ok := byStatus[s]; !ok {
			t.Fatalf("orders_by_status lacks %s: %v", s, byStatus)
		}
	}
	if body["orders_count"].(float64) < 10 || byStatus["returned"] != 1.0 || len(body["top_products"].([]any)) == 0 {
		t.Fatalf("analytics: %s", a.body)
	}
	assertError(t, c.f.do(t, "GET", "/api/v1/admin/analytics?from=yesterday", nil, c.admin), 400, "invalid_argument", "from")
}
