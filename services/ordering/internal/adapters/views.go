package adapters

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/money"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	typev1 "github.com/storefront/storefront/proto/storefront/type/v1"
	"github.com/storefront/storefront/services/ordering/internal/app"
	"github.com/storefront/storefront/services/ordering/internal/domain"
)

// ReadModel reads the views of the orders read model (projections/ordering, read schema
// "orders").
type ReadModel struct {
	Pool *pgxpool.Pool
	// Currency is the store's, for the figures of an empty range.
	Currency string
}

var _ app.Views = ReadModel{}

const orderColumns = `doc, count(*) OVER ()`

func (r ReadModel) orderPage(ctx context.Context, sql string, args ...any) (app.OrderPage, error) {
	rows, err := r.Pool.Query(ctx, sql, args...)
	if err != nil {
		return app.OrderPage{}, readModelErr(err)
	}
	page := app.OrderPage{Items: []*orderingv1.Order{}}
	var raw []byte
	var total int
	_, err = pgx.ForEachRow(rows, []any{&raw, &total}, func() error {
		o := &orderingv1.Order{}
		if err := proto.Unmarshal(raw, o); err != nil {
			return err
		}
		page.Items, page.Total = append(page.Items, o), total
		return nil
	})
	if err != nil {
		return app.OrderPage{}, readModelErr(err)
	}
	if len(page.Items) == 0 {
		// A page past the end still tells the total.
		return page, r.count(ctx, sql, &page, args...)
	}
	return page, nil
}

// count fills in the total of a query whose page came back empty.
func (r ReadModel) count(ctx context.Context, pageSQL string, page *app.OrderPage, args ...any) error {
	where := pageSQL[strings.Index(pageSQL, "FROM"):strings.Index(pageSQL, "ORDER BY")]
	err := r.Pool.QueryRow(ctx, "SELECT count(*) "+where, args[:len(args)-2]...).Scan(&page.Total)
	return readModelErr(err)
}

// CustomerOrders implements app.Views.
func (r ReadModel) CustomerOrders(ctx context.Context, userID string, p app.Resolved) (app.OrderPage, error) {
	return r.orderPage(ctx, `SELECT `+orderColumns+` FROM orders.orders WHERE user_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, userID, p.PerPage, p.Offset())
}

// AdminOrders implements app.Views.
func (r ReadModel) AdminOrders(ctx context.Context, status string, p app.Resolved) (app.OrderPage, error) {
	if status == "" {
		return r.orderPage(ctx, `SELECT `+orderColumns+` FROM orders.orders
			ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`, p.PerPage, p.Offset())
	}
	return r.orderPage(ctx, `SELECT `+orderColumns+` FROM orders.orders WHERE status = $1
		ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, status, p.PerPage, p.Offset())
}

// Versions implements app.Views.
func (r ReadModel) Versions(ctx context.Context, orderIDs []string) (map[string]int64, error) {
	out := make(map[string]int64, len(orderIDs))
	if len(orderIDs) == 0 {
		return out, nil
	}
	rows, err := r.Pool.Query(ctx, `SELECT id, version FROM orders.orders WHERE id = ANY($1)`, orderIDs)
	if err != nil {
		return nil, readModelErr(err)
	}
	var id string
	var v int64
	_, err = pgx.ForEachRow(rows, []any{&id, &v}, func() error { out[id] = v; return nil })
	return out, readModelErr(err)
}

// Discounts implements app.Views.
func (r ReadModel) Discounts(ctx context.Context, p app.Resolved) ([]*orderingv1.Discount, int, error) {
	rows, err := r.Pool.Query(ctx, `SELECT code, percent_off, amount_off_minor, min_subtotal_minor, currency, starts_at, expires_at,
		max_redemptions, redemptions, created_at, count(*) OVER ()
		FROM orders.discounts ORDER BY created_at DESC, code LIMIT $1 OFFSET $2`, p.PerPage, p.Offset())
	if err != nil {
		return nil, 0, readModelErr(err)
	}
	items := []*orderingv1.Discount{}
	var (
		d                   orderingv1.Discount
		amountOff, minimum  int64
		currency            string
		startsAt, expiresAt *time.Time
		createdAt           time.Time
		total               int
	)
	_, err = pgx.ForEachRow(rows, []any{&d.Code, &d.PercentOff, &amountOff, &minimum, &currency, &startsAt, &expiresAt,
		&d.MaxRedemptions, &d.Redemptions, &createdAt, &total}, func() error {
		item := &orderingv1.Discount{Code: d.Code, PercentOff: d.PercentOff, MaxRedemptions: d.MaxRedemptions, Redemptions: d.Redemptions,
			AmountOff: moneyOf(amountOff, currency), MinSubtotal: moneyOf(minimum, currency),
			StartsAt: optionalStamp(startsAt), ExpiresAt: optionalStamp(expiresAt), CreatedAt: app.Timestamp(createdAt)}
		items = append(items, item)
		return nil
	})
	if err != nil {
		return nil, 0, readModelErr(err)
	}
	if len(items) == 0 {
		if err := r.Pool.QueryRow(ctx, `SELECT count(*) FROM orders.discounts`).Scan(&total); err != nil {
			return nil, 0, readModelErr(err)
		}
	}
	return items, total, nil
}

func optionalStamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return app.Timestamp(*t)
}

func moneyOf(minor int64, currency string) *typev1.Money {
	return &typev1.Money{Amount: money.Format(minor, currency), Currency: currency}
}

// Analytics implements app.Views, as API.md defines the figures: revenue is the totals of
// the orders that reached paid, less their refunds; orders_count those orders; the average
// rounded half up; every order by its current status; the top products by units of the paid
// orders that were neither cancelled nor returned, then by their line totals, then by id.
func (r ReadModel) Analytics(ctx context.Context, from, to time.Time) (*orderingv1.Analytics, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT coalesce(sum(total_minor - refunded_minor), 0)::bigint, count(*) FROM orders.orders
		WHERE created_at >= $1 AND created_at < $2 AND reached_paid`, from, to)
	b.Queue(`SELECT status, count(*) FROM orders.orders WHERE created_at >= $1 AND created_at < $2 GROUP BY status`, from, to)
	b.Queue(`SELECT l.product_id, (array_agg(l.name ORDER BY o.created_at DESC))[1], sum(l.quantity)::bigint, sum(l.line_total_minor)::bigint
		FROM orders.order_lines l JOIN orders.orders o ON o.id = l.order_id
		WHERE o.created_at >= $1 AND o.created_at < $2 AND o.reached_paid AND o.status NOT IN ('cancelled', 'returned')
		GROUP BY l.product_id ORDER BY 3 DESC, 4 DESC, 1 LIMIT 10`, from, to)
	br := r.Pool.SendBatch(ctx, b)
	defer br.Close()

	cur := r.Currency
	var revenue int64
	var count int32
	if err := br.QueryRow().Scan(&revenue, &count); err != nil {
		return nil, readModelErr(err)
	}
	out := &orderingv1.Analytics{Revenue: moneyOf(revenue, cur), OrdersCount: count, AverageOrderValue: moneyOf(0, cur),
		OrdersByStatus: map[string]int32{}, TopProducts: []*orderingv1.ProductSales{},
		From: app.Timestamp(from), To: app.Timestamp(to)}
	if count > 0 {
		out.AverageOrderValue = moneyOf(divideHalfUp(revenue, int64(count)), cur)
	}
	for _, s := range domain.Statuses {
		out.OrdersByStatus[string(s)] = 0
	}
	rows, err := br.Query()
	if err != nil {
		return nil, readModelErr(err)
	}
	var status string
	var n int32
	if _, err := pgx.ForEachRow(rows, []any{&status, &n}, func() error { out.OrdersByStatus[status] = n; return nil }); err != nil {
		return nil, readModelErr(err)
	}
	rows, err = br.Query()
	if err != nil {
		return nil, readModelErr(err)
	}
	var (
		id, name      string
		units, amount int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &name, &units, &amount}, func() error {
		out.TopProducts = append(out.TopProducts, &orderingv1.ProductSales{ProductId: id, Name: name, Units: int32(units), Revenue: moneyOf(amount, cur)})
		return nil
	}); err != nil {
		return nil, readModelErr(err)
	}
	return out, nil
}

// divideHalfUp divides non-negative n by d > 0, rounding half up (negative n: half away
// from zero).
func divideHalfUp(n, d int64) int64 {
	if n < 0 {
		return -divideHalfUp(-n, d)
	}
	return (2*n + d) / (2 * d)
}

// readModelErr makes a missing read model (the projector has not built it yet) unavailable.
func readModelErr(err error) error {
	if err == nil {
		return nil
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (pg.Code == "42P01" || pg.Code == "3F000") {
		return fmt.Errorf("%w: the orders read model is being built; retry shortly (%v)", errs.Unavailable, err)
	}
	return err
}

// Index is the event store's index of each customer's orders: the claims OrderPlaced takes
// (app.CustomerClaimScope), strongly consistent with the order streams.
type Index struct {
	Pool   *pgxpool.Pool
	Schema string
}

var _ app.OrderIndex = Index{}

// CustomerOrders implements app.OrderIndex.
func (i Index) CustomerOrders(ctx context.Context, userID string) (map[string]int64, error) {
	claims, events := pgx.Identifier{i.Schema, "claims"}.Sanitize(), pgx.Identifier{i.Schema, "events"}.Sanitize()
	rows, err := i.Pool.Query(ctx, `SELECT c.value, (SELECT coalesce(max(e.stream_version), 0) FROM `+events+` e
		WHERE e.stream_id = 'order-' || c.value) FROM `+claims+` c WHERE c.scope = $1`, app.CustomerClaimScope(userID))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	var id string
	var v int64
	_, err = pgx.ForEachRow(rows, []any{&id, &v}, func() error { out[id] = v; return nil })
	return out, err
}
