package adapters_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestPayPal_FaultsCreateAndCaptureOnce: answers lost after PayPal carried a call out (a
// timeout, a 500) are errors to retry, and the retries with the same PayPal-Request-Id find
// the first order and the first capture.
func TestPayPal_FaultsCreateAndCaptureOnce(t *testing.T) {
	standin := paypalstandin.New("id", "secret")
	back := httptest.NewServer(standin)
	defer back.Close()
	standin.SetBase(back.URL)
	target, _ := url.Parse(back.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var faults []string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fault := ""
		if len(faults) > 0 && r.URL.Path != "/v1/oauth2/token" {
			fault, faults = faults[0], faults[1:]
		}
		mu.Unlock()
		switch fault {
		case "500 after":
			proxy.ServeHTTP(httptest.NewRecorder(), r)
			http.Error(w, `{"name":"INTERNAL_SERVER_ERROR"}`, http.StatusInternalServerError)
		case "timeout after":
			proxy.ServeHTTP(httptest.NewRecorder(), r)
			time.Sleep(700 * time.Millisecond)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	defer front.Close()
	pp, err := adapters.NewPayPal("id", "secret", front.URL, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	c := app.Charge{IdempotencyKey: "order-f/charge", OrderID: "f", AmountMinor: 1_000, Currency: "USD", Method: "paypal"}
	faults = []string{"timeout after", "500 after"}
	var out domain.Outcome
	for attempt := 0; ; attempt++ {
		if out, err = pp.Charge(ctx, c); err == nil {
			break
		}
		if attempt == 3 {
			t.Fatal(err)
		}
	}
	if n, calls := standin.Orders(), standin.Calls("POST /v2/checkout/orders"); n != 1 || calls != 3 {
		t.Fatalf("%d PayPal orders from %d creates", n, calls)
	}
	standin.Approve(out.ProviderRef)
	mu.Lock()
	faults = []string{"500 after", "timeout after"}
	mu.Unlock()
	var captured domain.Outcome
	for attempt := 0; ; attempt++ {
		if captured, err = pp.Capture(ctx, "order-f/capture", out.ProviderRef); err == nil {
			break
		}
		if attempt == 3 {
			t.Fatal(err)
		}
	}
	if captured.Status != domain.StatusSucceeded {
		t.Fatalf("capture %+v", captured)
	}
	// One PayPal order, one capture: the repeats were answered from the first.
	o, err := pp.Capture(ctx, "order-f/capture", out.ProviderRef)
	if err != nil || o.ProviderRef != captured.ProviderRef || standin.Captures() != 1 {
		t.Fatalf("capture again: %+v %v, %d captures", o, err, standin.Captures())
	}
}
