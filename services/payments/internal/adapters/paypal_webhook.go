package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/money"
	"github.com/storefront/storefront/services/payments/internal/app"
)

// PayPalWebhooks verifies PayPal's webhook deliveries by asking PayPal
// (verify-webhook-signature, for the configured webhook id), as PayPal documents, and reads
// the capture events.
type PayPalWebhooks struct {
	PayPal    *PayPal
	WebhookID string
}

var _ app.WebhookParser = PayPalWebhooks{}

// Parse implements app.WebhookParser.
func (p PayPalWebhooks) Parse(payload []byte, headers map[string]string) (app.WebhookEvent, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/webhooks/paypal", bytes.NewReader(payload))
	if err != nil {
		return app.WebhookEvent{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := p.PayPal.client.VerifyWebhookSignature(ctx, req, p.WebhookID)
	if err != nil {
		return app.WebhookEvent{}, fmt.Errorf("paypal: verify webhook: %w", safe(err))
	}
	if res.VerificationStatus != "SUCCESS" {
		return app.WebhookEvent{}, errs.Field("Paypal-Transmission-Sig", "the delivery is not signed by PayPal")
	}
	var ev struct {
		ID        string `json:"id"`
		EventType string `json:"event_type"`
		Resource  struct {
			ID       string `json:"id"`
			CustomID string `json:"custom_id"`
			Amount   struct {
				Currency string `json:"currency_code"`
				Value    string `json:"value"`
			} `json:"amount"`
			Links []struct {
				Href string `json:"href"`
				Rel  string `json:"rel"`
			} `json:"links"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return app.WebhookEvent{}, fmt.Errorf("%w: paypal event: %v", errs.InvalidArgument, err)
	}
	out := app.WebhookEvent{ID: ev.ID, Type: ev.EventType}
	r := ev.Resource
	switch ev.EventType {
	case "PAYMENT.CAPTURE.COMPLETED":
		out.Outcome, out.OrderID, out.ProviderRef = app.WebhookSucceeded, r.CustomID, r.ID
	case "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED":
		out.Outcome, out.OrderID, out.ProviderRef, out.DeclineCode = app.WebhookFailed, r.CustomID, r.ID, "capture_denied"
	case "PAYMENT.CAPTURE.REFUNDED":
		// The refund names its capture in its "up" link; the capture finds the payment.
		for _, l := range r.Links {
			if l.Rel == "up" {
				out.ProviderRef = l.Href[strings.LastIndex(l.Href, "/")+1:]
			}
		}
		amount, err := money.Parse(r.Amount.Value, r.Amount.Currency)
		if err != nil {
			return out, fmt.Errorf("%w: paypal refund amount: %v", errs.InvalidArgument, err)
		}
		out.Outcome, out.Refunds = app.WebhookRefunded, []app.WebhookRefund{{Ref: r.ID, AmountMinor: amount}}
	}
	return out, nil
}
