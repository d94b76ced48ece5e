package adapters

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/plutov/paypal/v4"

	"github.com/storefront/storefront/platform/money"
	"github.com/storefront/storefront/services/payments/internal/app"
	"github.com/storefront/storefront/services/payments/internal/domain"
)

// PayPal takes payments through PayPal Orders v2 with the maintained client
// github.com/plutov/paypal/v4, which caches the OAuth client-credentials token until shortly
// before it expires. Every POST carries PayPal-Request-Id, the idempotency key of its step.
type PayPal struct {
	client *paypal.Client
	// ReturnURL is where PayPal sends the buyer after the approval (the storefront's order
	// page); CancelURL when they give up.
	ReturnURL, CancelURL string
	Brand                string
}

var (
	_ app.Provider = (*PayPal)(nil)
	_ app.Capturer = (*PayPal)(nil)
)

// NewPayPal returns the adapter for the REST app's credentials at base
// ("https://api-m.paypal.com", "https://api-m.sandbox.paypal.com", or the local stand-in),
// each call bounded by timeout (30 s when 0).
func NewPayPal(clientID, secret, base string, timeout ...time.Duration) (*PayPal, error) {
	c, err := paypal.NewClient(clientID, secret, strings.TrimSuffix(base, "/"))
	if err != nil {
		return nil, fmt.Errorf("paypal: %w", err)
	}
	t := 30 * time.Second
	if len(timeout) > 0 && timeout[0] > 0 {
		t = timeout[0]
	}
	c.SetHTTPClient(&http.Client{Timeout: t})
	return &PayPal{client: c, Brand: "Storefront"}, nil
}

// Charge implements app.Provider: it creates a PayPal order for the amount, which the buyer
// approves at its payer-action link; CapturePayment completes it.
func (p *PayPal) Charge(ctx context.Context, c app.Charge) (domain.Outcome, error) {
	type experience struct {
		BrandName  string `json:"brand_name,omitempty"`
		UserAction string `json:"user_action"`
		ReturnURL  string `json:"return_url,omitempty"`
		CancelURL  string `json:"cancel_url,omitempty"`
	}
	body := map[string]any{
		"intent": "CAPTURE",
		"purchase_units": []paypal.PurchaseUnitRequest{{ReferenceID: c.OrderID, CustomID: c.OrderID, Description: c.Description,
			Amount: &paypal.PurchaseUnitAmount{Currency: c.Currency, Value: money.Format(c.AmountMinor, c.Currency)}}},
		"payment_source": map[string]any{"paypal": map[string]any{"experience_context": experience{BrandName: p.Brand, UserAction: "PAY_NOW",
			ReturnURL: p.url(p.ReturnURL, c.OrderID), CancelURL: p.url(p.CancelURL, c.OrderID)}}},
	}
	req, err := p.client.NewRequest(ctx, http.MethodPost, p.client.APIBase+"/v2/checkout/orders", body)
	if err != nil {
		return domain.Outcome{}, err
	}
	req.Header.Set("PayPal-Request-Id", c.IdempotencyKey)
	var order paypal.Order
	if err := p.client.SendWithAuth(req, &order); err != nil {
		return domain.Outcome{}, fmt.Errorf("paypal: create order: %w", safe(err))
	}
	for _, l := range order.Links {
		if l.Rel == "payer-action" || (l.Rel == "approve" && order.Status == "CREATED") {
			return domain.Outcome{Status: domain.StatusActionRequired, ProviderRef: order.ID, ActionURL: l.Href}, nil
		}
	}
	return domain.Outcome{}, fmt.Errorf("paypal: order %s (%s) has no approval link", order.ID, order.Status)
}

func (p *PayPal) url(pattern, orderID string) string {
	return strings.ReplaceAll(pattern, "{order_id}", orderID)
}

// Capture implements app.Capturer: it captures an approved PayPal order. Not approved yet is
// app.ErrNotApproved; captured before (a repeated call after a crash) answers the capture.
func (p *PayPal) Capture(ctx context.Context, key, ref string) (domain.Outcome, error) {
	res, err := p.client.CaptureOrderWithPaypalRequestId(ctx, ref, paypal.CaptureOrderRequest{}, key, nil)
	var pe *paypal.ErrorResponse
	if errors.As(err, &pe) {
		switch issue(pe) {
		case "ORDER_NOT_APPROVED", "PAYER_ACTION_REQUIRED":
			return domain.Outcome{}, app.ErrNotApproved
		case "ORDER_ALREADY_CAPTURED":
			return p.captured(ctx, ref)
		case "INSTRUMENT_DECLINED", "PAYER_CANNOT_PAY", "TRANSACTION_REFUSED":
			return domain.Outcome{Status: domain.StatusDeclined, ProviderRef: ref, DeclineCode: strings.ToLower(issue(pe))}, nil
		}
	}
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("paypal: capture %s: %w", ref, safe(err))
	}
	for _, u := range res.PurchaseUnits {
		if u.Payments != nil {
			for _, c := range u.Payments.Captures {
				switch c.Status {
				case "COMPLETED", "PENDING":
					return domain.Outcome{Status: domain.StatusSucceeded, ProviderRef: c.ID}, nil
				case "DECLINED", "FAILED":
					return domain.Outcome{Status: domain.StatusDeclined, ProviderRef: c.ID, DeclineCode: "capture_" + strings.ToLower(c.Status)}, nil
				}
			}
		}
	}
	return domain.Outcome{}, fmt.Errorf("paypal: capture of %s answered no capture (%s)", ref, res.Status)
}

// captured reads the capture of an order captured before.
func (p *PayPal) captured(ctx context.Context, ref string) (domain.Outcome, error) {
	o, err := p.client.GetOrder(ctx, ref)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("paypal: read order %s: %w", ref, safe(err))
	}
	for _, u := range o.PurchaseUnits {
		if u.Payments != nil {
			for _, c := range u.Payments.Captures {
				return domain.Outcome{Status: domain.StatusSucceeded, ProviderRef: c.ID}, nil
			}
		}
	}
	return domain.Outcome{}, fmt.Errorf("paypal: order %s is captured but shows no capture", ref)
}

// Refund implements app.Provider: a refund of the capture ref.
func (p *PayPal) Refund(ctx context.Context, key, ref string, amountMinor int64) (string, error) {
	cur := "USD"
	res, err := p.client.RefundCaptureWithPaypalRequestId(ctx, ref, paypal.RefundCaptureRequest{
		Amount: &paypal.Money{Currency: cur, Value: money.Format(amountMinor, cur)}}, key)
	var pe *paypal.ErrorResponse
	if errors.As(err, &pe) && pe.Response != nil && pe.Response.StatusCode == http.StatusUnprocessableEntity {
		return "", &app.RefundRefusedError{Reason: strings.ToLower(issue(pe))}
	}
	if err != nil {
		return "", fmt.Errorf("paypal: refund %s: %w", ref, safe(err))
	}
	if res.Status != "COMPLETED" && res.Status != "PENDING" {
		return "", &app.RefundRefusedError{Reason: strings.ToLower(res.Status)}
	}
	return res.ID, nil
}

func issue(e *paypal.ErrorResponse) string {
	if len(e.Details) > 0 {
		return e.Details[0].Issue
	}
	return e.Name
}

// safe keeps PayPal's error to its status and issue: its text is not for logs of ours to
// repeat to clients, and its request dump may hold the token.
func safe(err error) error {
	var pe *paypal.ErrorResponse
	if errors.As(err, &pe) {
		status := 0
		if pe.Response != nil {
			status = pe.Response.StatusCode
		}
		return fmt.Errorf("HTTP %d %s", status, issue(pe))
	}
	return err
}
