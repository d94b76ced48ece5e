// Package app holds the ordering context's use cases: placing an order (idempotent by the
// Idempotency-Key), the checkout saga that reacts to the orders' own events and deadlines,
// the lifecycle commands of customers and admins, discounts, and the queries. The other
// contexts it talks to (cart, catalog, payments, identity) are the ports declared here;
// handlers know nothing of gRPC or SQL.
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/services/ordering/internal/domain"
)

// Clock tells the time; tests move it.
type Clock func() time.Time

// CheckoutLine is a cart line as checkout prices it.
type CheckoutLine struct {
	ItemID, ProductID, SKU, Name string
	Quantity                     int32
	UnitPriceMinor               int64
}

// CheckoutCart is what an order is placed from.
type CheckoutCart struct {
	Lines         []CheckoutLine
	SubtotalMinor int64
	Currency      string
	Version       int64
}

// Carts is the cart context.
type Carts interface {
	// CheckoutCart returns the user's cart as checkout prices it; an empty cart, a deleted
	// product or a line beyond the stock is an errs.FailedPrecondition error.
	CheckoutCart(ctx context.Context, userID string) (CheckoutCart, error)
	// CheckOut takes the order's lines out of the user's cart, once per order.
	CheckOut(ctx context.Context, userID, orderID string, lines []domain.Line) error
}

// StockRefusal is the catalog's refusal to reserve an order's stock.
type StockRefusal struct {
	ProductID, Reason string
}

func (e *StockRefusal) Error() string {
	return "stock refused for product " + e.ProductID + ": " + e.Reason
}

// Stock is the catalog's stock reservations, each idempotent by order id.
type Stock interface {
	// Reserve holds every line's units for the order, all or none; a refusal is a
	// *StockRefusal.
	Reserve(ctx context.Context, orderID string, lines []domain.Line) error
	// Release returns the order's held units (also before any reservation: a later Reserve
	// is then refused).
	Release(ctx context.Context, orderID string) error
	// Commit sells the held units (they leave the stock on hand).
	Commit(ctx context.Context, orderID string) error
	// Restock puts the sold units of a returned order back in stock.
	Restock(ctx context.Context, orderID string) error
}

// PaymentStatus is a payment's status as the payments context answers it.
type PaymentStatus int

// Payment statuses.
const (
	PaymentPending PaymentStatus = iota + 1
	PaymentActionRequired
	PaymentSucceeded
	PaymentDeclined
	PaymentExpired
)

// PaymentOutcome is the payments context's answer about an order's payment.
type PaymentOutcome struct {
	Status      PaymentStatus
	ProviderRef string
	ActionURL   string
	DeclineCode string
	AmountMinor int64
}

// PaymentRequest asks for an order's total.
type PaymentRequest struct {
	OrderID, UserID, Method, Currency, Description string
	AmountMinor                                    int64
}

// Payments is the payments context, every call idempotent by order id (and refund id).
type Payments interface {
	Request(ctx context.Context, r PaymentRequest) (PaymentOutcome, error)
	// Expire gives up a payment that has not succeeded; it answers the payment as it is
	// (succeeded when it was too late to give it up). With no payment yet it records the
	// expiry in advance, so that a later Request is refused.
	Expire(ctx context.Context, orderID string) (PaymentOutcome, error)
	// Capture completes a payment the buyer approved (PayPal); not approved yet is an
	// errs.FailedPrecondition error.
	Capture(ctx context.Context, orderID string) (PaymentOutcome, error)
	// Refund refunds amount of the order's payment once per refund id and returns the
	// provider's refund reference.
	Refund(ctx context.Context, orderID, refundID string, amountMinor int64, reason string) (string, error)
}

// Addresses is the identity context's address book.
type Addresses interface {
	// Address returns one of the caller's saved addresses, or an errs.NotFound error.
	Address(ctx context.Context, addressID string) (domain.Address, error)
}

// Timers schedules and cancels the saga's durable deadlines (platform/reaction timers). A
// timer is named by its kind and key (an order id): scheduling it again changes nothing.
type Timers interface {
	Schedule(ctx context.Context, t Timer) error
	Cancel(ctx context.Context, kind, key string) error
}

// Timer is a deadline of the saga.
type Timer struct {
	Kind    string
	Key     string
	DueAt   time.Time
	Payload []byte
}

// Timer kinds.
const (
	// TimerCheckoutDeadline cancels an order still pending at its deadline.
	TimerCheckoutDeadline = "checkout_deadline"
	// TimerPlacementCheck takes back the discount redemption of a placement that never
	// recorded its order.
	TimerPlacementCheck = "placement_check"
)

// Orders and Discounts load and save the aggregates.
type (
	Orders    = aggregate.Store[*domain.Order]
	Discounts = aggregate.Store[*domain.Discount]
)

// Deps are what the use cases need.
type Deps struct {
	Orders    *Orders
	Discounts *Discounts
	Carts     Carts
	Stock     Stock
	Payments  Payments
	Addresses Addresses
	Timers    Timers
	Views     Views
	Index     OrderIndex
	Clock     Clock
	Log       *slog.Logger
	// Currency is the store's one currency.
	Currency string
	// CheckoutDeadline bounds checkout: an order still pending this long after it was
	// placed is cancelled (payment_expired, or checkout_timeout before payment).
	CheckoutDeadline time.Duration
	// PlacementGrace is how long after redeeming a discount a placement may take before its
	// redemption is taken back (the placement died in between).
	PlacementGrace time.Duration
	// IdempotencyWindow is how long an Idempotency-Key answers with its order (24 h).
	IdempotencyWindow time.Duration
	// ReadYourWritesWait bounds how long a list waits for the read model to show the
	// caller's own latest changes before it answers from the event store instead.
	ReadYourWritesWait time.Duration
}

// App is the ordering context's use cases.
type App struct{ d Deps }

// New returns the use cases over d, with defaults for the durations left zero.
func New(d Deps) *App {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.CheckoutDeadline <= 0 {
		d.CheckoutDeadline = 30 * time.Minute
	}
	if d.PlacementGrace <= 0 {
		d.PlacementGrace = 2 * time.Minute
	}
	if d.IdempotencyWindow <= 0 {
		d.IdempotencyWindow = 24 * time.Hour
	}
	if d.ReadYourWritesWait <= 0 {
		d.ReadYourWritesWait = 2 * time.Second
	}
	return &App{d: d}
}

func (a *App) now() time.Time { return a.d.Clock().UTC() }
