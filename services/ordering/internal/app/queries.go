package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/paging"
	"github.com/storefront/storefront/platform/reqctx"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	"github.com/storefront/storefront/services/ordering/internal/domain"
)

// Paging bounds (API.md "Lists").
const (
	DefaultPerPage = paging.DefaultPerPage
	MaxPerPage     = paging.MaxPerPage
)

// Page is a requested page; nil fields take the defaults.
type Page = paging.Request

// Resolved is a checked page.
type Resolved = paging.Page

// OrderPage is a page of orders as the read model holds them.
type OrderPage struct {
	Items []*orderingv1.Order
	Total int
}

// Views are the ordering context's read models (projections/ordering).
type Views interface {
	// CustomerOrders returns a page of the customer's orders, newest first.
	CustomerOrders(ctx context.Context, userID string, p Resolved) (OrderPage, error)
	// Versions returns the versions the read model holds of the orders with the ids.
	Versions(ctx context.Context, orderIDs []string) (map[string]int64, error)
	// AdminOrders returns a page of every customer's orders, newest first, of one status
	// (every status when empty).
	AdminOrders(ctx context.Context, status string, p Resolved) (OrderPage, error)
	// Discounts returns a page of the discount codes, newest first.
	Discounts(ctx context.Context, p Resolved) ([]*orderingv1.Discount, int, error)
	// Analytics returns the figures of the orders created in [from, to).
	Analytics(ctx context.Context, from, to time.Time) (*orderingv1.Analytics, error)
}

// OrderIndex is the event store's own, strongly consistent index of a customer's orders.
type OrderIndex interface {
	// CustomerOrders returns the customer's order ids and their streams' versions.
	CustomerOrders(ctx context.Context, userID string) (map[string]int64, error)
}

// ListOrders returns a page of the caller's orders, newest first, read-your-writes: the read
// model's page is taken once it holds every change of the caller's orders that the event
// store holds; if it does not catch up within ReadYourWritesWait (the projector is down or
// far behind) or is not built yet, the page is built from the event store.
func (a *App) ListOrders(ctx context.Context, p Page) (OrderPage, Resolved, error) {
	var v errs.Validation
	r := p.Resolve(&v)
	if err := v.Err(); err != nil {
		return OrderPage{}, r, err
	}
	userID := reqctx.From(ctx).Actor.UserID
	if userID == "" {
		return OrderPage{}, r, errs.Unauthenticated
	}
	want, err := a.d.Index.CustomerOrders(ctx, userID)
	if err != nil {
		return OrderPage{}, r, err
	}
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	deadline := time.Now().Add(a.d.ReadYourWritesWait)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		have, err := a.d.Views.Versions(ctx, ids)
		if errors.Is(err, errs.Unavailable) {
			break // not built yet: the event store answers
		}
		if err != nil {
			return OrderPage{}, r, err
		}
		if caughtUp(want, have) {
			page, err := a.d.Views.CustomerOrders(ctx, userID, r)
			return page, r, err
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return OrderPage{}, r, ctx.Err()
		case <-time.After(wait):
		}
	}
	a.d.Log.WarnContext(ctx, "the orders read model lags; answering from the event store", "user_id", userID)
	page, err := a.ordersFromStore(ctx, ids, r)
	return page, r, err
}

func caughtUp(want, have map[string]int64) bool {
	for id, v := range want {
		if have[id] < v {
			return false
		}
	}
	return true
}

// ordersFromStore builds a page of orders from their streams.
func (a *App) ordersFromStore(ctx context.Context, ids []string, r Resolved) (OrderPage, error) {
	orders := make([]*domain.Order, 0, len(ids))
	for _, id := range ids {
		o, err := a.order(ctx, id)
		if errors.Is(err, domain.ErrOrderNotFound) {
			continue
		}
		if err != nil {
			return OrderPage{}, err
		}
		orders = append(orders, o)
	}
	slices.SortFunc(orders, func(x, y *domain.Order) int {
		if c := y.CreatedAt().Compare(x.CreatedAt()); c != 0 {
			return c
		}
		return strings.Compare(y.ID(), x.ID())
	})
	page := OrderPage{Total: len(orders), Items: []*orderingv1.Order{}}
	for i := r.Offset(); i < len(orders) && i < r.Offset()+r.PerPage; i++ {
		page.Items = append(page.Items, View(orders[i]))
	}
	return page, nil
}

// AdminListOrders returns a page of every customer's orders (eventually consistent).
func (a *App) AdminListOrders(ctx context.Context, status string, p Page) (OrderPage, Resolved, error) {
	var v errs.Validation
	r := p.Resolve(&v)
	if status != "" {
		if _, err := domain.ParseStatus("status", status); err != nil {
			v.Add("status", "must be one of pending, paid, shipped, delivered, cancelled, return_requested, returned")
		}
	}
	if err := v.Err(); err != nil {
		return OrderPage{}, r, err
	}
	page, err := a.d.Views.AdminOrders(ctx, status, r)
	return page, r, err
}

// ListDiscounts returns a page of the discount codes.
func (a *App) ListDiscounts(ctx context.Context, p Page) ([]*orderingv1.Discount, int, Resolved, error) {
	var v errs.Validation
	r := p.Resolve(&v)
	if err := v.Err(); err != nil {
		return nil, 0, r, err
	}
	items, total, err := a.d.Views.Discounts(ctx, r)
	return items, total, r, err
}

// MaxAnalyticsRange bounds the range of one analytics query.
const MaxAnalyticsRange = 5 * 366 * 24 * time.Hour

// Analytics returns the sales figures of the orders created in [from, to): to defaults to
// now, from to to − 30 days.
func (a *App) Analytics(ctx context.Context, fromText, toText string) (*orderingv1.Analytics, error) {
	var v errs.Validation
	from, to := ParseTime(&v, "from", fromText), ParseTime(&v, "to", toText)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if to.IsZero() {
		to = a.now()
	}
	if from.IsZero() {
		from = to.Add(-30 * 24 * time.Hour)
	}
	switch {
	case !from.Before(to):
		return nil, errs.Field("from", "must be before to")
	case to.Sub(from) > MaxAnalyticsRange:
		return nil, errs.Field("from", fmt.Sprintf("the range may span at most %d days", int(MaxAnalyticsRange.Hours()/24)))
	}
	return a.d.Views.Analytics(ctx, from, to)
}

// ParseTime reads an optional RFC 3339 time of a request ("" is the zero time), recording a
// malformed one in v.
func ParseTime(v *errs.Validation, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		v.Add(field, "must be an RFC 3339 time, e.g. 2026-11-24T10:00:00Z")
	}
	return t.UTC()
}
