package domain

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
)

// Status is where a payment stands.
type Status int

// Statuses: none → requested → succeeded | declined | action required (→ succeeded ...);
// none | requested | action required → expired.
const (
	StatusNone Status = iota
	StatusRequested
	StatusActionRequired
	StatusSucceeded
	StatusDeclined
	StatusExpired
)

// Providers.
const (
	ProviderStripe = "stripe"
	ProviderPayPal = "paypal"
)

var (
	// ErrPaymentNotFound is an order without a payment.
	ErrPaymentNotFound = fmt.Errorf("%w: no payment for this order", errs.NotFound)
	// ErrOtherRequest is a repeated request with another amount or method.
	ErrOtherRequest = fmt.Errorf("%w: this order's payment was requested with another amount or method", errs.FailedPrecondition)
	// ErrNotRefundable is a refund of a payment that did not succeed.
	ErrNotRefundable = fmt.Errorf("%w: only a succeeded payment can be refunded", errs.FailedPrecondition)
	// ErrRefundTooLarge is a refund beyond what is left to refund.
	ErrRefundTooLarge = fmt.Errorf("%w: the refund exceeds what is left to refund", errs.FailedPrecondition)
)

// PaymentStream is the stream id of an order's payment.
func PaymentStream(orderID string) string { return "payment-" + orderID }

// Refund is one refund of a payment.
type Refund struct {
	ID          string
	AmountMinor int64
	// "pending", "succeeded" or "failed".
	Status      string
	ProviderRef string
}

// Payment is an order's payment.
type Payment struct {
	aggregate.Changes
	orderID     string
	userID      string
	status      Status
	provider    string
	method      string
	amount      int64
	currency    string
	description string
	providerRef string
	actionURL   string
	declineCode string
	refunds     map[string]*Refund
	noticed     map[string]bool // provider events taken, by id
	updatedAt   time.Time
}

// NewPayment returns a payment for the stream id, for loading or requesting.
func NewPayment(streamID string) *Payment {
	return &Payment{orderID: streamID[len("payment-"):], refunds: map[string]*Refund{}, noticed: map[string]bool{}}
}

// StreamID implements aggregate.Root.
func (p *Payment) StreamID() string { return PaymentStream(p.orderID) }

// Getters.
func (p *Payment) OrderID() string      { return p.orderID }
func (p *Payment) UserID() string       { return p.userID }
func (p *Payment) Status() Status       { return p.status }
func (p *Payment) Provider() string     { return p.provider }
func (p *Payment) Method() string       { return p.method }
func (p *Payment) AmountMinor() int64   { return p.amount }
func (p *Payment) Currency() string     { return p.currency }
func (p *Payment) Description() string  { return p.description }
func (p *Payment) ProviderRef() string  { return p.providerRef }
func (p *Payment) ActionURL() string    { return p.actionURL }
func (p *Payment) DeclineCode() string  { return p.declineCode }
func (p *Payment) UpdatedAt() time.Time { return p.updatedAt }

// Refunds returns the refunds, by id.
func (p *Payment) Refunds() []Refund {
	out := make([]Refund, 0, len(p.refunds))
	for _, id := range slices.Sorted(maps.Keys(p.refunds)) {
		out = append(out, *p.refunds[id])
	}
	return out
}

// Refund returns the refund with the id.
func (p *Payment) Refund(id string) (Refund, bool) {
	r, ok := p.refunds[id]
	if !ok {
		return Refund{}, false
	}
	return *r, true
}

// RefundedMinor is the sum of the succeeded refunds.
func (p *Payment) RefundedMinor() int64 {
	var n int64
	for _, r := range p.refunds {
		if r.Status == "succeeded" {
			n += r.AmountMinor
		}
	}
	return n
}

// Request is a charge to make.
type Request struct {
	UserID, Method, Currency, Description, Provider string
	AmountMinor                                     int64
}

// Validate checks a request.
func (r Request) Validate() error {
	var v errs.Validation
	if r.AmountMinor <= 0 {
		v.Add("amount_minor", "must be greater than 0")
	}
	if len(r.Currency) != 3 {
		v.Add("currency", "must be an ISO 4217 code")
	}
	if r.Method == "" || len(r.Method) > 255 {
		v.Add("payment_method", "must be a payment method id")
	}
	return v.Err()
}

// Request records the charge to make. A repeated request with the same amount and method
// records nothing; with others it is ErrOtherRequest.
func (p *Payment) Request(r Request, now time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if p.status != StatusNone {
		if p.amount != 0 && (p.amount != r.AmountMinor || p.method != r.Method) {
			return ErrOtherRequest
		}
		return nil
	}
	p.record(&paymentsv1.PaymentRequested{OrderId: p.orderID, UserId: r.UserID, AmountMinor: r.AmountMinor, Currency: r.Currency,
		PaymentMethod: r.Method, Provider: r.Provider, Description: r.Description, RequestedAt: now.UnixMicro()})
	return nil
}

// ProviderRefClaim is the claim scope that finds a payment by its provider reference (a
// webhook about a charge names the PaymentIntent, not the order).
const ProviderRefClaim = "payments.provider_ref"

// Notice records a provider's webhook event once: false when it was taken before.
func (p *Payment) Notice(provider, eventID, typ string, now time.Time) bool {
	if p.noticed[eventID] {
		return false
	}
	p.record(&paymentsv1.ProviderEventReceived{OrderId: p.orderID, Provider: provider, EventId: eventID, Type: typ, ReceivedAt: now.UnixMicro()})
	return true
}

// RefundedAtProvider records a refund the provider reports (one made at the provider's
// dashboard, say) unless it is one of ours, known by its reference.
func (p *Payment) RefundedAtProvider(ref string, amountMinor int64, now time.Time) {
	for _, r := range p.refunds {
		if r.ProviderRef == ref {
			return
		}
	}
	if p.status != StatusSucceeded || amountMinor <= 0 {
		return
	}
	id := "provider-" + ref
	p.record(&paymentsv1.RefundRequested{OrderId: p.orderID, RefundId: id, AmountMinor: amountMinor, Reason: "refunded at the provider", RequestedAt: now.UnixMicro()})
	p.record(&paymentsv1.RefundIssued{OrderId: p.orderID, RefundId: id, AmountMinor: amountMinor, ProviderRef: ref, IssuedAt: now.UnixMicro()})
}

// Unsettled reports whether the provider may still charge the payment.
func (p *Payment) Unsettled() bool {
	return p.status == StatusRequested || p.status == StatusActionRequired
}

// Outcome is what the provider answered about a charge.
type Outcome struct {
	Status      Status // StatusSucceeded, StatusDeclined or StatusActionRequired
	ProviderRef string
	ActionURL   string
	DeclineCode string
}

// Settle records the provider's answer. A charge that succeeded is recorded also on a
// payment given up meanwhile: the money moved, and the refund follows from the order.
func (p *Payment) Settle(o Outcome, now time.Time) {
	switch {
	case o.Status == StatusSucceeded && p.status != StatusSucceeded && p.status != StatusNone:
		p.record(&paymentsv1.PaymentProcessed{OrderId: p.orderID, ProviderRef: o.ProviderRef, AmountMinor: p.amount, ProcessedAt: now.UnixMicro()})
		p.Claim(ProviderRefClaim, o.ProviderRef)
	case !p.Unsettled():
		return
	case o.Status == StatusDeclined:
		p.record(&paymentsv1.PaymentDeclined{OrderId: p.orderID, ProviderRef: o.ProviderRef, DeclineCode: o.DeclineCode, DeclinedAt: now.UnixMicro()})
	case o.Status == StatusActionRequired && p.status == StatusRequested:
		p.record(&paymentsv1.PaymentActionRequired{OrderId: p.orderID, ProviderRef: o.ProviderRef, ActionUrl: o.ActionURL, At: now.UnixMicro()})
	}
}

// Expire gives the payment up (in advance when none was requested). A settled payment
// changes nothing.
func (p *Payment) Expire(now time.Time) {
	if p.status == StatusNone || p.Unsettled() {
		p.record(&paymentsv1.PaymentExpired{OrderId: p.orderID, ExpiredAt: now.UnixMicro()})
	}
}

// AskRefund records a refund to make, once per id: a repeated id records nothing.
func (p *Payment) AskRefund(id string, amountMinor int64, reason string, now time.Time) error {
	if id == "" || len(id) > 64 {
		return errs.Field("refund_id", "must be 1 to 64 characters")
	}
	if amountMinor <= 0 {
		return errs.Field("amount_minor", "must be greater than 0")
	}
	if r, ok := p.refunds[id]; ok {
		if r.AmountMinor != amountMinor {
			return fmt.Errorf("%w: refund %s was asked with another amount", errs.FailedPrecondition, id)
		}
		return nil
	}
	if p.status != StatusSucceeded {
		return ErrNotRefundable
	}
	var asked int64
	for _, r := range p.refunds {
		if r.Status != "failed" {
			asked += r.AmountMinor
		}
	}
	if asked+amountMinor > p.amount {
		return ErrRefundTooLarge
	}
	p.record(&paymentsv1.RefundRequested{OrderId: p.orderID, RefundId: id, AmountMinor: amountMinor, Reason: reason, RequestedAt: now.UnixMicro()})
	return nil
}

// RefundOutcome records the provider's answer about a refund.
func (p *Payment) RefundOutcome(id string, ok bool, ref, reason string, now time.Time) {
	r, asked := p.refunds[id]
	if !asked || r.Status != "pending" {
		return
	}
	if ok {
		p.record(&paymentsv1.RefundIssued{OrderId: p.orderID, RefundId: id, AmountMinor: r.AmountMinor, ProviderRef: ref, IssuedAt: now.UnixMicro()})
		return
	}
	p.record(&paymentsv1.RefundFailed{OrderId: p.orderID, RefundId: id, Reason: reason, FailedAt: now.UnixMicro()})
}

func (p *Payment) record(e proto.Message) {
	if err := p.Apply(e); err != nil {
		panic(fmt.Sprintf("payment %s: applying its own %T: %v", p.orderID, e, err))
	}
	p.Record(e)
}

// Apply implements aggregate.Root.
func (p *Payment) Apply(e proto.Message) error {
	at := func(us int64) time.Time { return time.UnixMicro(us).UTC() }
	switch e := e.(type) {
	case *paymentsv1.PaymentRequested:
		p.status, p.userID, p.amount, p.currency, p.method, p.provider, p.description =
			StatusRequested, e.UserId, e.AmountMinor, e.Currency, e.PaymentMethod, e.Provider, e.Description
		p.updatedAt = at(e.RequestedAt)
	case *paymentsv1.PaymentProcessed:
		p.status, p.providerRef, p.actionURL = StatusSucceeded, e.ProviderRef, ""
		p.updatedAt = at(e.ProcessedAt)
	case *paymentsv1.PaymentDeclined:
		p.status, p.providerRef, p.declineCode, p.actionURL = StatusDeclined, e.ProviderRef, e.DeclineCode, ""
		p.updatedAt = at(e.DeclinedAt)
	case *paymentsv1.PaymentActionRequired:
		p.status, p.providerRef, p.actionURL = StatusActionRequired, e.ProviderRef, e.ActionUrl
		p.updatedAt = at(e.At)
	case *paymentsv1.PaymentExpired:
		p.status, p.actionURL = StatusExpired, ""
		p.updatedAt = at(e.ExpiredAt)
	case *paymentsv1.RefundRequested:
		p.refunds[e.RefundId] = &Refund{ID: e.RefundId, AmountMinor: e.AmountMinor, Status: "pending"}
		p.updatedAt = at(e.RequestedAt)
	case *paymentsv1.RefundIssued:
		if r := p.refunds[e.RefundId]; r != nil {
			r.Status, r.ProviderRef = "succeeded", e.ProviderRef
		}
		p.updatedAt = at(e.IssuedAt)
	case *paymentsv1.RefundFailed:
		if r := p.refunds[e.RefundId]; r != nil {
			r.Status = "failed"
		}
		p.updatedAt = at(e.FailedAt)
	case *paymentsv1.ProviderEventReceived:
		p.noticed[e.EventId] = true
	default:
		return fmt.Errorf("payment: unknown event %T", e)
	}
	return nil
}
