package e2e

import (
	"net/http"
	"testing"
	"time"
)

// TestCheckout_PayPalNotCapturedInTime_Expires: a PayPal order whose buyer never approves it
// within the checkout deadline (here 3 s; 30 min by default, API.md) ends cancelled with
// payment_expired, nothing taken and its stock released; approving it at PayPal
// afterwards and asking for the capture changes nothing (409) and charges nothing.
func TestCheckout_PayPalNotCapturedInTime_Expires(t *testing.T) {
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=10000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=10000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword, "STOREFRONT_CHECKOUT_DEADLINE=3s")
	c := newCheckout(t, f, "slow-payer")
	p := c.cart.product(t, c.category, "40.00", 4)
	c.add(t, c.buyer, p, 3)
	r := c.place(t, c.buyer, map[string]any{"shipping_address": shipTo, "payment_method": "paypal"})
	if r.status != 201 {
		t.Fatalf("POST /orders: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	var approval string
	c.eventuallyOrder(t, c.buyer, id, "an approval URL", func(o map[string]any) bool {
		approval, _ = o["payment"].(map[string]any)["approval_url"].(string)
		return approval != "" && o["status"] == "pending"
	})
	c.eventuallyStock(t, p, 1) // reserved while the buyer is at PayPal

	o := c.settled(t, c.buyer, id, "cancelled")
	// The payment was never taken: not succeeded, and the approval link is gone.
	if pay := o["payment"].(map[string]any); o["cancellation_reason"] != "payment_expired" || pay["status"] == "succeeded" || pay["approval_url"] != "" {
		t.Fatalf("the unapproved order: %v", o)
	}
	c.eventuallyStock(t, p, 4)

	// Too late: the buyer approves at PayPal now, and asks for the capture.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if res, err := noRedirect.Get(approval); err == nil {
		res.Body.Close()
	}
	assertError(t, f.do(t, "POST", "/api/v1/orders/"+id+"/payment/capture", map[string]any{}, c.buyer), 409, "failed_precondition")
	time.Sleep(500 * time.Millisecond)
	o = f.do(t, "GET", "/api/v1/orders/"+id, nil, c.buyer).json(t)
	if pay := o["payment"].(map[string]any); o["status"] != "cancelled" || pay["status"] == "succeeded" || pay["refunded"] != false {
		t.Fatalf("after a late approval: %v", o)
	}
}
