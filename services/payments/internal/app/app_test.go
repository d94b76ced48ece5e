package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/devenv/paypalstandin"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/platform/testkit/stripetest"
	"github.com/storefront/storefront/services/payments/internal/adapters"
	"github.com/storefront/storefront/services/payments/internal/app"
	"github.com/storefront/storefront/services/payments/internal/domain"
)

// crashing is a provider whose process "dies" after its first charge reached Stripe and
// before the answer was recorded: the call returns an error although Stripe charged.
type crashing struct {
	app.Provider
	crashes atomic.Int32
}

func (c *crashing) Charge(ctx context.Context, ch app.Charge) (domain.Outcome, error) {
	out, err := c.Provider.Charge(ctx, ch)
	if err == nil && c.crashes.Add(1) == 1 {
		return domain.Outcome{}, errors.New("connection lost after the charge")
	}
	return out, err
}

func newApp(t *testing.T, provider app.Provider) *app.App {
	t.Helper()
	db := pgtest.New(t, postgres.Migrations("payments"))
	store, err := postgres.New(db.Pool, "payments")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return app.New(app.Deps{Payments: aggregate.NewStore(store, domain.Registry(), domain.NewPayment), Stripe: provider})
}

func request(amount int64, method string) domain.Request {
	return domain.Request{UserID: "u1", Method: method, Currency: "USD", AmountMinor: amount, Description: "test"}
}

// TestRequestPayment_CrashAfterTheChargeChargesOnce is issue 16's proof: the process dies
// between Stripe's charge and the event append; the retry (the saga's redelivery) reaches
// Stripe with the same idempotency key and records the first charge, and Stripe charged once.
func TestRequestPayment_CrashAfterTheChargeChargesOnce(t *testing.T) {
	srv := stripetest.Start(t)
	provider := &crashing{Provider: adapters.NewStripe(stripetest.Key, srv.URL)}
	a := newApp(t, provider)
	ctx := t.Context()
	if _, err := a.RequestPayment(ctx, "order-1", request(4_200, "pm_card_visa")); err == nil {
		t.Fatal("the crashed call reported success")
	}
	p, err := a.RequestPayment(ctx, "order-1", request(4_200, "pm_card_visa"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Status() != domain.StatusSucceeded || p.ProviderRef() == "" {
		t.Fatalf("status %d ref %q", p.Status(), p.ProviderRef())
	}
	if n := srv.Handler.Requests("/v1/payment_intents"); n != 1 {
		t.Fatalf("Stripe was asked to charge %d times", n)
	}
	again, err := a.RequestPayment(ctx, "order-1", request(4_200, "pm_card_visa"))
	if err != nil || again.ProviderRef() != p.ProviderRef() || srv.Handler.Requests("/v1/payment_intents") != 1 {
		t.Fatalf("a settled payment asked again: %v %s", err, again.ProviderRef())
	}
	if _, err := a.RequestPayment(ctx, "order-1", request(4_300, "pm_card_visa")); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("another amount for the order: %v", err)
	}
}

func TestPayments_DeclineExpireRefund(t *testing.T) {
	srv := stripetest.Start(t)
	a := newApp(t, adapters.NewStripe(stripetest.Key, srv.URL))
	ctx := t.Context()

	t.Run("declined", func(t *testing.T) {
		p, err := a.RequestPayment(ctx, "declined", request(1_000, "pm_card_chargeDeclined"))
		if err != nil || p.Status() != domain.StatusDeclined || p.DeclineCode() != "card_declined" {
			t.Fatalf("%v status %d code %q", err, p.Status(), p.DeclineCode())
		}
		if _, err := a.RefundPayment(ctx, "declined", "cancel", 1_000, "cancelled"); !errors.Is(err, errs.FailedPrecondition) {
			t.Fatalf("refund of a declined payment: %v", err)
		}
	})
	t.Run("expired in advance refuses the charge", func(t *testing.T) {
		before := srv.Handler.Requests("/v1/payment_intents")
		p, err := a.ExpirePayment(ctx, "early")
		if err != nil || p.Status() != domain.StatusExpired {
			t.Fatalf("%v %d", err, p.Status())
		}
		p, err = a.RequestPayment(ctx, "early", request(1_000, "pm_card_visa"))
		if err != nil || p.Status() != domain.StatusExpired || srv.Handler.Requests("/v1/payment_intents") != before {
			t.Fatalf("a request after the expiry: %v %d", err, p.Status())
		}
	})
	t.Run("a succeeded payment is not given up", func(t *testing.T) {
		if _, err := a.RequestPayment(ctx, "paid", request(2_000, "pm_card_visa")); err != nil {
			t.Fatal(err)
		}
		p, err := a.ExpirePayment(ctx, "paid")
		if err != nil || p.Status() != domain.StatusSucceeded {
			t.Fatalf("%v %d", err, p.Status())
		}
	})
	t.Run("refunds once per id, never beyond the charge", func(t *testing.T) {
		if _, err := a.RequestPayment(ctx, "refund", request(3_000, "pm_card_visa")); err != nil {
			t.Fatal(err)
		}
		before := srv.Handler.Requests("/v1/refunds")
		for range 2 {
			p, err := a.RefundPayment(ctx, "refund", "cancel", 2_000, "cancelled")
			if err != nil || p.RefundedMinor() != 2_000 {
				t.Fatalf("%v refunded %d", err, p.RefundedMinor())
			}
		}
		if n := srv.Handler.Requests("/v1/refunds") - before; n != 1 {
			t.Fatalf("%d refunds reached Stripe", n)
		}
		if _, err := a.RefundPayment(ctx, "refund", "return", 1_001, "returned"); !errors.Is(err, domain.ErrRefundTooLarge) {
			t.Fatalf("a refund beyond the charge: %v", err)
		}
		if _, err := a.RefundPayment(ctx, "nothing", "cancel", 1, "cancelled"); !errors.Is(err, errs.NotFound) {
			t.Fatalf("refund without a payment: %v", err)
		}
	})
	t.Run("unsupported methods and bad requests change nothing", func(t *testing.T) {
		for _, r := range []domain.Request{request(100, "paypal"), request(0, "pm_card_visa"), request(100, "")} {
			if _, err := a.RequestPayment(ctx, "bad", r); !errors.Is(err, errs.InvalidArgument) {
				t.Fatalf("%+v: %v", r, err)
			}
		}
		if _, err := a.GetPayment(ctx, "bad"); !errors.Is(err, errs.NotFound) {
			t.Fatalf("bad requests left a payment: %v", err)
		}
	})
}

// TestPayPal_ApproveThenCapture: a PayPal payment waits for the buyer; capturing before the
// approval is refused and changes nothing, after it the payment succeeds once; one never
// approved is given up.
func TestPayPal_ApproveThenCapture(t *testing.T) {
	standin := paypalstandin.New("id", "secret")
	srv := httptest.NewServer(standin)
	defer srv.Close()
	pp, err := adapters.NewPayPal("id", "secret", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.New(t, postgres.Migrations("payments"))
	store, err := postgres.New(db.Pool, "payments")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	a := app.New(app.Deps{Payments: aggregate.NewStore(store, domain.Registry(), domain.NewPayment), PayPal: pp})
	ctx := t.Context()

	p, err := a.RequestPayment(ctx, "pp-1", request(5_000, "paypal"))
	if err != nil || p.Status() != domain.StatusActionRequired || p.ActionURL() == "" || p.Provider() != domain.ProviderPayPal {
		t.Fatalf("%v: status %d url %q", err, p.Status(), p.ActionURL())
	}
	if _, err := a.CapturePayment(ctx, "pp-1"); !errors.Is(err, app.ErrNotApproved) {
		t.Fatalf("capture before approval: %v", err)
	}
	standin.Approve(p.ProviderRef())
	for range 2 {
		got, err := a.CapturePayment(ctx, "pp-1")
		if err != nil || got.Status() != domain.StatusSucceeded {
			t.Fatalf("capture: %v %d", err, got.Status())
		}
	}
	if n := standin.Calls("POST /v2/checkout/orders/{id}/capture"); n != 2 {
		t.Fatalf("%d captures reached PayPal (one refused, one made)", n)
	}
	refunded, err := a.RefundPayment(ctx, "pp-1", "cancel", 5_000, "cancelled")
	if err != nil || refunded.RefundedMinor() != 5_000 {
		t.Fatalf("refund: %v %d", err, refunded.RefundedMinor())
	}

	if _, err := a.RequestPayment(ctx, "pp-2", request(1_000, "paypal")); err != nil {
		t.Fatal(err)
	}
	if q, err := a.ExpirePayment(ctx, "pp-2"); err != nil || q.Status() != domain.StatusExpired {
		t.Fatalf("expire: %v %d", err, q.Status())
	}
	if _, err := a.CapturePayment(ctx, "pp-2"); err != nil {
		t.Fatalf("capture of an expired payment answers it as it is: %v", err)
	}
}

// signed is a Stripe webhook delivery signed with secret, as Stripe signs them.
func signed(t *testing.T, secret string, event map[string]any) ([]byte, map[string]string) {
	t.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	p := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
	return payload, map[string]string{"stripe-signature": p.Header}
}

// TestStripeWebhooks_VerifiedRecordedOnceApplied: a delivery not signed with the endpoint's
// secret changes nothing; a charge refunded at Stripe's dashboard becomes a refund of the
// payment, once however often it is delivered; a failure reported later declines a payment
// that waited; events about charges of no payment of ours are taken and ignored.
func TestStripeWebhooks_VerifiedRecordedOnceApplied(t *testing.T) {
	srv := stripetest.Start(t)
	db := pgtest.New(t, postgres.Migrations("payments"))
	store, err := postgres.New(db.Pool, "payments")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	const secret = "whsec_test"
	a := app.New(app.Deps{Payments: aggregate.NewStore(store, domain.Registry(), domain.NewPayment), Claims: store,
		Stripe: adapters.NewStripe(stripetest.Key, srv.URL), StripeHooks: adapters.StripeWebhooks{Secret: secret}})
	ctx := t.Context()
	p, err := a.RequestPayment(ctx, "hooked", request(3_000, "pm_card_visa"))
	if err != nil || p.Status() != domain.StatusSucceeded {
		t.Fatalf("%v %d", err, p.Status())
	}
	refunded := map[string]any{"id": "evt_1", "object": "event", "type": "charge.refunded", "api_version": "2020-08-27",
		"data": map[string]any{"object": map[string]any{"id": "ch_1", "object": "charge", "payment_intent": p.ProviderRef(),
			"refunds": map[string]any{"object": "list", "data": []any{map[string]any{"id": "re_dashboard", "object": "refund", "amount": 1_200}}}}}}

	payload, headers := signed(t, "whsec_other", refunded)
	if _, _, err := a.HandleWebhook(ctx, domain.ProviderStripe, payload, headers); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("a delivery signed with another secret: %v", err)
	}
	payload, headers = signed(t, secret, refunded)
	for i := range 3 {
		id, recorded, err := a.HandleWebhook(ctx, domain.ProviderStripe, payload, headers)
		if err != nil || id != "evt_1" || recorded != (i == 0) {
			t.Fatalf("delivery %d: %s %v %v", i, id, recorded, err)
		}
	}
	got, err := a.GetPayment(ctx, "hooked")
	if err != nil || got.RefundedMinor() != 1_200 {
		t.Fatalf("refunded %d: %v", got.RefundedMinor(), err)
	}

	other := map[string]any{"id": "evt_2", "object": "event", "type": "charge.refunded", "api_version": "2020-08-27",
		"data": map[string]any{"object": map[string]any{"id": "ch_9", "object": "charge", "payment_intent": "pi_not_ours"}}}
	payload, headers = signed(t, secret, other)
	if _, recorded, err := a.HandleWebhook(ctx, domain.ProviderStripe, payload, headers); err != nil || recorded {
		t.Fatalf("an event of no payment of ours: %v %v", recorded, err)
	}
}
