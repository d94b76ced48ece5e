package domain

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
)

// Status is where an order stands in its lifecycle (API.md "Order status").
type Status string

// The statuses: pending → paid → shipped → delivered → return_requested → returned;
// pending|paid → cancelled.
const (
	StatusPending         Status = "pending"
	StatusPaid            Status = "paid"
	StatusShipped         Status = "shipped"
	StatusDelivered       Status = "delivered"
	StatusCancelled       Status = "cancelled"
	StatusReturnRequested Status = "return_requested"
	StatusReturned        Status = "returned"
)

// Statuses lists every status, in lifecycle order.
var Statuses = []Status{StatusPending, StatusPaid, StatusShipped, StatusDelivered, StatusCancelled, StatusReturnRequested, StatusReturned}

// ParseStatus checks a status named by a client.
func ParseStatus(field, s string) (Status, error) {
	if slices.Contains(Statuses, Status(s)) {
		return Status(s), nil
	}
	return "", errs.Field(field, "must be one of pending, paid, shipped, delivered, cancelled, return_requested, returned")
}

// Cancellation reasons.
const (
	ReasonOutOfStock      = "out_of_stock"
	ReasonPaymentDeclined = "payment_declined"
	ReasonPaymentExpired  = "payment_expired"
	// ReasonCheckoutTimeout: the stock step never answered before the checkout deadline.
	ReasonCheckoutTimeout = "checkout_timeout"
	ReasonCustomer        = "customer"
	ReasonAdmin           = "admin"
)

// Payment statuses as the order shows them.
const (
	PaymentPending     = "pending"
	PaymentSucceeded   = "succeeded"
	PaymentDeclined    = "declined"
	PaymentNotRequired = "not_required"
)

// Refund ids: one refund per cause.
const (
	RefundCancel = "cancel"
	RefundReturn = "return"
)

// Limits of an order.
const (
	MaxNoteLen = 500
)

var (
	// ErrOrderNotFound is an order that does not exist or is another user's (no enumeration).
	ErrOrderNotFound = fmt.Errorf("%w: no such order", errs.NotFound)
	// ErrIdempotencyKeyReused is a key used with another request body.
	ErrIdempotencyKeyReused = fmt.Errorf("%w: this Idempotency-Key was used for another order request", errs.AlreadyExists)
)

// TransitionError is a move the lifecycle forbids.
type TransitionError struct {
	From, To Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("an order that is %s cannot become %s", e.From, e.To)
}

// Is makes the error a FailedPrecondition (API.md: illegal state transition → 409).
func (e *TransitionError) Is(target error) bool { return target == errs.FailedPrecondition }

// OrderStream is the stream id of an order.
func OrderStream(orderID string) string { return "order-" + orderID }

// Line is one line of an order.
type Line struct {
	CartItemID     string
	ProductID      string
	SKU            string
	Name           string
	UnitPriceMinor int64
	Quantity       int32
}

// TotalMinor is the line's total.
func (l Line) TotalMinor() int64 { return l.UnitPriceMinor * int64(l.Quantity) }

// Address is where an order goes.
type Address struct {
	ID, Line1, Line2, City, State, PostalCode, Country string
}

// StatusChange is one entry of the status history.
type StatusChange struct {
	Status Status
	At     time.Time
}

// StockState is where the order's stock reservation stands.
type StockState int

// Stock states: none → reserved → committed (shipped) → restocked (returned);
// none|reserved → released (cancelled); none → failed (then released).
const (
	StockNone StockState = iota
	StockReserved
	StockFailed
	StockReleased
	StockCommitted
	StockRestocked
)

// PaymentState is where the order's payment stands in checkout.
type PaymentState int

// Payment states: none → requested → (awaiting →) succeeded | declined; none → not required.
const (
	PaymentNone PaymentState = iota
	PaymentRequestedState
	PaymentAwaiting
	PaymentSucceededState
	PaymentDeclinedState
	PaymentNotRequiredState
)

// Order is an order and the state of its checkout saga.
type Order struct {
	aggregate.Changes
	id        string
	placed    bool
	abandoned bool

	userID         string
	status         Status
	lines          []Line
	currency       string
	subtotal       int64
	discount       int64
	total          int64
	discountCode   string
	address        Address
	paymentMethod  string
	idempotencyKey string
	digest         []byte

	cartCheckedOut bool
	stock          StockState
	payment        PaymentState
	providerRef    string
	actionURL      string
	refundAsked    map[string]int64
	refundIssued   map[string]int64
	refunded       int64
	cancelReason   string
	compensated    bool

	history   []StatusChange
	createdAt time.Time
	updatedAt time.Time
}

// NewOrder returns an order for the stream id, for loading or placing.
func NewOrder(streamID string) *Order {
	return &Order{id: streamID[len("order-"):], refundAsked: map[string]int64{}, refundIssued: map[string]int64{}}
}

// StreamID implements aggregate.Root.
func (o *Order) StreamID() string { return OrderStream(o.id) }

// Getters.
func (o *Order) ID() string                 { return o.id }
func (o *Order) Placed() bool               { return o.placed }
func (o *Order) Abandoned() bool            { return o.abandoned }
func (o *Order) UserID() string             { return o.userID }
func (o *Order) Status() Status             { return o.status }
func (o *Order) Lines() []Line              { return slices.Clone(o.lines) }
func (o *Order) Currency() string           { return o.currency }
func (o *Order) SubtotalMinor() int64       { return o.subtotal }
func (o *Order) DiscountMinor() int64       { return o.discount }
func (o *Order) TotalMinor() int64          { return o.total }
func (o *Order) DiscountCode() string       { return o.discountCode }
func (o *Order) Address() Address           { return o.address }
func (o *Order) PaymentMethod() string      { return o.paymentMethod }
func (o *Order) IdempotencyKey() string     { return o.idempotencyKey }
func (o *Order) RequestDigest() []byte      { return slices.Clone(o.digest) }
func (o *Order) CartCheckedOut() bool       { return o.cartCheckedOut }
func (o *Order) Stock() StockState          { return o.stock }
func (o *Order) Payment() PaymentState      { return o.payment }
func (o *Order) ProviderRef() string        { return o.providerRef }
func (o *Order) RefundedMinor() int64       { return o.refunded }
func (o *Order) CancellationReason() string { return o.cancelReason }
func (o *Order) Compensated() bool          { return o.compensated }
func (o *Order) History() []StatusChange    { return slices.Clone(o.history) }
func (o *Order) CreatedAt() time.Time       { return o.createdAt }
func (o *Order) UpdatedAt() time.Time       { return o.updatedAt }

// PaymentStatus is the payment's status as the customer sees it.
func (o *Order) PaymentStatus() string {
	switch o.payment {
	case PaymentSucceededState:
		return PaymentSucceeded
	case PaymentDeclinedState:
		return PaymentDeclined
	case PaymentNotRequiredState:
		return PaymentNotRequired
	}
	return PaymentPending
}

// Provider is who takes the order's payment: "paypal", "stripe", or "none" for a total of
// 0.00.
func (o *Order) Provider() string {
	switch {
	case o.total == 0:
		return "none"
	case o.paymentMethod == "paypal":
		return "paypal"
	}
	return "stripe"
}

// ApprovalURL is where the buyer approves the payment while checkout waits for them.
func (o *Order) ApprovalURL() string {
	if o.status == StatusPending && o.payment == PaymentAwaiting {
		return o.actionURL
	}
	return ""
}

// Charged reports whether money was taken for the order.
func (o *Order) Charged() bool { return o.payment == PaymentSucceededState }

// RefundAsked returns the amount of the refund with the id, and whether it was asked.
func (o *Order) RefundAsked(refundID string) (int64, bool) {
	a, ok := o.refundAsked[refundID]
	return a, ok
}

// RefundIssued reports whether the refund with the id went through.
func (o *Order) RefundIssued(refundID string) bool { _, ok := o.refundIssued[refundID]; return ok }

// PendingRefunds returns the refunds asked and not issued yet, by id.
func (o *Order) PendingRefunds() map[string]int64 {
	out := map[string]int64{}
	for id, a := range o.refundAsked {
		if _, done := o.refundIssued[id]; !done {
			out[id] = a
		}
	}
	return out
}

// PaymentInProgress reports whether the payments context may still be charging the order.
func (o *Order) PaymentInProgress() bool {
	return o.payment == PaymentRequestedState || o.payment == PaymentAwaiting
}

// Placement is what an order is placed with.
type Placement struct {
	UserID         string
	Lines          []Line
	Currency       string
	DiscountCode   string
	DiscountMinor  int64
	Address        Address
	PaymentMethod  string
	IdempotencyKey string
	RequestDigest  []byte
	CartVersion    int64
}

// Place records the order's placement; checkout starts from it.
func (o *Order) Place(p Placement, now time.Time) error {
	if o.placed || o.abandoned || o.Version() > 0 {
		return fmt.Errorf("%w: order %s exists", errs.AlreadyExists, o.id)
	}
	if len(p.Lines) == 0 {
		return fmt.Errorf("%w: an order needs at least one line", errs.FailedPrecondition)
	}
	var subtotal int64
	lines := make([]*orderingv1.PlacedLine, len(p.Lines))
	for i, l := range p.Lines {
		if l.Quantity < 1 || l.UnitPriceMinor < 0 {
			return fmt.Errorf("%w: line %d: quantity %d, unit price %d", errs.InvalidArgument, i, l.Quantity, l.UnitPriceMinor)
		}
		subtotal += l.TotalMinor()
		lines[i] = &orderingv1.PlacedLine{CartItemId: l.CartItemID, ProductId: l.ProductID, Sku: l.SKU, Name: l.Name,
			UnitPriceMinor: l.UnitPriceMinor, Quantity: l.Quantity}
	}
	if p.DiscountMinor < 0 || p.DiscountMinor > subtotal {
		return fmt.Errorf("%w: discount %d outside 0..%d", errs.InvalidArgument, p.DiscountMinor, subtotal)
	}
	a := p.Address
	o.record(&orderingv1.OrderPlaced{
		OrderId: o.id, UserId: p.UserID, Lines: lines, Currency: p.Currency,
		SubtotalMinor: subtotal, DiscountCode: p.DiscountCode, DiscountMinor: p.DiscountMinor, TotalMinor: subtotal - p.DiscountMinor,
		ShippingAddress: &orderingv1.ShippingAddress{AddressId: a.ID, Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State,
			PostalCode: a.PostalCode, Country: a.Country},
		PaymentMethod: p.PaymentMethod, IdempotencyKey: p.IdempotencyKey, RequestDigest: p.RequestDigest,
		CartVersion: p.CartVersion, PlacedAt: now.UnixMicro(),
	})
	return nil
}

// Abandon closes the stream of an order that was never placed (its placement died after
// redeeming a discount), so that the placement cannot land later. It reports false for an
// order that was placed (or already abandoned): nothing to do.
func (o *Order) Abandon(discountCode string, now time.Time) bool {
	if o.placed || o.abandoned || o.Version() > 0 {
		return false
	}
	o.record(&orderingv1.OrderPlacementAbandoned{OrderId: o.id, DiscountCode: discountCode, AbandonedAt: now.UnixMicro()})
	return true
}

// CheckOutCart records that the cart gave up the order's lines (once).
func (o *Order) CheckOutCart(now time.Time) {
	if o.placed && !o.cartCheckedOut {
		o.record(&orderingv1.OrderCartCheckedOut{OrderId: o.id, At: now.UnixMicro()})
	}
}

// NeedsStock reports whether checkout must still reserve the order's stock.
func (o *Order) NeedsStock() bool {
	return o.placed && o.status == StatusPending && o.stock == StockNone
}

// StockReserved records the catalog's reservation of every line.
func (o *Order) StockReserved(now time.Time) {
	if o.NeedsStock() {
		o.record(&orderingv1.StockReserved{OrderId: o.id, ReservedAt: now.UnixMicro()})
	}
}

// StockRefused records that a line could not be reserved, and cancels the order.
func (o *Order) StockRefused(productID, reason string, now time.Time) {
	if !o.NeedsStock() {
		return
	}
	o.record(&orderingv1.StockReservationFailed{OrderId: o.id, ProductId: productID, Reason: reason, FailedAt: now.UnixMicro()})
	o.cancel(ReasonOutOfStock, "", "", "", "", now)
}

// NeedsPayment reports whether checkout must still ask for the payment.
func (o *Order) NeedsPayment() bool {
	return o.placed && o.status == StatusPending && o.stock == StockReserved && o.payment == PaymentNone
}

// RequestPayment records the request for the order's total, or, when the total is 0.00,
// pays the order without the provider.
func (o *Order) RequestPayment(now time.Time) {
	if !o.NeedsPayment() {
		return
	}
	if o.total == 0 {
		o.record(&orderingv1.OrderPaid{OrderId: o.id, PaymentStatus: PaymentNotRequired, PaidAt: now.UnixMicro()})
		return
	}
	o.record(&orderingv1.PaymentRequested{OrderId: o.id, AmountMinor: o.total, Currency: o.currency,
		PaymentMethod: o.paymentMethod, RequestedAt: now.UnixMicro()})
}

// AwaitCustomer records that the provider waits for the customer.
func (o *Order) AwaitCustomer(providerRef, actionURL string, now time.Time) {
	if o.status == StatusPending && o.payment == PaymentRequestedState {
		o.record(&orderingv1.PaymentAwaitingCustomer{OrderId: o.id, ProviderRef: providerRef, ActionUrl: actionURL, At: now.UnixMicro()})
	}
}

// PaymentSucceeded records the charge. It reports false when the order no longer waits for
// it (cancelled meanwhile: the charge must be refunded), true when the order is paid.
func (o *Order) PaymentSucceeded(providerRef string, amountMinor int64, now time.Time) bool {
	switch {
	case o.payment == PaymentSucceededState:
		return o.status != StatusCancelled
	case o.status == StatusPending && o.PaymentInProgress():
		o.record(&orderingv1.OrderPaid{OrderId: o.id, PaymentStatus: PaymentSucceeded, ProviderRef: providerRef,
			AmountMinor: amountMinor, PaidAt: now.UnixMicro()})
		return true
	}
	return false
}

// PaymentRefused records a decline and cancels the order.
func (o *Order) PaymentRefused(declineCode string, now time.Time) {
	if o.status == StatusPending && o.PaymentInProgress() {
		o.cancel(ReasonPaymentDeclined, "", declineCode, "", "", now)
	}
}

// Expire cancels an order whose checkout did not finish before its deadline.
func (o *Order) Expire(now time.Time) {
	if !o.placed || o.status != StatusPending {
		return
	}
	reason := ReasonPaymentExpired
	if o.payment == PaymentNone {
		reason = ReasonCheckoutTimeout
	}
	o.cancel(reason, "", "", "", "", now)
}

// Cancel cancels a pending or paid order for a customer or an admin.
func (o *Order) Cancel(byUserID, byRole, note string, now time.Time) error {
	if err := checkNote("reason", note, false); err != nil {
		return err
	}
	if o.status != StatusPending && o.status != StatusPaid {
		return &TransitionError{From: o.status, To: StatusCancelled}
	}
	reason := ReasonCustomer
	if byRole == "admin" {
		reason = ReasonAdmin
	}
	o.cancel(reason, note, "", byUserID, byRole, now)
	return nil
}

func (o *Order) cancel(reason, note, declineCode, byUserID, byRole string, now time.Time) {
	o.record(&orderingv1.OrderCancelled{OrderId: o.id, Reason: reason, Note: note, DeclineCode: declineCode,
		ByUserId: byUserID, ByRole: byRole, PreviousStatus: string(o.status), CancelledAt: now.UnixMicro()})
}

// NeedsCompensation reports whether a cancelled order still has compensation to do.
func (o *Order) NeedsCompensation() bool { return o.status == StatusCancelled && !o.compensated }

// RefundDue is what must go back to the customer of a cancelled order: the charge less the
// refunds already asked for.
func (o *Order) RefundDue() int64 {
	if !o.Charged() {
		return 0
	}
	// Every refund counts: asked by checkout, or issued at the provider unasked.
	var asked int64
	for _, a := range o.refundAsked {
		asked += a
	}
	for id, a := range o.refundIssued {
		if _, ok := o.refundAsked[id]; !ok {
			asked += a
		}
	}
	return max(0, o.total-asked)
}

// AskRefund records a refund to make (once per id).
func (o *Order) AskRefund(refundID string, amountMinor int64, now time.Time) {
	if _, ok := o.refundAsked[refundID]; ok || amountMinor <= 0 {
		return
	}
	o.record(&orderingv1.RefundRequested{OrderId: o.id, RefundId: refundID, AmountMinor: amountMinor, RequestedAt: now.UnixMicro()})
}

// RefundDone records a refund the provider made.
func (o *Order) RefundDone(refundID string, amountMinor int64, providerRef string, now time.Time) {
	if _, ok := o.refundIssued[refundID]; ok {
		return
	}
	o.record(&orderingv1.RefundIssued{OrderId: o.id, RefundId: refundID, AmountMinor: amountMinor, ProviderRef: providerRef, IssuedAt: now.UnixMicro()})
}

// StockReleased records that the reservation went back to available stock.
func (o *Order) StockReleased(now time.Time) {
	if o.status == StatusCancelled && (o.stock == StockNone || o.stock == StockReserved || o.stock == StockFailed) {
		o.record(&orderingv1.StockReleased{OrderId: o.id, ReleasedAt: now.UnixMicro()})
	}
}

// FinishCompensation records that every compensation is done: the stock released and no
// refund outstanding.
func (o *Order) FinishCompensation(now time.Time) error {
	switch {
	case !o.NeedsCompensation():
		return nil
	case o.stock != StockReleased:
		return fmt.Errorf("%w: order %s: stock not released yet", errs.FailedPrecondition, o.id)
	case len(o.PendingRefunds()) > 0 || o.RefundDue() > 0:
		return fmt.Errorf("%w: order %s: refund outstanding", errs.FailedPrecondition, o.id)
	}
	o.record(&orderingv1.OrderCompensated{OrderId: o.id, At: now.UnixMicro()})
	return nil
}

// Move applies an admin's status change: shipped, delivered, cancelled or returned.
func (o *Order) Move(to Status, byUserID string, now time.Time) error {
	switch to {
	case StatusShipped:
		if o.status != StatusPaid {
			break
		}
		o.record(&orderingv1.OrderShipped{OrderId: o.id, ByUserId: byUserID, ShippedAt: now.UnixMicro()})
		return nil
	case StatusDelivered:
		if o.status != StatusShipped {
			break
		}
		o.record(&orderingv1.OrderDelivered{OrderId: o.id, ByUserId: byUserID, DeliveredAt: now.UnixMicro()})
		return nil
	case StatusCancelled:
		return o.Cancel(byUserID, "admin", "", now)
	case StatusReturned:
		if o.status != StatusReturnRequested {
			break
		}
		o.record(&orderingv1.OrderReturned{OrderId: o.id, ByUserId: byUserID, ReturnedAt: now.UnixMicro()})
		return nil
	}
	return &TransitionError{From: o.status, To: to}
}

// RequestReturn records the customer's request to return a delivered order.
func (o *Order) RequestReturn(reason string, now time.Time) error {
	if err := checkNote("reason", reason, true); err != nil {
		return err
	}
	if o.status != StatusDelivered {
		return &TransitionError{From: o.status, To: StatusReturnRequested}
	}
	o.record(&orderingv1.ReturnRequested{OrderId: o.id, Reason: reason, RequestedAt: now.UnixMicro()})
	return nil
}

// NeedsCommit reports whether a shipped order's units must still leave the stock on hand.
func (o *Order) NeedsCommit() bool {
	return (o.status == StatusShipped || o.status == StatusDelivered || o.status == StatusReturnRequested || o.status == StatusReturned) &&
		o.stock == StockReserved
}

// StockCommitted records that the units left the stock on hand.
func (o *Order) StockCommitted(now time.Time) {
	if o.NeedsCommit() {
		o.record(&orderingv1.StockCommitted{OrderId: o.id, CommittedAt: now.UnixMicro()})
	}
}

// NeedsRestock reports whether a returned order's units must still go back in stock.
func (o *Order) NeedsRestock() bool { return o.status == StatusReturned && o.stock == StockCommitted }

// StockRestocked records that the returned units are back in stock.
func (o *Order) StockRestocked(now time.Time) {
	if o.NeedsRestock() {
		o.record(&orderingv1.StockRestocked{OrderId: o.id, RestockedAt: now.UnixMicro()})
	}
}

func checkNote(field, s string, required bool) error {
	switch {
	case required && s == "":
		return errs.Field(field, "is required")
	case len([]rune(s)) > MaxNoteLen:
		return errs.Field(field, fmt.Sprintf("must be at most %d characters", MaxNoteLen))
	}
	return nil
}

func (o *Order) record(e proto.Message) {
	if err := o.Apply(e); err != nil {
		panic(fmt.Sprintf("order %s: applying its own %T: %v", o.id, e, err))
	}
	o.Record(e)
}

func (o *Order) setStatus(s Status, at int64) {
	t := time.UnixMicro(at).UTC()
	o.status = s
	o.history = append(o.history, StatusChange{Status: s, At: t})
	o.updatedAt = t
}

// Apply implements aggregate.Root.
func (o *Order) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *orderingv1.OrderPlaced:
		o.placed, o.userID = true, e.UserId
		o.lines = make([]Line, len(e.Lines))
		for i, l := range e.Lines {
			o.lines[i] = Line{CartItemID: l.CartItemId, ProductID: l.ProductId, SKU: l.Sku, Name: l.Name,
				UnitPriceMinor: l.UnitPriceMinor, Quantity: l.Quantity}
		}
		o.currency, o.subtotal, o.discount, o.total = e.Currency, e.SubtotalMinor, e.DiscountMinor, e.TotalMinor
		o.discountCode, o.paymentMethod = e.DiscountCode, e.PaymentMethod
		if a := e.ShippingAddress; a != nil {
			o.address = Address{ID: a.AddressId, Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country}
		}
		o.idempotencyKey, o.digest = e.IdempotencyKey, e.RequestDigest
		o.createdAt = time.UnixMicro(e.PlacedAt).UTC()
		o.setStatus(StatusPending, e.PlacedAt)
	case *orderingv1.OrderPlacementAbandoned:
		o.abandoned = true
	case *orderingv1.OrderCartCheckedOut:
		o.cartCheckedOut = true
	case *orderingv1.StockReserved:
		o.stock = StockReserved
	case *orderingv1.StockReservationFailed:
		o.stock = StockFailed
	case *orderingv1.PaymentRequested:
		o.payment = PaymentRequestedState
		o.updatedAt = time.UnixMicro(e.RequestedAt).UTC()
	case *orderingv1.PaymentAwaitingCustomer:
		o.payment, o.providerRef, o.actionURL = PaymentAwaiting, e.ProviderRef, e.ActionUrl
	case *orderingv1.OrderPaid:
		o.payment = PaymentSucceededState
		if e.PaymentStatus == PaymentNotRequired {
			o.payment = PaymentNotRequiredState
		}
		if e.ProviderRef != "" {
			o.providerRef = e.ProviderRef
		}
		o.setStatus(StatusPaid, e.PaidAt)
	case *orderingv1.OrderCancelled:
		o.cancelReason = e.Reason
		if e.Reason == ReasonPaymentDeclined {
			o.payment = PaymentDeclinedState
		}
		o.setStatus(StatusCancelled, e.CancelledAt)
	case *orderingv1.StockReleased:
		o.stock = StockReleased
	case *orderingv1.OrderCompensated:
		o.compensated = true
	case *orderingv1.OrderShipped:
		o.setStatus(StatusShipped, e.ShippedAt)
	case *orderingv1.StockCommitted:
		o.stock = StockCommitted
	case *orderingv1.OrderDelivered:
		o.setStatus(StatusDelivered, e.DeliveredAt)
	case *orderingv1.ReturnRequested:
		o.setStatus(StatusReturnRequested, e.RequestedAt)
	case *orderingv1.OrderReturned:
		o.setStatus(StatusReturned, e.ReturnedAt)
	case *orderingv1.StockRestocked:
		o.stock = StockRestocked
	case *orderingv1.RefundRequested:
		o.refundAsked[e.RefundId] = e.AmountMinor
	case *orderingv1.RefundIssued:
		o.refundIssued[e.RefundId] = e.AmountMinor
		o.refunded = 0
		for _, a := range o.refundIssued {
			o.refunded += a
		}
		o.updatedAt = time.UnixMicro(e.IssuedAt).UTC()
	default:
		return fmt.Errorf("order: unknown event %T", e)
	}
	return nil
}
