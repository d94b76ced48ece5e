// Package app holds the payments context's use cases, the contract of
// proto/storefront/payments/v1: charge an order, give a payment up, refund it, read it.
// Every provider call is recorded as intended before it is made and carries an idempotency
// key derived from the order and the step, so that a call repeated after a crash at any
// point — before the provider answered, or after it answered and before the answer was
// recorded — moves money at most once and learns the first answer.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/services/payments/internal/domain"
)

// Charge is a charge for a provider.
type Charge struct {
	// IdempotencyKey is the same for every attempt of the same charge.
	IdempotencyKey string
	OrderID        string
	AmountMinor    int64
	Currency       string
	Method         string
	Description    string
}

// RefundRefusedError is a refund the provider refused for good.
type RefundRefusedError struct{ Reason string }

func (e *RefundRefusedError) Error() string { return "refund refused: " + e.Reason }

// Provider moves money (Stripe, PayPal). Errors other than the outcomes it returns are
// transient: the call is made again, with the same key.
type Provider interface {
	Charge(ctx context.Context, c Charge) (domain.Outcome, error)
	// Refund refunds amount of the charge ref once per key and returns the refund's
	// reference, or a *RefundRefusedError.
	Refund(ctx context.Context, key, ref string, amountMinor int64) (string, error)
}

// Capturer completes a payment the buyer approved at the provider (PayPal).
type Capturer interface {
	// Capture captures the approved payment ref once per key; not approved yet is
	// ErrNotApproved.
	Capture(ctx context.Context, key, ref string) (domain.Outcome, error)
}

// ErrNotApproved is a capture before the buyer approved the payment.
var ErrNotApproved = fmt.Errorf("%w: the buyer has not approved the payment yet", errs.FailedPrecondition)

// WebhookOutcome is what a provider's webhook event says happened.
type WebhookOutcome int

// Outcomes of webhook events; the others are recorded and change nothing else.
const (
	WebhookOther WebhookOutcome = iota
	WebhookSucceeded
	WebhookFailed
	WebhookRefunded
)

// WebhookRefund is a refund a webhook event reports.
type WebhookRefund struct {
	Ref         string
	AmountMinor int64
}

// WebhookEvent is a verified webhook delivery.
type WebhookEvent struct {
	ID, Type string
	// OrderID when the event carries it (our metadata); else ProviderRef finds the payment.
	OrderID, ProviderRef string
	Outcome              WebhookOutcome
	DeclineCode          string
	Refunds              []WebhookRefund
}

// WebhookParser verifies a provider's delivery and reads it; a delivery that is not the
// provider's (unsigned, wrongly signed, stale) is an errs.InvalidArgument error.
type WebhookParser interface {
	Parse(payload []byte, headers map[string]string) (WebhookEvent, error)
}

// Payments loads and saves payments.
type Payments = aggregate.Store[*domain.Payment]

// Deps are what the use cases need.
type Deps struct {
	Payments *Payments
	Stripe   Provider
	// StripeHooks and PayPalHooks verify the providers' webhooks; nil refuses them.
	StripeHooks, PayPalHooks WebhookParser
	// Claims finds a payment by its provider reference.
	Claims es.ClaimReader
	// PayPal takes payment_method "paypal"; nil when it is not configured.
	PayPal interface {
		Provider
		Capturer
	}
	Clock func() time.Time
	Log   *slog.Logger
}

// App is the payments context's use cases.
type App struct{ d Deps }

// New returns the use cases.
func New(d Deps) *App {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &App{d: d}
}

func (a *App) now() time.Time { return a.d.Clock().UTC() }

// ErrUnsupportedMethod is a payment method no provider here takes.
var ErrUnsupportedMethod = errs.Field("payment_method", `must be a Stripe PaymentMethod id (pm_...) or "paypal"`)

// provider chooses the provider of a payment method.
func (a *App) provider(method string) (string, Provider, error) {
	switch {
	case len(method) > 3 && method[:3] == "pm_" && a.d.Stripe != nil:
		return domain.ProviderStripe, a.d.Stripe, nil
	case method == "paypal" && a.d.PayPal != nil:
		return domain.ProviderPayPal, a.d.PayPal, nil
	}
	return "", nil, ErrUnsupportedMethod
}

func validOrderID(id string) error {
	if id == "" || len(id) > 64 {
		return errs.Field("order_id", "must be 1 to 64 characters")
	}
	return nil
}

// RequestPayment charges an order. A repeated call answers with the payment as it is,
// completing a charge that an earlier call left unanswered.
func (a *App) RequestPayment(ctx context.Context, orderID string, r domain.Request) (*domain.Payment, error) {
	if err := validOrderID(orderID); err != nil {
		return nil, err
	}
	name, _, err := a.provider(r.Method)
	if err != nil {
		return nil, err
	}
	r.Provider = name
	p, err := a.d.Payments.UpdateOrNew(ctx, domain.PaymentStream(orderID), func(p *domain.Payment) error { return p.Request(r, a.now()) })
	if err != nil {
		return nil, err
	}
	if p.Status() != domain.StatusRequested {
		return p, nil
	}
	return a.charge(ctx, p)
}

// charge makes (or repeats, with the same key) the charge of a requested payment and records
// the answer.
func (a *App) charge(ctx context.Context, p *domain.Payment) (*domain.Payment, error) {
	_, provider, err := a.provider(p.Method())
	if err != nil {
		return nil, err
	}
	out, err := provider.Charge(ctx, Charge{IdempotencyKey: "order-" + p.OrderID() + "/charge", OrderID: p.OrderID(),
		AmountMinor: p.AmountMinor(), Currency: p.Currency(), Method: p.Method(), Description: p.Description()})
	if err != nil {
		return nil, fmt.Errorf("charge order %s: %w", p.OrderID(), err)
	}
	return a.d.Payments.Update(ctx, p.StreamID(), func(p *domain.Payment) error { p.Settle(out, a.now()); return nil })
}

// ExpirePayment gives up an order's payment that has not succeeded. A charge that may be in
// flight is first settled by repeating it with its key (the provider answers as it did, or
// makes it now): a payment that succeeded is answered as it is, never given up.
func (a *App) ExpirePayment(ctx context.Context, orderID string) (*domain.Payment, error) {
	if err := validOrderID(orderID); err != nil {
		return nil, err
	}
	stream := domain.PaymentStream(orderID)
	p, err := a.d.Payments.Load(ctx, stream)
	if err != nil && !errors.Is(err, aggregate.ErrNotFound) {
		return nil, err
	}
	if err == nil && p.Status() == domain.StatusRequested {
		if p, err = a.charge(ctx, p); err != nil {
			return nil, err
		}
		if !p.Unsettled() {
			return p, nil
		}
	}
	return a.d.Payments.UpdateOrNew(ctx, stream, func(p *domain.Payment) error {
		if p.Status() == domain.StatusRequested {
			return fmt.Errorf("%w: the payment is being charged; retry", errs.Aborted)
		}
		p.Expire(a.now())
		return nil
	})
}

// RefundPayment refunds a succeeded payment once per refund id.
func (a *App) RefundPayment(ctx context.Context, orderID, refundID string, amountMinor int64, reason string) (*domain.Payment, error) {
	if err := validOrderID(orderID); err != nil {
		return nil, err
	}
	p, err := a.d.Payments.Update(ctx, domain.PaymentStream(orderID), func(p *domain.Payment) error {
		return p.AskRefund(refundID, amountMinor, reason, a.now())
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return nil, domain.ErrPaymentNotFound
	}
	if err != nil {
		return nil, err
	}
	r, _ := p.Refund(refundID)
	if r.Status != "pending" {
		return p, nil
	}
	_, provider, err := a.provider(p.Method())
	if err != nil {
		return nil, err
	}
	ref, err := provider.Refund(ctx, "order-"+orderID+"/refund-"+refundID, p.ProviderRef(), amountMinor)
	var refused *RefundRefusedError
	if err != nil && !errors.As(err, &refused) {
		return nil, fmt.Errorf("refund order %s: %w", orderID, err)
	}
	return a.d.Payments.Update(ctx, p.StreamID(), func(p *domain.Payment) error {
		if refused != nil {
			p.RefundOutcome(refundID, false, "", refused.Reason, a.now())
		} else {
			p.RefundOutcome(refundID, true, ref, "", a.now())
		}
		return nil
	})
}

// CapturePayment completes a PayPal payment the buyer approved. A captured payment is
// answered as it is; one not approved yet is ErrNotApproved.
func (a *App) CapturePayment(ctx context.Context, orderID string) (*domain.Payment, error) {
	p, err := a.GetPayment(ctx, orderID)
	if err != nil {
		return nil, err
	}
	if p.Status() != domain.StatusActionRequired || p.Provider() != domain.ProviderPayPal {
		if p.Unsettled() {
			return nil, ErrNotApproved
		}
		return p, nil
	}
	out, err := a.d.PayPal.Capture(ctx, "order-"+orderID+"/capture", p.ProviderRef())
	if err != nil {
		return nil, err
	}
	return a.d.Payments.Update(ctx, p.StreamID(), func(p *domain.Payment) error { p.Settle(out, a.now()); return nil })
}

// HandleWebhook takes a provider's webhook delivery: verified, recorded once by its event
// id, and applied to the payment it concerns. recorded is false for a redelivery or an
// event about no payment of ours (answered 200, so the provider stops sending it).
func (a *App) HandleWebhook(ctx context.Context, provider string, payload []byte, headers map[string]string) (eventID string, recorded bool, err error) {
	var parser WebhookParser
	switch provider {
	case domain.ProviderStripe:
		parser = a.d.StripeHooks
	case domain.ProviderPayPal:
		parser = a.d.PayPalHooks
	}
	if parser == nil {
		return "", false, errs.Field("provider", "webhooks of "+provider+" are not taken here")
	}
	ev, err := parser.Parse(payload, headers)
	if err != nil {
		return "", false, err
	}
	orderID := ev.OrderID
	if orderID == "" && ev.ProviderRef != "" && a.d.Claims != nil {
		stream, err := a.d.Claims.ClaimOwner(ctx, es.Claim{Scope: domain.ProviderRefClaim, Value: ev.ProviderRef})
		if errors.Is(err, es.ErrNoClaim) {
			return ev.ID, false, nil
		}
		if err != nil {
			return "", false, err
		}
		orderID = strings.TrimPrefix(stream, "payment-")
	}
	if orderID == "" {
		return ev.ID, false, nil
	}
	_, err = a.d.Payments.Update(ctx, domain.PaymentStream(orderID), func(p *domain.Payment) error {
		now := a.now()
		if recorded = p.Notice(provider, ev.ID, ev.Type, now); !recorded {
			return nil
		}
		switch ev.Outcome {
		case WebhookSucceeded:
			p.Settle(domain.Outcome{Status: domain.StatusSucceeded, ProviderRef: ev.ProviderRef}, now)
		case WebhookFailed:
			p.Settle(domain.Outcome{Status: domain.StatusDeclined, ProviderRef: ev.ProviderRef, DeclineCode: ev.DeclineCode}, now)
		case WebhookRefunded:
			for _, r := range ev.Refunds {
				p.RefundedAtProvider(r.Ref, r.AmountMinor, now)
			}
		}
		return nil
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return ev.ID, false, nil
	}
	return ev.ID, recorded, err
}

// GetPayment returns an order's payment.
func (a *App) GetPayment(ctx context.Context, orderID string) (*domain.Payment, error) {
	p, err := a.d.Payments.Load(ctx, domain.PaymentStream(orderID))
	if errors.Is(err, aggregate.ErrNotFound) {
		return nil, domain.ErrPaymentNotFound
	}
	return p, err
}
