package app_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/platform/testkit/stripetest"
	"github.com/storefront/storefront/services/payments/internal/adapters"
	"github.com/storefront/storefront/services/payments/internal/app"
	"github.com/storefront/storefront/services/payments/internal/domain"
)

// faulty stands between the adapter and the Stripe stand-in and breaks the next calls as
// told: a 503 before the request reaches Stripe, a 500 after Stripe carried it out, or an
// answer that comes too late for the caller (after Stripe carried it out).
type faulty struct {
	mu    sync.Mutex
	next  []string
	proxy *httputil.ReverseProxy
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fault := ""
	if len(f.next) > 0 {
		fault, f.next = f.next[0], f.next[1:]
	}
	f.mu.Unlock()
	switch fault {
	case "unavailable":
		http.Error(w, `{"error":{"type":"api_error","message":"unavailable"}}`, http.StatusServiceUnavailable)
	case "500 after":
		f.proxy.ServeHTTP(httptest.NewRecorder(), r)
		http.Error(w, `{"error":{"type":"api_error","message":"internal"}}`, http.StatusInternalServerError)
	case "timeout after":
		f.proxy.ServeHTTP(httptest.NewRecorder(), r)
		time.Sleep(700 * time.Millisecond)
	default:
		f.proxy.ServeHTTP(w, r)
	}
}

// TestPayments_FaultsChargeAndRefundOnce drives charges and refunds through 5xx answers and
// timeouts, before and after Stripe carried the call out: each is an error the saga retries,
// and the retries, with the step's key, leave one charge and one refund at Stripe.
func TestPayments_FaultsChargeAndRefundOnce(t *testing.T) {
	srv := stripetest.Start(t)
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := &faulty{proxy: httputil.NewSingleHostReverseProxy(target)}
	front := httptest.NewServer(f)
	defer front.Close()
	db := pgtest.New(t, postgres.Migrations("payments"))
	store, err := postgres.New(db.Pool, "payments")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	a := app.New(app.Deps{Payments: aggregate.NewStore(store, domain.Registry(), domain.NewPayment),
		Stripe: adapters.NewStripe(stripetest.Key, front.URL, 300*time.Millisecond)})
	ctx := t.Context()

	f.next = []string{"unavailable", "500 after", "timeout after"}
	var p *domain.Payment
	for attempt := 0; ; attempt++ {
		p, err = a.RequestPayment(ctx, "faulty", request(7_000, "pm_card_visa"))
		if err == nil {
			break
		}
		if attempt == 3 {
			t.Fatalf("still failing after the faults: %v", err)
		}
	}
	if p.Status() != domain.StatusSucceeded {
		t.Fatalf("status %d", p.Status())
	}
	if n := srv.Handler.Requests("/v1/payment_intents"); n != 1 {
		t.Fatalf("Stripe created %d PaymentIntents, want 1", n)
	}

	f.mu.Lock()
	f.next = []string{"timeout after", "500 after"}
	f.mu.Unlock()
	for attempt := 0; ; attempt++ {
		p, err = a.RefundPayment(ctx, "faulty", "cancel", 7_000, "cancelled")
		if err == nil {
			break
		}
		if attempt == 3 {
			t.Fatalf("refund still failing: %v", err)
		}
	}
	if p.RefundedMinor() != 7_000 || srv.Handler.Requests("/v1/refunds") != 1 {
		t.Fatalf("refunded %d in %d Stripe refunds", p.RefundedMinor(), srv.Handler.Requests("/v1/refunds"))
	}
}
