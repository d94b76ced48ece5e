package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// Stock reservations for checkout. An order's reservation is its own stream (the
// Reservation aggregate), and each product keeps the units held per order. The reservation
// is settled (confirmed, rejected, released, committed) in its stream BEFORE holds are
// released or sold, so that any attempt — concurrent, repeated, or resuming after a crash —
// can tell from it what its holds must become. docs/decisions/010-catalog.md has the cases.

// ReserveStock holds stock for an order's lines, all or none.
type ReserveStock struct {
	OrderID string
	Items   []domain.Line
}

// ReserveStockHandler handles ReserveStock.
type ReserveStockHandler struct{ d Deps }

// Handle reserves every line or none. It is idempotent per order id: once the reservation is
// settled, a repeated call answers as the first did (the reserved lines, or the same
// rejection); one interrupted before settling resumes it. A line that cannot be reserved is a
// FailedPrecondition error naming the product (*domain.Rejection).
func (h ReserveStockHandler) Handle(ctx context.Context, cmd ReserveStock) ([]domain.ReservedLine, error) {
	lines, err := domain.ValidateReservation(cmd.OrderID, cmd.Items)
	if err != nil {
		return nil, err
	}
	r, err := h.d.openReservation(ctx, cmd.OrderID, lines)
	if err != nil {
		return nil, err
	}
	switch {
	case r.State() == domain.ReservationReleased || r.State() == domain.ReservationRejected:
		// Settled without holds; a crash may have left some of them behind.
		if err := h.d.releaseHolds(ctx, cmd.OrderID, r.Lines()); err != nil {
			return nil, err
		}
		return nil, r.Outcome()
	case !r.SameLines(lines):
		return nil, domain.ErrReservationOtherLines
	case r.State() == domain.ReservationConfirmed || r.State() == domain.ReservationCommitted || r.State() == domain.ReservationReturned:
		return r.ReservedLines(), nil
	}

	now := h.d.Clock()
	reserved := make([]domain.ReservedLine, 0, len(lines))
	for _, l := range lines {
		p, err := h.d.Products.Update(ctx, domain.ProductStream(l.ProductID), func(p *domain.Product) error {
			return p.Reserve(cmd.OrderID, l.Quantity, now)
		})
		var short *domain.InsufficientStockError
		switch {
		case err == nil:
			d := p.Details()
			reserved = append(reserved, domain.ReservedLine{ProductID: p.ID(), Quantity: l.Quantity, SKU: d.SKU, Name: d.Name,
				UnitPriceMinor: p.PriceMinor(), Currency: p.Currency()})
			continue
		case errors.Is(err, aggregate.ErrNotFound):
			return h.reject(ctx, cmd.OrderID, domain.Rejection{ProductID: l.ProductID, Reason: domain.RejectProductNotFound, Requested: l.Quantity}, now)
		case errors.Is(err, domain.ErrProductUnavailable):
			return h.reject(ctx, cmd.OrderID, domain.Rejection{ProductID: l.ProductID, Reason: domain.RejectProductUnavailable, Requested: l.Quantity}, now)
		case errors.As(err, &short):
			return h.reject(ctx, cmd.OrderID, domain.Rejection{ProductID: l.ProductID, Reason: domain.RejectInsufficientStock,
				Requested: short.Requested, Available: short.Available}, now)
		default:
			// Transient (a conflict past the retries, a cancelled call): the reservation stays
			// requested and a repeated call resumes it, or a release frees what is held.
			return nil, fmt.Errorf("reserve product %s for order %s: %w", l.ProductID, cmd.OrderID, err)
		}
	}
	r, err = h.d.Reservations.Update(ctx, r.StreamID(), func(r *domain.Reservation) error { return r.Confirm(reserved, now) })
	if domain.IsSettled(err) {
		return h.d.settledElsewhere(ctx, r)
	}
	if err != nil {
		return nil, err
	}
	return r.ReservedLines(), nil
}

// openReservation loads the order's reservation, or records the request when there is none.
func (d Deps) openReservation(ctx context.Context, orderID string, lines []domain.Line) (*domain.Reservation, error) {
	stream := domain.ReservationStream(orderID)
	r, err := d.Reservations.Load(ctx, stream)
	if !errors.Is(err, aggregate.ErrNotFound) {
		return r, err
	}
	r = domain.RequestReservation(orderID, lines, d.Clock())
	err = d.Reservations.Save(ctx, r)
	if errors.Is(err, es.ErrConcurrency) {
		// Another attempt for the same order recorded its request first: go on from it.
		return d.Reservations.Load(ctx, stream)
	}
	return r, err
}

// reject settles the reservation as rejected, then releases whatever the order holds.
func (h ReserveStockHandler) reject(ctx context.Context, orderID string, why domain.Rejection, now time.Time) ([]domain.ReservedLine, error) {
	r, err := h.d.Reservations.Update(ctx, domain.ReservationStream(orderID), func(r *domain.Reservation) error { return r.Reject(why, now) })
	if domain.IsSettled(err) {
		return h.d.settledElsewhere(ctx, r)
	}
	if err != nil {
		return nil, err
	}
	if err := h.d.releaseHolds(ctx, orderID, r.Lines()); err != nil {
		return nil, err
	}
	return nil, r.Outcome()
}

// settledElsewhere answers an attempt that found the reservation settled by another one:
// confirmed or committed, the holds are that attempt's and stay; rejected or released, any
// hold this attempt took must go.
func (d Deps) settledElsewhere(ctx context.Context, r *domain.Reservation) ([]domain.ReservedLine, error) {
	if err := r.Outcome(); err != nil {
		if rerr := d.releaseHolds(ctx, r.OrderID(), r.Lines()); rerr != nil {
			return nil, rerr
		}
		return nil, err
	}
	return r.ReservedLines(), nil
}

// releaseHolds releases the order's hold on each product (idempotent per product).
func (d Deps) releaseHolds(ctx context.Context, orderID string, lines []domain.Line) error {
	now := d.Clock()
	for _, l := range lines {
		_, err := d.Products.Update(ctx, domain.ProductStream(l.ProductID), func(p *domain.Product) error {
			p.ReleaseHold(orderID, now)
			return nil
		})
		if err != nil && !errors.Is(err, aggregate.ErrNotFound) {
			return fmt.Errorf("release product %s for order %s: %w", l.ProductID, orderID, err)
		}
	}
	return nil
}

// ReleaseReservation returns an order's held units to available stock.
type ReleaseReservation struct {
	OrderID string
}

// ReleaseReservationHandler handles ReleaseReservation.
type ReleaseReservationHandler struct{ d Deps }

// Handle settles the reservation as released and releases the holds. It is idempotent; a
// release for an order that reserved nothing yet is recorded, so that a ReserveStock arriving
// after it is refused. A committed reservation is a FailedPrecondition.
func (h ReleaseReservationHandler) Handle(ctx context.Context, cmd ReleaseReservation) error {
	if err := domain.ValidateOrderID(cmd.OrderID); err != nil {
		return err
	}
	stream := domain.ReservationStream(cmd.OrderID)
	for attempt := 0; ; attempt++ {
		now := h.d.Clock()
		r, err := h.d.Reservations.Update(ctx, stream, func(r *domain.Reservation) error { return r.Release(now) })
		if errors.Is(err, aggregate.ErrNotFound) {
			err = h.d.Reservations.Save(ctx, domain.ReleasedInAdvance(cmd.OrderID, now))
			if errors.Is(err, es.ErrConcurrency) && attempt < 3 {
				continue // a reservation was requested meanwhile: release it
			}
			return err
		}
		if err != nil {
			return err
		}
		return h.d.releaseHolds(ctx, cmd.OrderID, r.Lines())
	}
}

// CommitReservation sells an order's held units.
type CommitReservation struct {
	OrderID string
}

// CommitReservationHandler handles CommitReservation.
type CommitReservationHandler struct{ d Deps }

// Handle settles the reservation as committed and takes the held units off the stock on
// hand. It is idempotent; only a confirmed reservation can be committed.
func (h CommitReservationHandler) Handle(ctx context.Context, cmd CommitReservation) error {
	return h.d.settleThenProducts(ctx, "commit", cmd.OrderID,
		func(r *domain.Reservation, now time.Time) error { return r.Commit(now) },
		func(p *domain.Product, l domain.Line, now time.Time) { p.CommitHold(cmd.OrderID, now) })
}

// settleThenProducts settles an order's reservation with settle, then changes each of its
// products with change (each change idempotent per order): the reservation's stream says
// what the products must become, so a repeated or resumed call finishes the same way.
func (d Deps) settleThenProducts(ctx context.Context, what, orderID string, settle func(*domain.Reservation, time.Time) error,
	change func(*domain.Product, domain.Line, time.Time)) error {
	if err := domain.ValidateOrderID(orderID); err != nil {
		return err
	}
	now := d.Clock()
	r, err := d.Reservations.Update(ctx, domain.ReservationStream(orderID), func(r *domain.Reservation) error { return settle(r, now) })
	if errors.Is(err, aggregate.ErrNotFound) {
		return domain.ErrReservationNotFound
	}
	if err != nil {
		return err
	}
	for _, l := range r.Lines() {
		_, err := d.Products.Update(ctx, domain.ProductStream(l.ProductID), func(p *domain.Product) error {
			change(p, l, now)
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s product %s for order %s: %w", what, l.ProductID, orderID, err)
		}
	}
	return nil
}

// RestockReservation puts a returned order's sold units back on hand.
type RestockReservation struct {
	OrderID string
}

// RestockReservationHandler handles RestockReservation.
type RestockReservationHandler struct{ d Deps }

// Handle settles the reservation as returned, then adds its units back to each product's
// stock on hand (once per product and order). It is idempotent; only a committed
// reservation can be restocked.
func (h RestockReservationHandler) Handle(ctx context.Context, cmd RestockReservation) error {
	return h.d.settleThenProducts(ctx, "restock", cmd.OrderID,
		func(r *domain.Reservation, now time.Time) error { return r.Return(now) },
		func(p *domain.Product, l domain.Line, now time.Time) { p.Restock(cmd.OrderID, l.Quantity, now) })
}
