package app

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
	"github.com/storefront/storefront/services/ordering/internal/domain"
)

// The checkout saga is orchestrated by the orders' own events: each event of an order,
// delivered by a durable reaction (platform/reaction), moves the order one step — it loads
// the order, calls the other context the step needs (each call idempotent by order id),
// and saves what came of it, once (the reaction marks the handling with aggregate.CausedBy,
// so a redelivered event's save is refused as already made). A step that fails is retried
// with backoff and, in the end, parked; the checkout deadline cancels an order that is still
// pending, whatever step it is stuck in, and the cancellation's compensation runs in
// reverse: refund what was charged, release the stock, return the discount redemption.
//
//	OrderPlaced      → cart checked out, deadline set, stock reserved → StockReserved | cancelled out_of_stock
//	StockReserved    → PaymentRequested (or OrderPaid, for a total of 0.00)
//	PaymentRequested → payments charges → OrderPaid | cancelled payment_declined | PaymentAwaitingCustomer
//	OrderPaid        → deadline cancelled
//	OrderCancelled   → refund asked | stock released | redemption released → OrderCompensated
//	RefundRequested  → payments refunds → RefundIssued (→ OrderCompensated)
//	OrderShipped     → stock committed
//	OrderReturned    → stock restocked, refund asked
//	DiscountRedeemed → placement check scheduled
//
// Each step saves the order at most once per handling, so that the saves of a repeated
// handling are the same saves.

// OnEvent is the saga's reaction to one of the ordering context's events.
func (a *App) OnEvent(ctx context.Context, event proto.Message) error {
	switch e := event.(type) {
	case *orderingv1.OrderPlaced:
		return a.afterPlaced(ctx, e)
	case *orderingv1.StockReserved:
		return a.step(ctx, e.OrderId, func(o *domain.Order) error { o.RequestPayment(a.now()); return nil })
	case *orderingv1.PaymentRequested:
		return a.pay(ctx, e.OrderId)
	case *orderingv1.OrderPaid:
		return a.d.Timers.Cancel(ctx, TimerCheckoutDeadline, e.OrderId)
	case *orderingv1.OrderCancelled:
		if err := a.d.Timers.Cancel(ctx, TimerCheckoutDeadline, e.OrderId); err != nil {
			return err
		}
		return a.compensate(ctx, e.OrderId)
	case *orderingv1.RefundRequested:
		return a.refund(ctx, e.OrderId, e.RefundId)
	case *orderingv1.OrderShipped:
		return a.commitStock(ctx, e.OrderId)
	case *orderingv1.OrderReturned:
		return a.afterReturned(ctx, e.OrderId)
	case *orderingv1.DiscountRedeemed:
		return a.d.Timers.Schedule(ctx, Timer{Kind: TimerPlacementCheck, Key: e.OrderId,
			DueAt: a.now().Add(a.d.PlacementGrace), Payload: []byte(e.Code)})
	}
	return nil
}

// OnPaymentEvent moves an order by what the payments context recorded on its own — a
// charge that succeeded or failed later (3-D Secure, a webhook), a refund made at the
// provider — as the saga's own steps would. Payments of no order of ours are ignored.
func (a *App) OnPaymentEvent(ctx context.Context, event proto.Message) error {
	var orderID string
	var out *PaymentOutcome
	switch e := event.(type) {
	case *paymentsv1.PaymentProcessed:
		orderID, out = e.OrderId, &PaymentOutcome{Status: PaymentSucceeded, ProviderRef: e.ProviderRef, AmountMinor: e.AmountMinor}
	case *paymentsv1.PaymentDeclined:
		orderID, out = e.OrderId, &PaymentOutcome{Status: PaymentDeclined, ProviderRef: e.ProviderRef, DeclineCode: e.DeclineCode}
	case *paymentsv1.RefundIssued:
		orderID = e.OrderId
	default:
		return nil
	}
	o, err := a.d.Orders.Load(ctx, domain.OrderStream(orderID))
	if errors.Is(err, aggregate.ErrNotFound) || (err == nil && !o.Placed()) {
		return nil
	}
	if err != nil {
		return err
	}
	if out != nil {
		if out.Status == PaymentSucceeded && o.Payment() == domain.PaymentNone {
			return nil // the saga has not asked for it yet: its own step will
		}
		return a.recordPayment(ctx, orderID, *out)
	}
	e := event.(*paymentsv1.RefundIssued)
	return a.step(ctx, orderID, func(o *domain.Order) error {
		o.RefundDone(e.RefundId, e.AmountMinor, e.ProviderRef, a.now())
		return nil
	})
}

// step loads the order, lets decide record its next step, and saves it.
func (a *App) step(ctx context.Context, orderID string, decide func(*domain.Order) error) error {
	_, err := a.d.Orders.Update(ctx, domain.OrderStream(orderID), decide)
	if errors.Is(err, aggregate.ErrNotFound) {
		return fmt.Errorf("order %s: %w", orderID, err)
	}
	return err
}

func (a *App) load(ctx context.Context, orderID string) (*domain.Order, error) {
	o, err := a.d.Orders.Load(ctx, domain.OrderStream(orderID))
	if err != nil {
		return nil, fmt.Errorf("load order %s: %w", orderID, err)
	}
	return o, nil
}

// afterPlaced checks the cart out, sets the checkout deadline and reserves the stock.
func (a *App) afterPlaced(ctx context.Context, e *orderingv1.OrderPlaced) error {
	o, err := a.load(ctx, e.OrderId)
	if err != nil {
		return err
	}
	if err := a.d.Timers.Schedule(ctx, Timer{Kind: TimerCheckoutDeadline, Key: o.ID(),
		DueAt: o.CreatedAt().Add(a.d.CheckoutDeadline)}); err != nil {
		return err
	}
	if !o.CartCheckedOut() {
		if err := a.d.Carts.CheckOut(ctx, o.UserID(), o.ID(), o.Lines()); err != nil {
			return fmt.Errorf("check the cart out: %w", err)
		}
	}
	var refusal *StockRefusal
	if o.NeedsStock() {
		err = a.d.Stock.Reserve(ctx, o.ID(), o.Lines())
		if err != nil && !errors.As(err, &refusal) {
			return fmt.Errorf("reserve stock: %w", err)
		}
	}
	return a.step(ctx, o.ID(), func(o *domain.Order) error {
		now := a.now()
		o.CheckOutCart(now)
		if refusal != nil {
			o.StockRefused(refusal.ProductID, refusal.Reason, now)
		} else {
			o.StockReserved(now)
		}
		return nil
	})
}

// pay asks the payments context for the order's total and records the outcome.
func (a *App) pay(ctx context.Context, orderID string) error {
	o, err := a.load(ctx, orderID)
	if err != nil {
		return err
	}
	if o.Status() != domain.StatusPending || !o.PaymentInProgress() {
		return nil // settled, or cancelled before the charge (compensation expires it)
	}
	out, err := a.d.Payments.Request(ctx, PaymentRequest{OrderID: o.ID(), UserID: o.UserID(), Method: o.PaymentMethod(),
		Currency: o.Currency(), AmountMinor: o.TotalMinor(), Description: "Storefront order " + o.ID()})
	if err != nil {
		return fmt.Errorf("request payment: %w", err)
	}
	return a.recordPayment(ctx, orderID, out)
}

// recordPayment records what the payments context answered about the order's payment.
func (a *App) recordPayment(ctx context.Context, orderID string, out PaymentOutcome) error {
	lateCharge := false
	err := a.step(ctx, orderID, func(o *domain.Order) error {
		now := a.now()
		lateCharge = false
		switch out.Status {
		case PaymentSucceeded:
			if !o.PaymentSucceeded(out.ProviderRef, out.AmountMinor, now) && o.Status() == domain.StatusCancelled {
				// Charged after the order was cancelled: the money goes back.
				o.AskRefund(domain.RefundCancel, out.AmountMinor, now)
				lateCharge = true
			}
		case PaymentDeclined:
			o.PaymentRefused(out.DeclineCode, now)
		case PaymentExpired:
			o.Expire(now)
		case PaymentPending, PaymentActionRequired:
			o.AwaitCustomer(out.ProviderRef, out.ActionURL, now)
		}
		return nil
	})
	if err == nil && lateCharge {
		a.d.Log.WarnContext(ctx, "order charged after it was cancelled; refunding", "order_id", orderID)
	}
	return err
}

// compensate undoes a cancelled order's checkout in reverse: the charge (refund, or the
// payment given up), the stock, the discount redemption.
func (a *App) compensate(ctx context.Context, orderID string) error {
	o, err := a.load(ctx, orderID)
	if err != nil {
		return err
	}
	if !o.NeedsCompensation() {
		return nil
	}
	var lateCharge *PaymentOutcome
	if o.PaymentInProgress() {
		out, err := a.d.Payments.Expire(ctx, orderID)
		if err != nil {
			return fmt.Errorf("give the payment up: %w", err)
		}
		if out.Status == PaymentSucceeded {
			lateCharge = &out
		}
	}
	if o.Stock() != domain.StockReleased {
		if err := a.d.Stock.Release(ctx, orderID); err != nil {
			return fmt.Errorf("release stock: %w", err)
		}
	}
	if code := o.DiscountCode(); code != "" {
		if err := a.releaseRedemption(ctx, code, orderID); err != nil {
			return err
		}
	}
	return a.step(ctx, orderID, func(o *domain.Order) error {
		now := a.now()
		if lateCharge != nil {
			o.AskRefund(domain.RefundCancel, lateCharge.AmountMinor, now)
		} else if due := o.RefundDue(); due > 0 {
			o.AskRefund(domain.RefundCancel, due, now)
		}
		o.StockReleased(now)
		if len(o.PendingRefunds()) == 0 {
			return o.FinishCompensation(now)
		}
		return nil
	})
}

func (a *App) releaseRedemption(ctx context.Context, code, orderID string) error {
	_, err := a.d.Discounts.Update(ctx, domain.DiscountStream(code), func(d *domain.Discount) error {
		d.Release(orderID, a.now())
		return nil
	})
	if err != nil && !errors.Is(err, aggregate.ErrNotFound) {
		return fmt.Errorf("release the discount redemption: %w", err)
	}
	return nil
}

// refund has the payments context make an asked refund and records it.
func (a *App) refund(ctx context.Context, orderID, refundID string) error {
	o, err := a.load(ctx, orderID)
	if err != nil {
		return err
	}
	amount, asked := o.RefundAsked(refundID)
	if !asked || o.RefundIssued(refundID) {
		return nil
	}
	reason := "cancelled"
	if refundID == domain.RefundReturn {
		reason = "returned"
	}
	ref, err := a.d.Payments.Refund(ctx, orderID, refundID, amount, reason)
	if err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	return a.step(ctx, orderID, func(o *domain.Order) error {
		now := a.now()
		o.RefundDone(refundID, amount, ref, now)
		if o.NeedsCompensation() && o.Stock() == domain.StockReleased && len(o.PendingRefunds()) == 0 {
			return o.FinishCompensation(now)
		}
		return nil
	})
}

// commitStock sells a shipped order's units.
func (a *App) commitStock(ctx context.Context, orderID string) error {
	o, err := a.load(ctx, orderID)
	if err != nil || !o.NeedsCommit() {
		return err
	}
	if err := a.d.Stock.Commit(ctx, orderID); err != nil {
		return fmt.Errorf("commit stock: %w", err)
	}
	return a.step(ctx, orderID, func(o *domain.Order) error { o.StockCommitted(a.now()); return nil })
}

// afterReturned puts a returned order's units back in stock and asks for its refund.
func (a *App) afterReturned(ctx context.Context, orderID string) error {
	o, err := a.load(ctx, orderID)
	if err != nil {
		return err
	}
	if o.NeedsCommit() {
		// Shipped and returned before the commit step ran: sell first, then restock.
		if err := a.d.Stock.Commit(ctx, orderID); err != nil {
			return fmt.Errorf("commit stock: %w", err)
		}
	}
	if o.NeedsCommit() || o.NeedsRestock() {
		if err := a.d.Stock.Restock(ctx, orderID); err != nil {
			return fmt.Errorf("restock: %w", err)
		}
	}
	return a.step(ctx, orderID, func(o *domain.Order) error {
		now := a.now()
		o.StockCommitted(now)
		o.StockRestocked(now)
		if o.Charged() {
			o.AskRefund(domain.RefundReturn, o.TotalMinor()-o.RefundedMinor(), now)
		}
		return nil
	})
}

// OnTimer is the saga's reaction to a due deadline.
func (a *App) OnTimer(ctx context.Context, kind, key string, payload []byte) error {
	switch kind {
	case TimerCheckoutDeadline:
		return a.checkoutDeadline(ctx, key)
	case TimerPlacementCheck:
		return a.placementCheck(ctx, key, string(payload))
	}
	return fmt.Errorf("%w: unknown timer kind %q", errs.InvalidArgument, kind)
}

// checkoutDeadline cancels an order still pending at its deadline. When its payment was in
// progress, the payment is given up first: if it turns out to have succeeded, the order is
// paid after all.
func (a *App) checkoutDeadline(ctx context.Context, orderID string) error {
	o, err := a.load(ctx, orderID)
	if err != nil || o.Status() != domain.StatusPending {
		return err
	}
	if o.PaymentInProgress() {
		out, err := a.d.Payments.Expire(ctx, orderID)
		if err != nil {
			return fmt.Errorf("give the payment up: %w", err)
		}
		if out.Status == PaymentSucceeded {
			return a.recordPayment(ctx, orderID, out)
		}
	}
	return a.step(ctx, orderID, func(o *domain.Order) error { o.Expire(a.now()); return nil })
}

// placementCheck takes back the redemption of a placement that never recorded its order:
// it closes the order's stream first, so that the placement cannot land afterwards.
func (a *App) placementCheck(ctx context.Context, orderID, code string) error {
	o, err := a.d.Orders.Load(ctx, domain.OrderStream(orderID))
	if err != nil && !errors.Is(err, aggregate.ErrNotFound) {
		return err
	}
	if errors.Is(err, aggregate.ErrNotFound) {
		o = domain.NewOrder(domain.OrderStream(orderID))
		if o.Abandon(code, a.now()) {
			err := a.d.Orders.Save(ctx, o)
			if err != nil && !errors.Is(err, aggregate.ErrAlreadySaved) {
				if o, lerr := a.d.Orders.Load(ctx, domain.OrderStream(orderID)); lerr == nil && o.Placed() {
					return nil // placed just now
				}
				return fmt.Errorf("abandon order %s: %w", orderID, err)
			}
		}
		return a.releaseRedemption(ctx, code, orderID)
	}
	if o.Abandoned() {
		return a.releaseRedemption(ctx, code, orderID)
	}
	return nil
}
