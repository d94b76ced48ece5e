package adapters_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/devenv/paypalstandin"
	"github.com/storefront/storefront/platform/errs"
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

// TestPayPalWebhooks_VerifiedByPayPal: the stand-in notifies a capture and a refund to its
// webhook; the parser has PayPal verify each delivery and reads it; a tampered delivery is
// refused.
func TestPayPalWebhooks_VerifiedByPayPal(t *testing.T) {
	type delivery struct {
		body    []byte
		headers map[string]string
	}
	got := make(chan delivery, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h := map[string]string{}
		for _, k := range []string{"Paypal-Transmission-Id", "Paypal-Transmission-Time", "Paypal-Transmission-Sig", "Paypal-Cert-Url", "Paypal-Auth-Algo"} {
			h[strings.ToLower(k)] = r.Header.Get(k)
		}
		got <- delivery{b, h}
	}))
	defer hook.Close()
	standin := paypalstandin.New("id", "secret")
	srv := httptest.NewServer(standin)
	defer srv.Close()
	standin.SetBase(srv.URL)
	standin.SetWebhook(hook.URL, "WH-1")
	pp, err := adapters.NewPayPal("id", "secret", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	out, err := pp.Charge(ctx, app.Charge{IdempotencyKey: "k", OrderID: "order-7", AmountMinor: 3_000, Currency: "USD", Method: "paypal"})
	if err != nil {
		t.Fatal(err)
	}
	standin.Approve(out.ProviderRef)
	captured, err := pp.Capture(ctx, "kc", out.ProviderRef)
	if err != nil {
		t.Fatal(err)
	}
	hooks := adapters.PayPalWebhooks{PayPal: pp, WebhookID: "WH-1"}
	d := <-got
	ev, err := hooks.Parse(d.body, d.headers)
	if err != nil || ev.Type != "PAYMENT.CAPTURE.COMPLETED" || ev.Outcome != app.WebhookSucceeded || ev.OrderID != "order-7" || ev.ProviderRef != captured.ProviderRef {
		t.Fatalf("capture notification: %+v %v", ev, err)
	}
	if _, err := standin.Refund(captured.ProviderRef, 1_000); err != nil {
		t.Fatal(err)
	}
	d = <-got
	ev, err = hooks.Parse(d.body, d.headers)
	if err != nil || ev.Outcome != app.WebhookRefunded || ev.ProviderRef != captured.ProviderRef || len(ev.Refunds) != 1 || ev.Refunds[0].AmountMinor != 1_000 {
		t.Fatalf("refund notification: %+v %v", ev, err)
	}
	tampered := bytes.Replace(d.body, []byte("10.00"), []byte("99.00"), 1)
	if _, err := hooks.Parse(tampered, d.headers); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("a tampered delivery: %v", err)
	}
	if _, err := (adapters.PayPalWebhooks{PayPal: pp, WebhookID: "WH-other"}).Parse(d.body, d.headers); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("another webhook's delivery: %v", err)
	}
}
