package domain

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// Bounds of a reservation.
const (
	MaxReservationLines = 100
	MaxLineQuantity     = 10_000
	maxOrderIDLen       = 100
)

// ReservationState is where an order's reservation stands.
type ReservationState int

// The states: Requested → Confirmed → Committed | Released; Requested → Rejected | Released.
// Confirmed, Rejected, Released and Committed answer repeated commands the same way; only
// Confirmed still moves (to Committed or Released).
const (
	ReservationNone ReservationState = iota
	ReservationRequested
	ReservationConfirmed
	ReservationRejected
	ReservationReleased
	ReservationCommitted
	ReservationReturned
)

// Rejection reasons.
const (
	RejectInsufficientStock  = "insufficient_stock"
	RejectProductUnavailable = "product_unavailable"
	RejectProductNotFound    = "product_not_found"
)

var (
	// ErrReservationNotFound: no reservation was ever asked for the order.
	ErrReservationNotFound = fmt.Errorf("%w: no reservation for this order", errs.NotFound)
	// ErrReservationCommitted: a committed reservation cannot be released.
	ErrReservationCommitted = fmt.Errorf("%w: the order's reservation is committed", errs.FailedPrecondition)
	// ErrReservationReleased: the order's reservation was released (or refused in advance).
	ErrReservationReleased = fmt.Errorf("%w: the order's reservation was released", errs.FailedPrecondition)
	// ErrReservationPending: the order's reservation is not complete yet.
	ErrReservationPending = fmt.Errorf("%w: the order's stock is not reserved yet", errs.FailedPrecondition)
	// ErrReservationOtherLines: the order was reserved with other lines.
	ErrReservationOtherLines = fmt.Errorf("%w: this order's reservation was requested with other items", errs.FailedPrecondition)
)

// ReservationStream is the stream id of an order's reservation.
func ReservationStream(orderID string) string { return "reservation-" + orderID }

// Line is one product and quantity to reserve.
type Line struct {
	ProductID string
	Quantity  int32
}

// ReservedLine is a reserved line with the product as it was when reserved.
type ReservedLine struct {
	ProductID      string
	Quantity       int32
	SKU            string
	Name           string
	UnitPriceMinor int64
	Currency       string
}

// Rejection is why an order's reservation was rejected; it is the error every later
// ReserveStock for the order answers.
type Rejection struct {
	ProductID string
	Reason    string
	Requested int32
	Available int32
}

// Error names the product.
func (r *Rejection) Error() string {
	switch r.Reason {
	case RejectInsufficientStock:
		return fmt.Sprintf("insufficient stock for product %s: %d requested, %d available", r.ProductID, r.Requested, r.Available)
	case RejectProductNotFound:
		return fmt.Sprintf("product %s does not exist", r.ProductID)
	default:
		return fmt.Sprintf("product %s is not for sale", r.ProductID)
	}
}

// Is makes errors.Is(err, errs.FailedPrecondition) true.
func (r *Rejection) Is(target error) bool { return target == errs.FailedPrecondition }

// ValidateReservation normalises and checks what checkout asks to reserve: an order id and
// 1 to 100 lines, each product once, quantities 1 to 10000. Lines come back sorted by product
// id, the canonical order every attempt reserves in.
func ValidateReservation(orderID string, lines []Line) ([]Line, error) {
	var v errs.Validation
	if err := ValidateOrderID(orderID); err != nil {
		v.Violations = append(v.Violations, err.(*errs.Validation).Violations...)
	}
	if len(lines) == 0 || len(lines) > MaxReservationLines {
		v.Addf("items", "must hold 1 to %d items", MaxReservationLines)
	}
	seen := map[string]bool{}
	for i, l := range lines {
		if l.ProductID == "" || len(l.ProductID) > maxOrderIDLen || !isIDText(l.ProductID) {
			v.Addf(fmt.Sprintf("items[%d].product_id", i), "must be a product id")
		} else if seen[l.ProductID] {
			v.Add(fmt.Sprintf("items[%d].product_id", i), "appears twice; give each product once")
		}
		seen[l.ProductID] = true
		if l.Quantity < 1 || l.Quantity > MaxLineQuantity {
			v.Addf(fmt.Sprintf("items[%d].quantity", i), "must be between 1 and %d", MaxLineQuantity)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sorted := slices.Clone(lines)
	slices.SortFunc(sorted, func(a, b Line) int { return cmp.Compare(a.ProductID, b.ProductID) })
	return sorted, nil
}

// ValidateOrderID checks the id of an order whose stock is reserved.
func ValidateOrderID(orderID string) error {
	if orderID == "" || len(orderID) > maxOrderIDLen || !isIDText(orderID) {
		return errs.Field("order_id", fmt.Sprintf("must be 1 to %d letters, digits, '-' or '_'", maxOrderIDLen))
	}
	return nil
}

func isIDText(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '-' && s[i] != '_' {
			return false
		}
	}
	return true
}

// Reservation is one order's reservation of stock across products. Its state gates the
// product holds: holds are taken while it is Requested, and it is marked Rejected, Released
// or Committed BEFORE the holds are released or sold, so a concurrent or crashed attempt can
// always tell what its holds must become (docs/decisions/010-catalog.md).
type Reservation struct {
	aggregate.Changes
	orderID   string
	state     ReservationState
	lines     []Line
	reserved  []ReservedLine
	rejection *Rejection
}

// NewReservation returns an empty reservation for the stream id, for loading.
func NewReservation(streamID string) *Reservation {
	return &Reservation{orderID: streamID[len("reservation-"):]}
}

// RequestReservation records that checkout asks to reserve lines (from ValidateReservation)
// for an order.
func RequestReservation(orderID string, lines []Line, now time.Time) *Reservation {
	r := NewReservation(ReservationStream(orderID))
	pb := make([]*catalogv1.OrderReservationLine, len(lines))
	for i, l := range lines {
		pb[i] = &catalogv1.OrderReservationLine{ProductId: l.ProductID, Quantity: l.Quantity}
	}
	r.record(&catalogv1.OrderReservationRequested{OrderId: orderID, Lines: pb, RequestedAt: now.UnixMicro()})
	return r
}

// ReleasedInAdvance records a release that came before any reservation: a ReserveStock that
// arrives later for the order is refused.
func ReleasedInAdvance(orderID string, now time.Time) *Reservation {
	r := NewReservation(ReservationStream(orderID))
	r.record(&catalogv1.OrderReservationReleased{OrderId: orderID, ReleasedAt: now.UnixMicro()})
	return r
}

// Getters.
func (r *Reservation) OrderID() string               { return r.orderID }
func (r *Reservation) State() ReservationState       { return r.state }
func (r *Reservation) Lines() []Line                 { return slices.Clone(r.lines) }
func (r *Reservation) ReservedLines() []ReservedLine { return slices.Clone(r.reserved) }

// SameLines reports whether lines (sorted, from ValidateReservation) are what was requested.
func (r *Reservation) SameLines(lines []Line) bool { return slices.Equal(r.lines, lines) }

// Outcome is the answer a repeated ReserveStock gets once the reservation is settled: nil
// for Confirmed and Committed, the rejection or ErrReservationReleased otherwise.
func (r *Reservation) Outcome() error {
	switch r.state {
	case ReservationConfirmed, ReservationCommitted, ReservationReturned:
		return nil
	case ReservationRejected:
		return r.rejection
	case ReservationReleased:
		return ErrReservationReleased
	default:
		return ErrReservationPending
	}
}

// errSettled tells Confirm's and Reject's callers that another attempt settled the
// reservation first; Outcome says how.
var errSettled = errors.New("reservation already settled")

// IsSettled reports whether err says the reservation was settled by another attempt.
func IsSettled(err error) bool { return errors.Is(err, errSettled) }

// Confirm records that every line is held.
func (r *Reservation) Confirm(lines []ReservedLine, now time.Time) error {
	if r.state != ReservationRequested {
		return errSettled
	}
	pb := make([]*catalogv1.OrderReservedLine, len(lines))
	for i, l := range lines {
		pb[i] = &catalogv1.OrderReservedLine{ProductId: l.ProductID, Quantity: l.Quantity, Sku: l.SKU, Name: l.Name,
			UnitPriceMinor: l.UnitPriceMinor, Currency: l.Currency}
	}
	r.record(&catalogv1.OrderReservationConfirmed{OrderId: r.orderID, Lines: pb, ConfirmedAt: now.UnixMicro()})
	return nil
}

// Reject records that a line cannot be held; the holds of the other lines must then be
// released.
func (r *Reservation) Reject(why Rejection, now time.Time) error {
	if r.state != ReservationRequested {
		return errSettled
	}
	r.record(&catalogv1.OrderReservationRejected{OrderId: r.orderID, ProductId: why.ProductID, Reason: why.Reason,
		Requested: why.Requested, Available: why.Available, RejectedAt: now.UnixMicro()})
	return nil
}

// Release records that the order's holds go back to available stock. Releasing a released
// or rejected reservation changes nothing; a committed one cannot be released.
func (r *Reservation) Release(now time.Time) error {
	switch r.state {
	case ReservationCommitted, ReservationReturned:
		return ErrReservationCommitted
	case ReservationRequested, ReservationConfirmed:
		r.record(&catalogv1.OrderReservationReleased{OrderId: r.orderID, ReleasedAt: now.UnixMicro()})
	}
	return nil
}

// Commit records that the order's holds are sold. Committing a committed reservation
// changes nothing; only a confirmed one can be committed.
func (r *Reservation) Commit(now time.Time) error {
	switch r.state {
	case ReservationCommitted, ReservationReturned:
		return nil
	case ReservationConfirmed:
		r.record(&catalogv1.OrderReservationCommitted{OrderId: r.orderID, CommittedAt: now.UnixMicro()})
		return nil
	case ReservationRejected:
		return fmt.Errorf("%w: the order's reservation was rejected (%s)", errs.FailedPrecondition, r.rejection.Error())
	case ReservationReleased:
		return ErrReservationReleased
	default:
		return ErrReservationPending
	}
}

// Return records that a committed reservation's units come back (the order was returned).
// Returning a returned reservation changes nothing; only a committed one can be returned.
func (r *Reservation) Return(now time.Time) error {
	switch r.state {
	case ReservationReturned:
		return nil
	case ReservationCommitted:
		r.record(&catalogv1.OrderReservationReturned{OrderId: r.orderID, ReturnedAt: now.UnixMicro()})
		return nil
	default:
		return fmt.Errorf("%w: only a sold order's units can be restocked", errs.FailedPrecondition)
	}
}

// StreamID implements aggregate.Root.
func (r *Reservation) StreamID() string { return ReservationStream(r.orderID) }

func (r *Reservation) record(e proto.Message) {
	_ = r.Apply(e)
	r.Record(e)
}

// Apply implements aggregate.Root.
func (r *Reservation) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *catalogv1.OrderReservationRequested:
		r.state = ReservationRequested
		r.lines = make([]Line, len(e.GetLines()))
		for i, l := range e.GetLines() {
			r.lines[i] = Line{ProductID: l.GetProductId(), Quantity: l.GetQuantity()}
		}
	case *catalogv1.OrderReservationConfirmed:
		r.state = ReservationConfirmed
		r.reserved = make([]ReservedLine, len(e.GetLines()))
		for i, l := range e.GetLines() {
			r.reserved[i] = ReservedLine{ProductID: l.GetProductId(), Quantity: l.GetQuantity(), SKU: l.GetSku(), Name: l.GetName(),
				UnitPriceMinor: l.GetUnitPriceMinor(), Currency: l.GetCurrency()}
		}
	case *catalogv1.OrderReservationRejected:
		r.state = ReservationRejected
		r.rejection = &Rejection{ProductID: e.GetProductId(), Reason: e.GetReason(), Requested: e.GetRequested(), Available: e.GetAvailable()}
	case *catalogv1.OrderReservationReleased:
		r.state = ReservationReleased
	case *catalogv1.OrderReservationCommitted:
		r.state = ReservationCommitted
	case *catalogv1.OrderReservationReturned:
		r.state = ReservationReturned
	default:
		return fmt.Errorf("reservation: unexpected event %T", e)
	}
	return nil
}
