package ordering

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/money"
	"github.com/storefront/storefront/platform/projector"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	typev1 "github.com/storefront/storefront/proto/storefront/type/v1"
)

// Name is the projection's name, and so the read schema its readers query.
const Name = "orders"

// Context is the bounded context whose events the projection reads.
const Context = "ordering"

// Projection is the orders read model.
type Projection struct {
	context  string
	registry *events.Registry
}

var _ projector.Projection = (*Projection)(nil)

// New returns the projection over the ordering context's events.
func New() *Projection { return NewForContext(Context) }

// NewForContext returns the projection reading the ordering events of the bounded context
// named c: tests run it on their own prefixed JetStream streams.
func NewForContext(c string) *Projection {
	return &Projection{context: c, registry: events.NewRegistry().Register(orderingv1.Events()...)}
}

// Name implements projector.Projection.
func (p *Projection) Name() string { return Name }

// Contexts implements projector.Projection.
func (p *Projection) Contexts() []string { return []string{p.context} }

// DDL implements projector.Projection. doc is the order as API.md shows it (a serialised
// orderingv1.Order); the columns beside it are what lists filter, sort and add up.
func (p *Projection) DDL(string) string {
	return `
CREATE TABLE orders (
    id             text PRIMARY KEY,
    user_id        text NOT NULL,
    status         text NOT NULL,
    created_at     timestamptz NOT NULL,
    currency       text NOT NULL,
    total_minor    bigint NOT NULL,
    refunded_minor bigint NOT NULL DEFAULT 0,
    -- The order was paid at some point (revenue counts it, net of refunds).
    reached_paid   boolean NOT NULL DEFAULT false,
    -- The order stream's version applied last: readers compare it with the event store's.
    version        bigint NOT NULL,
    doc            bytea NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_by_status ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_by_created ON orders (created_at DESC, id DESC);

CREATE TABLE order_lines (
    order_id         text NOT NULL,
    product_id       text NOT NULL,
    name             text NOT NULL,
    quantity         integer NOT NULL,
    line_total_minor bigint NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE discounts (
    code               text PRIMARY KEY,
    percent_off        integer NOT NULL,
    amount_off_minor   bigint NOT NULL,
    min_subtotal_minor bigint NOT NULL,
    currency           text NOT NULL,
    starts_at          timestamptz,
    expires_at         timestamptz,
    max_redemptions    integer NOT NULL,
    redemptions        integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL
);
CREATE INDEX discounts_by_created ON discounts (created_at DESC, code);
`
}

// Apply implements projector.Projection.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error {
	m, err := projector.Decode(p.registry, ev)
	if err != nil {
		return fmt.Errorf("orders projection: %w", err)
	}
	q := func(sql string) string {
		for _, t := range []string{"orders", "order_lines", "discounts"} {
			sql = strings.ReplaceAll(sql, "{"+t+"}", pgx.Identifier{schema, t}.Sanitize())
		}
		return sql
	}
	switch e := m.(type) {
	case *orderingv1.OrderPlaced:
		return placeOrder(ctx, tx, q, e, ev.Version)
	case *orderingv1.OrderPlacementAbandoned:
		return nil
	case *orderingv1.DiscountCreated:
		_, err := tx.Exec(ctx, q(`INSERT INTO {discounts} (code, percent_off, amount_off_minor, min_subtotal_minor, currency,
			starts_at, expires_at, max_redemptions, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (code) DO NOTHING`),
			e.Code, e.PercentOff, e.AmountOffMinor, e.MinSubtotalMinor, e.Currency, optionalTime(e.StartsAt), optionalTime(e.ExpiresAt),
			e.MaxRedemptions, at(e.CreatedAt))
		return err
	case *orderingv1.DiscountRedeemed:
		_, err := tx.Exec(ctx, q(`UPDATE {discounts} SET redemptions = redemptions + 1 WHERE code = $1`), e.Code)
		return err
	case *orderingv1.DiscountRedemptionReleased:
		_, err := tx.Exec(ctx, q(`UPDATE {discounts} SET redemptions = redemptions - 1 WHERE code = $1`), e.Code)
		return err
	}
	return changeOrder(ctx, tx, q, strings.TrimPrefix(ev.StreamID, "order-"), ev.Version, m)
}

// provider is who takes an order's payment, as the ordering service says it.
func provider(e *orderingv1.OrderPlaced) string {
	switch {
	case e.TotalMinor == 0:
		return "none"
	case e.PaymentMethod == "paypal":
		return "paypal"
	}
	return "stripe"
}

func at(us int64) time.Time { return time.UnixMicro(us).UTC() }

func optionalTime(us int64) *time.Time {
	if us == 0 {
		return nil
	}
	t := at(us)
	return &t
}

func stamp(us int64) string { return at(us).Format(time.RFC3339) }

func placeOrder(ctx context.Context, tx pgx.Tx, q func(string) string, e *orderingv1.OrderPlaced, version int64) error {
	cur := e.Currency
	m := func(minor int64) *typev1.Money { return &typev1.Money{Amount: money.Format(minor, cur), Currency: cur} }
	doc := &orderingv1.Order{Id: e.OrderId, Status: "pending", Subtotal: m(e.SubtotalMinor), Discount: m(e.DiscountMinor),
		Total: m(e.TotalMinor), DiscountCode: e.DiscountCode, Items: []*orderingv1.OrderItem{},
		Payment:       &orderingv1.Payment{Status: "pending", Provider: provider(e)},
		StatusHistory: []*orderingv1.StatusChange{{Status: "pending", At: stamp(e.PlacedAt)}},
		CreatedAt:     stamp(e.PlacedAt), UpdatedAt: stamp(e.PlacedAt)}
	if a := e.ShippingAddress; a != nil {
		doc.ShippingAddress = &orderingv1.Address{Id: a.AddressId, Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State,
			PostalCode: a.PostalCode, Country: a.Country}
	} else {
		doc.ShippingAddress = &orderingv1.Address{}
	}
	b := &pgx.Batch{}
	for _, l := range e.Lines {
		total := l.UnitPriceMinor * int64(l.Quantity)
		doc.Items = append(doc.Items, &orderingv1.OrderItem{ProductId: l.ProductId, Sku: l.Sku, Name: l.Name,
			UnitPrice: m(l.UnitPriceMinor), Quantity: l.Quantity, LineTotal: m(total)})
		b.Queue(q(`INSERT INTO {order_lines} (order_id, product_id, name, quantity, line_total_minor) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING`), e.OrderId, l.ProductId, l.Name, l.Quantity, total)
	}
	raw, err := proto.Marshal(doc)
	if err != nil {
		return err
	}
	b.Queue(q(`INSERT INTO {orders} (id, user_id, status, created_at, currency, total_minor, version, doc)
		VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`),
		e.OrderId, e.UserId, at(e.PlacedAt), cur, e.TotalMinor, version, raw)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("orders projection: place %s: %w", e.OrderId, err)
	}
	return nil
}

// changeOrder applies an event after OrderPlaced to the order's row.
func changeOrder(ctx context.Context, tx pgx.Tx, q func(string) string, orderID string, version int64, m proto.Message) error {
	var raw []byte
	var refunded int64
	err := tx.QueryRow(ctx, q(`SELECT doc, refunded_minor FROM {orders} WHERE id = $1 FOR UPDATE`), orderID).Scan(&raw, &refunded)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("orders projection: %T for order %s, which was never placed", m, orderID)
	}
	if err != nil {
		return err
	}
	doc := &orderingv1.Order{}
	if err := proto.Unmarshal(raw, doc); err != nil {
		return fmt.Errorf("orders projection: order %s: %w", orderID, err)
	}
	paid := false
	status := func(s string, us int64) {
		doc.Status = s
		doc.StatusHistory = append(doc.StatusHistory, &orderingv1.StatusChange{Status: s, At: stamp(us)})
		doc.UpdatedAt = stamp(us)
	}
	switch e := m.(type) {
	case *orderingv1.PaymentRequested:
		doc.UpdatedAt = stamp(e.RequestedAt)
	case *orderingv1.PaymentAwaitingCustomer:
		doc.Payment.ProviderRef, doc.Payment.ApprovalUrl = e.ProviderRef, e.ActionUrl
	case *orderingv1.OrderPaid:
		doc.Payment.Status = e.PaymentStatus
		if e.ProviderRef != "" {
			doc.Payment.ProviderRef = e.ProviderRef
		}
		paid = true
		doc.Payment.ApprovalUrl = ""
		status("paid", e.PaidAt)
	case *orderingv1.OrderCancelled:
		doc.CancellationReason, doc.Payment.ApprovalUrl = e.Reason, ""
		if e.Reason == "payment_declined" {
			doc.Payment.Status = "declined"
		}
		status("cancelled", e.CancelledAt)
	case *orderingv1.OrderShipped:
		status("shipped", e.ShippedAt)
	case *orderingv1.OrderDelivered:
		status("delivered", e.DeliveredAt)
	case *orderingv1.ReturnRequested:
		status("return_requested", e.RequestedAt)
	case *orderingv1.OrderReturned:
		status("returned", e.ReturnedAt)
	case *orderingv1.RefundIssued:
		refunded += e.AmountMinor
		doc.Payment.Refunded = refunded > 0
		doc.UpdatedAt = stamp(e.IssuedAt)
	}
	raw, err = proto.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, q(`UPDATE {orders} SET status = $2, refunded_minor = $3, reached_paid = reached_paid OR $4,
		version = $5, doc = $6 WHERE id = $1`), orderID, doc.Status, refunded, paid, version, raw)
	return err
}
