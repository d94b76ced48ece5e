package adapters_test

import (
	"errors"
	"testing"

	"github.com/storefront/storefront/platform/testkit/stripetest"
	"github.com/storefront/storefront/services/payments/internal/adapters"
	"github.com/storefront/storefront/services/payments/internal/app"
	"github.com/storefront/storefront/services/payments/internal/domain"
)

// TestStripe_ChargesDeclinesAndRefundsOncePerKey runs the adapter against the local Stripe
// API (stripe-mock behind the stand-in), through stripe-go, as the service does.
func TestStripe_ChargesDeclinesAndRefundsOncePerKey(t *testing.T) {
	srv := stripetest.Start(t)
	s := adapters.NewStripe(stripetest.Key, srv.URL)
	ctx := t.Context()

	tests := []struct {
		method string
		want   domain.Status
		code   string
	}{
		{"pm_card_visa", domain.StatusSucceeded, ""},
		{"pm_card_chargeDeclined", domain.StatusDeclined, "card_declined"},
		{"pm_card_chargeDeclinedInsufficientFunds", domain.StatusDeclined, "insufficient_funds"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			out, err := s.Charge(ctx, app.Charge{IdempotencyKey: "order-" + tt.method + "/charge", OrderID: "o-" + tt.method,
				AmountMinor: 12_990, Currency: "USD", Method: tt.method, Description: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tt.want || out.DeclineCode != tt.code || out.ProviderRef == "" {
				t.Fatalf("outcome %+v, want status %d code %q", out, tt.want, tt.code)
			}
		})
	}

	t.Run("one charge per key", func(t *testing.T) {
		before := srv.Handler.Requests("/v1/payment_intents")
		c := app.Charge{IdempotencyKey: "order-once/charge", OrderID: "once", AmountMinor: 500, Currency: "USD", Method: "pm_card_visa"}
		first, err := s.Charge(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.Charge(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if first.ProviderRef != again.ProviderRef || srv.Handler.Requests("/v1/payment_intents")-before != 1 {
			t.Fatalf("two calls with one key: %s, %s; %d charges", first.ProviderRef, again.ProviderRef, srv.Handler.Requests("/v1/payment_intents")-before)
		}
		c.AmountMinor = 600
		if _, err := s.Charge(ctx, c); err == nil {
			t.Fatal("the same key with another amount was accepted")
		}

		ref, err := s.Refund(ctx, "order-once/refund-cancel", first.ProviderRef, 500)
		if err != nil {
			t.Fatal(err)
		}
		ref2, err := s.Refund(ctx, "order-once/refund-cancel", first.ProviderRef, 500)
		if err != nil || ref2 != ref || srv.Handler.Requests("/v1/refunds") != 1 {
			t.Fatalf("refund repeated: %s %s %v, %d refunds", ref, ref2, err, srv.Handler.Requests("/v1/refunds"))
		}
	})

	t.Run("an unreachable API is an error to retry, not an outcome", func(t *testing.T) {
		down := adapters.NewStripe(stripetest.Key, "http://127.0.0.1:1")
		_, err := down.Charge(ctx, app.Charge{IdempotencyKey: "k", OrderID: "o", AmountMinor: 1, Currency: "USD", Method: "pm_card_visa"})
		var refused *app.RefundRefusedError
		if err == nil || errors.As(err, &refused) {
			t.Fatalf("err %v", err)
		}
	})
}
