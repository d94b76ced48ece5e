package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/services/ordering/internal/domain"
)

// ownOrder loads one of the caller's orders; another user's is not found (no enumeration).
func (a *App) ownOrder(ctx context.Context, orderID string) (*domain.Order, error) {
	userID := reqctx.From(ctx).Actor.UserID
	if userID == "" {
		return nil, errs.Unauthenticated
	}
	o, err := a.order(ctx, orderID)
	if err != nil {
		return nil, err
	}
	if o.UserID() != userID {
		return nil, domain.ErrOrderNotFound
	}
	return o, nil
}

// order loads a placed order.
func (a *App) order(ctx context.Context, orderID string) (*domain.Order, error) {
	if orderID == "" || len(orderID) > 64 {
		return nil, domain.ErrOrderNotFound
	}
	o, err := a.d.Orders.Load(ctx, domain.OrderStream(orderID))
	if errors.Is(err, aggregate.ErrNotFound) || (err == nil && !o.Placed()) {
		return nil, domain.ErrOrderNotFound
	}
	return o, err
}

// change applies decide to one order the caller may change (their own, or any for an
// admin) in one load and save, checking on every attempt that the order was placed and is
// the caller's.
func (a *App) change(ctx context.Context, orderID string, asAdmin bool, decide func(*domain.Order, time.Time) error) (*domain.Order, error) {
	actor := reqctx.From(ctx).Actor
	switch {
	case asAdmin && !actor.IsAdmin():
		return nil, errs.PermissionDenied
	case !asAdmin && actor.UserID == "":
		return nil, errs.Unauthenticated
	case orderID == "" || len(orderID) > 64:
		return nil, domain.ErrOrderNotFound
	}
	o, err := a.d.Orders.Update(ctx, domain.OrderStream(orderID), func(o *domain.Order) error {
		if !o.Placed() || (!asAdmin && o.UserID() != actor.UserID) {
			return domain.ErrOrderNotFound
		}
		return decide(o, a.now())
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return nil, domain.ErrOrderNotFound
	}
	return o, err
}

// CancelOrder cancels one of the caller's pending or paid orders.
func (a *App) CancelOrder(ctx context.Context, orderID, note string) (*domain.Order, error) {
	actor := reqctx.From(ctx).Actor
	return a.change(ctx, orderID, false, func(o *domain.Order, now time.Time) error {
		return o.Cancel(actor.UserID, "customer", note, now)
	})
}

// CapturePayment completes the PayPal payment of one of the caller's orders that the buyer
// approved: the order is paid. A paid order is answered as it is.
func (a *App) CapturePayment(ctx context.Context, orderID string) (*domain.Order, error) {
	o, err := a.ownOrder(ctx, orderID)
	if err != nil {
		return nil, err
	}
	switch {
	case o.Status() != domain.StatusPending && o.Charged():
		return o, nil
	case o.Status() != domain.StatusPending:
		return nil, &domain.TransitionError{From: o.Status(), To: domain.StatusPaid}
	case o.Payment() != domain.PaymentAwaiting:
		return nil, fmt.Errorf("%w: the order's payment is not waiting for an approval", errs.FailedPrecondition)
	}
	out, err := a.d.Payments.Capture(ctx, orderID)
	if err != nil {
		return nil, err
	}
	if err := a.recordPayment(ctx, orderID, out); err != nil {
		return nil, err
	}
	return a.ownOrder(ctx, orderID)
}

// RequestReturn asks to return one of the caller's delivered orders.
func (a *App) RequestReturn(ctx context.Context, orderID, reason string) (*domain.Order, error) {
	return a.change(ctx, orderID, false, func(o *domain.Order, now time.Time) error {
		return o.RequestReturn(reason, now)
	})
}

// SetStatus applies an admin's status change.
func (a *App) SetStatus(ctx context.Context, orderID, status string) (*domain.Order, error) {
	to, err := domain.ParseStatus("status", status)
	if err != nil {
		return nil, err
	}
	actor := reqctx.From(ctx).Actor
	o, err := a.change(ctx, orderID, true, func(o *domain.Order, now time.Time) error {
		return o.Move(to, actor.UserID, now)
	})
	if err != nil {
		return nil, fmt.Errorf("order %s to %s: %w", orderID, to, err)
	}
	return o, nil
}

// GetOrder returns one of the caller's orders as it is now (from the event store).
func (a *App) GetOrder(ctx context.Context, orderID string) (*domain.Order, error) {
	return a.ownOrder(ctx, orderID)
}
