package app

import (
	"time"

	"github.com/storefront/storefront/platform/money"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	typev1 "github.com/storefront/storefront/proto/storefront/type/v1"
	"github.com/storefront/storefront/services/ordering/internal/domain"
)

// View is an order as API.md shows it (the orders read model shows the same).
func View(o *domain.Order) *orderingv1.Order {
	cur := o.Currency()
	m := func(minor int64) *typev1.Money { return &typev1.Money{Amount: money.Format(minor, cur), Currency: cur} }
	items := make([]*orderingv1.OrderItem, 0, len(o.Lines()))
	for _, l := range o.Lines() {
		items = append(items, &orderingv1.OrderItem{ProductId: l.ProductID, Sku: l.SKU, Name: l.Name,
			UnitPrice: m(l.UnitPriceMinor), Quantity: l.Quantity, LineTotal: m(l.TotalMinor())})
	}
	history := make([]*orderingv1.StatusChange, 0, len(o.History()))
	for _, h := range o.History() {
		history = append(history, &orderingv1.StatusChange{Status: string(h.Status), At: Timestamp(h.At)})
	}
	a := o.Address()
	return &orderingv1.Order{
		Id: o.ID(), Status: string(o.Status()), Items: items,
		Subtotal: m(o.SubtotalMinor()), Discount: m(o.DiscountMinor()), Total: m(o.TotalMinor()),
		DiscountCode: o.DiscountCode(),
		ShippingAddress: &orderingv1.Address{Id: a.ID, Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State,
			PostalCode: a.PostalCode, Country: a.Country},
		Payment: &orderingv1.Payment{Status: o.PaymentStatus(), ProviderRef: o.ProviderRef(), Refunded: o.RefundedMinor() > 0,
			Provider: o.Provider(), ApprovalUrl: o.ApprovalURL()},
		CancellationReason: o.CancellationReason(),
		StatusHistory:      history,
		CreatedAt:          Timestamp(o.CreatedAt()),
		UpdatedAt:          Timestamp(o.UpdatedAt()),
	}
}

// DiscountView is a discount as API.md shows it.
func DiscountView(d *domain.Discount) *orderingv1.Discount {
	t := d.Terms()
	m := func(minor int64) *typev1.Money {
		return &typev1.Money{Amount: money.Format(minor, t.Currency), Currency: t.Currency}
	}
	opt := func(at time.Time) string {
		if at.IsZero() {
			return ""
		}
		return Timestamp(at)
	}
	return &orderingv1.Discount{Code: d.Code(), PercentOff: t.PercentOff, AmountOff: m(t.AmountOffMinor), MinSubtotal: m(t.MinSubtotal),
		StartsAt: opt(t.StartsAt), ExpiresAt: opt(t.ExpiresAt), MaxRedemptions: t.MaxRedemptions, Redemptions: d.Redemptions(),
		CreatedAt: Timestamp(d.CreatedAt())}
}

// Timestamp writes a time as API.md does: RFC 3339, UTC, in whole seconds.
func Timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
