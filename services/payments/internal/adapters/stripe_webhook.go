package adapters

import (
	"encoding/json"
	"fmt"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/services/payments/internal/app"
)

// StripeWebhooks verifies Stripe's webhook deliveries (Stripe-Signature, with the endpoint's
// signing secret, within stripe-go's 5-minute tolerance) and reads what they say.
type StripeWebhooks struct{ Secret string }

var _ app.WebhookParser = StripeWebhooks{}

// Parse implements app.WebhookParser.
func (s StripeWebhooks) Parse(payload []byte, headers map[string]string) (app.WebhookEvent, error) {
	ev, err := webhook.ConstructEventWithOptions(payload, headers["stripe-signature"], s.Secret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return app.WebhookEvent{}, errs.Field("Stripe-Signature", "the delivery is not signed by Stripe, or too old")
	}
	out := app.WebhookEvent{ID: ev.ID, Type: string(ev.Type)}
	if ev.Data == nil {
		return out, nil
	}
	switch ev.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed":
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			return out, fmt.Errorf("%w: payment intent: %v", errs.InvalidArgument, err)
		}
		out.OrderID, out.ProviderRef = pi.Metadata["order_id"], pi.ID
		if ev.Type == "payment_intent.succeeded" {
			out.Outcome = app.WebhookSucceeded
		} else {
			out.Outcome, out.DeclineCode = app.WebhookFailed, "card_declined"
			if e := pi.LastPaymentError; e != nil && e.DeclineCode != "" {
				out.DeclineCode = string(e.DeclineCode)
			} else if e != nil && e.Code != "" {
				out.DeclineCode = string(e.Code)
			}
		}
	case "charge.refunded":
		var ch stripe.Charge
		if err := json.Unmarshal(ev.Data.Raw, &ch); err != nil {
			return out, fmt.Errorf("%w: charge: %v", errs.InvalidArgument, err)
		}
		out.Outcome, out.OrderID = app.WebhookRefunded, ch.Metadata["order_id"]
		if ch.PaymentIntent != nil {
			out.ProviderRef = ch.PaymentIntent.ID
		}
		if ch.Refunds != nil {
			for _, r := range ch.Refunds.Data {
				out.Refunds = append(out.Refunds, app.WebhookRefund{Ref: r.ID, AmountMinor: r.Amount})
			}
		}
	}
	return out, nil
}
