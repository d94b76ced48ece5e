package adapters

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/storefront/storefront/services/payments/internal/app"
	"github.com/storefront/storefront/services/payments/internal/domain"
)

// Stripe charges and refunds through Stripe's API (or a stand-in at another base URL).
type Stripe struct{ api *client.API }

var _ app.Provider = Stripe{}

// StripeTimeout bounds one call to Stripe by default.
const StripeTimeout = 30 * time.Second

// NewStripe returns the adapter for the secret key at base ("https://api.stripe.com", or
// the local stand-in), each call bounded by timeout (StripeTimeout when 0). The client
// retries nothing itself: the saga's retries repeat a call with its idempotency key.
func NewStripe(key, base string, timeout ...time.Duration) Stripe {
	noRetries := int64(0)
	t := StripeTimeout
	if len(timeout) > 0 && timeout[0] > 0 {
		t = timeout[0]
	}
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(base),
		HTTPClient:        &http.Client{Timeout: t},
		MaxNetworkRetries: &noRetries,
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	api := &client.API{}
	api.Init(key, &stripe.Backends{API: backend, Connect: backend, Uploads: backend})
	return Stripe{api: api}
}

// Charge implements app.Provider: it creates and confirms a PaymentIntent with the
// PaymentMethod. A card error is a decline (the code is safe to show); a request Stripe
// refuses for the PaymentMethod (an unknown pm_...) is declined as invalid_payment_method;
// anything else is an error, for the caller to retry with the same key.
func (s Stripe) Charge(ctx context.Context, c app.Charge) (domain.Outcome, error) {
	params := &stripe.PaymentIntentParams{
		Amount:             stripe.Int64(c.AmountMinor),
		Currency:           stripe.String(strings.ToLower(c.Currency)),
		PaymentMethod:      stripe.String(c.Method),
		PaymentMethodTypes: stripe.StringSlice([]string{"card"}),
		Confirm:            stripe.Bool(true),
		Description:        stripe.String(c.Description),
	}
	params.Context = ctx
	params.SetIdempotencyKey(c.IdempotencyKey)
	params.AddMetadata("order_id", c.OrderID)
	pi, err := s.api.PaymentIntents.New(params)
	var se *stripe.Error
	if errors.As(err, &se) {
		ref := ""
		if se.PaymentIntent != nil {
			ref = se.PaymentIntent.ID
		}
		switch {
		case se.Type == stripe.ErrorTypeCard:
			code := string(se.DeclineCode)
			if code == "" || code == "generic_decline" {
				code = string(se.Code)
			}
			return domain.Outcome{Status: domain.StatusDeclined, ProviderRef: ref, DeclineCode: code}, nil
		case se.Type == stripe.ErrorTypeInvalidRequest && se.Param == "payment_method":
			return domain.Outcome{Status: domain.StatusDeclined, ProviderRef: ref, DeclineCode: "invalid_payment_method"}, nil
		}
		return domain.Outcome{}, fmt.Errorf("stripe: %s %s (HTTP %d)", se.Type, se.Code, se.HTTPStatusCode)
	}
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("stripe: %w", err)
	}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		return domain.Outcome{Status: domain.StatusSucceeded, ProviderRef: pi.ID}, nil
	case stripe.PaymentIntentStatusRequiresAction:
		url := ""
		if pi.NextAction != nil && pi.NextAction.RedirectToURL != nil {
			url = pi.NextAction.RedirectToURL.URL
		}
		return domain.Outcome{Status: domain.StatusActionRequired, ProviderRef: pi.ID, ActionURL: url}, nil
	case stripe.PaymentIntentStatusRequiresPaymentMethod:
		code := "card_declined"
		if e := pi.LastPaymentError; e != nil && e.DeclineCode != "" {
			code = string(e.DeclineCode)
		}
		return domain.Outcome{Status: domain.StatusDeclined, ProviderRef: pi.ID, DeclineCode: code}, nil
	}
	// processing, requires_confirmation, ...: not settled yet; asked again later.
	return domain.Outcome{}, fmt.Errorf("stripe: PaymentIntent %s is %s", pi.ID, pi.Status)
}

// Refund implements app.Provider.
func (s Stripe) Refund(ctx context.Context, key, ref string, amountMinor int64) (string, error) {
	params := &stripe.RefundParams{PaymentIntent: stripe.String(ref), Amount: stripe.Int64(amountMinor)}
	params.Context = ctx
	params.SetIdempotencyKey(key)
	re, err := s.api.Refunds.New(params)
	var se *stripe.Error
	if errors.As(err, &se) && (se.Type == stripe.ErrorTypeCard || se.Type == stripe.ErrorTypeInvalidRequest) {
		return "", &app.RefundRefusedError{Reason: string(se.Code)}
	}
	if err != nil {
		return "", fmt.Errorf("stripe refund: %w", err)
	}
	if re.Status == stripe.RefundStatusFailed || re.Status == stripe.RefundStatusCanceled {
		return "", &app.RefundRefusedError{Reason: string(re.FailureReason)}
	}
	return re.ID, nil
}
