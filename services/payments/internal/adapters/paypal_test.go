package adapters_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/storefront/storefront/platform/devenv/paypalstandin"
	"github.com/storefront/storefront/services/payments/internal/adapters"
	"github.com/storefront/storefront/services/payments/internal/app"
	"github.com/storefront/storefront/services/payments/internal/domain"
)

// TestPayPal_CreateApproveCaptureRefund runs the adapter (plutov/paypal) against the local
// PayPal stand-in: an order waits for the buyer at its payer-action link, a capture before
// the approval is refused, after it succeeds once per key, and refunds never exceed it.
func TestPayPal_CreateApproveCaptureRefund(t *testing.T) {
	standin := paypalstandin.New("id", "secret")
	srv := httptest.NewServer(standin)
	defer srv.Close()
	pp, err := adapters.NewPayPal("id", "secret", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	pp.ReturnURL = "http://shop.test/orders/{order_id}"
	ctx := t.Context()

	c := app.Charge{IdempotencyKey: "order-o1/charge", OrderID: "o1", AmountMinor: 25_990, Currency: "USD", Method: "paypal", Description: "order o1"}
	out, err := pp.Charge(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != domain.StatusActionRequired || out.ProviderRef == "" || !strings.Contains(out.ActionURL, "/checkoutnow?token="+out.ProviderRef) {
		t.Fatalf("created %+v", out)
	}
	again, err := pp.Charge(ctx, c)
	if err != nil || again.ProviderRef != out.ProviderRef {
		t.Fatalf("a repeated create made order %s (first %s): %v", again.ProviderRef, out.ProviderRef, err)
	}
	if _, err := pp.Capture(ctx, "order-o1/capture", out.ProviderRef); !errors.Is(err, app.ErrNotApproved) {
		t.Fatalf("capture before approval: %v", err)
	}
	if !standin.Approve(out.ProviderRef) {
		t.Fatal("approve")
	}
	captured, err := pp.Capture(ctx, "order-o1/capture-2", out.ProviderRef)
	if err != nil || captured.Status != domain.StatusSucceeded || !strings.HasPrefix(captured.ProviderRef, "CAP") {
		t.Fatalf("capture: %+v %v", captured, err)
	}
	// A capture repeated with another key (PayPal says already captured) finds the capture.
	repeat, err := pp.Capture(ctx, "order-o1/capture-3", out.ProviderRef)
	if err != nil || repeat.ProviderRef != captured.ProviderRef {
		t.Fatalf("repeated capture: %+v %v", repeat, err)
	}
	ref, err := pp.Refund(ctx, "order-o1/refund-cancel", captured.ProviderRef, 20_000)
	if err != nil || ref == "" {
		t.Fatalf("refund: %q %v", ref, err)
	}
	ref2, err := pp.Refund(ctx, "order-o1/refund-cancel", captured.ProviderRef, 20_000)
	if err != nil || ref2 != ref {
		t.Fatalf("a repeated refund: %q %v", ref2, err)
	}
	var refused *app.RefundRefusedError
	if _, err := pp.Refund(ctx, "order-o1/refund-return", captured.ProviderRef, 6_000); !errors.As(err, &refused) {
		t.Fatalf("a refund beyond the capture: %v", err)
	}
	if n := standin.Calls("POST /v1/oauth2/token"); n != 1 {
		t.Fatalf("%d tokens fetched; the client must cache its token", n)
	}

	bad, err := adapters.NewPayPal("id", "wrong", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Charge(ctx, c); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("bad credentials: %v", err)
	}
}
