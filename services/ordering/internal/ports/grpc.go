// Package ports serves the ordering use cases over gRPC: it translates protobuf requests
// into commands and queries and results back, nothing more. Errors pass through unchanged;
// the platform interceptor (grpcx) maps them to status codes.
package ports

import (
	"context"

	"google.golang.org/grpc/metadata"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/money"
	"github.com/storefront/storefront/platform/reqctx"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	typev1 "github.com/storefront/storefront/proto/storefront/type/v1"
	"github.com/storefront/storefront/services/ordering/internal/app"
	"github.com/storefront/storefront/services/ordering/internal/domain"
)

// MDIdempotencyKey is the metadata the edge forwards the Idempotency-Key header as.
const MDIdempotencyKey = "idempotency-key"

// GRPC implements orderingv1.OrderingServiceServer.
type GRPC struct {
	orderingv1.UnimplementedOrderingServiceServer
	App *app.App
	// Currency is the store's: money given without a currency is in it.
	Currency string
}

// PlaceOrder implements orderingv1.OrderingServiceServer.
func (s GRPC) PlaceOrder(ctx context.Context, r *orderingv1.PlaceOrderRequest) (*orderingv1.Order, error) {
	cmd := app.PlaceOrder{AddressID: r.GetAddressId(), DiscountCode: r.GetDiscountCode(), PaymentMethod: r.GetPaymentMethod()}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if keys := md.Get(MDIdempotencyKey); len(keys) > 0 {
			cmd.IdempotencyKey, cmd.HasKey = keys[0], true
		}
	}
	cmd.UserID = actorID(ctx)
	if a := r.GetShippingAddress(); a != nil {
		cmd.Address = &domain.Address{Line1: a.GetLine1(), Line2: a.GetLine2(), City: a.GetCity(), State: a.GetState(),
			PostalCode: a.GetPostalCode(), Country: a.GetCountry()}
	}
	o, _, err := s.App.PlaceOrder(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return app.View(o), nil
}

// ListOrders implements orderingv1.OrderingServiceServer.
func (s GRPC) ListOrders(ctx context.Context, r *orderingv1.ListOrdersRequest) (*orderingv1.ListOrdersResponse, error) {
	page, p, err := s.App.ListOrders(ctx, app.Page{Page: r.Page, PerPage: r.PerPage})
	if err != nil {
		return nil, err
	}
	return &orderingv1.ListOrdersResponse{Items: page.Items, Page: int32(p.Page), PerPage: int32(p.PerPage), Total: int32(page.Total)}, nil
}

// GetOrder implements orderingv1.OrderingServiceServer.
func (s GRPC) GetOrder(ctx context.Context, r *orderingv1.GetOrderRequest) (*orderingv1.Order, error) {
	o, err := s.App.GetOrder(ctx, r.GetId())
	if err != nil {
		return nil, err
	}
	return app.View(o), nil
}

// CancelOrder implements orderingv1.OrderingServiceServer.
func (s GRPC) CancelOrder(ctx context.Context, r *orderingv1.CancelOrderRequest) (*orderingv1.Order, error) {
	o, err := s.App.CancelOrder(ctx, r.GetId(), r.GetReason())
	if err != nil {
		return nil, err
	}
	return app.View(o), nil
}

// RequestReturn implements orderingv1.OrderingServiceServer.
func (s GRPC) RequestReturn(ctx context.Context, r *orderingv1.RequestReturnRequest) (*orderingv1.Order, error) {
	o, err := s.App.RequestReturn(ctx, r.GetId(), r.GetReason())
	if err != nil {
		return nil, err
	}
	return app.View(o), nil
}

// AdminListOrders implements orderingv1.OrderingServiceServer.
func (s GRPC) AdminListOrders(ctx context.Context, r *orderingv1.AdminListOrdersRequest) (*orderingv1.ListOrdersResponse, error) {
	page, p, err := s.App.AdminListOrders(ctx, r.GetStatus(), app.Page{Page: r.Page, PerPage: r.PerPage})
	if err != nil {
		return nil, err
	}
	return &orderingv1.ListOrdersResponse{Items: page.Items, Page: int32(p.Page), PerPage: int32(p.PerPage), Total: int32(page.Total)}, nil
}

// AdminSetOrderStatus implements orderingv1.OrderingServiceServer.
func (s GRPC) AdminSetOrderStatus(ctx context.Context, r *orderingv1.AdminSetOrderStatusRequest) (*orderingv1.Order, error) {
	o, err := s.App.SetStatus(ctx, r.GetId(), r.GetStatus())
	if err != nil {
		return nil, err
	}
	return app.View(o), nil
}

// CreateDiscount implements orderingv1.OrderingServiceServer.
func (s GRPC) CreateDiscount(ctx context.Context, r *orderingv1.CreateDiscountRequest) (*orderingv1.Discount, error) {
	var v errs.Validation
	t := domain.DiscountTerms{Code: r.GetCode(), PercentOff: r.GetPercentOff(), MaxRedemptions: r.GetMaxRedemptions()}
	if r.PercentOff != nil && r.GetPercentOff() == 0 {
		v.Add("percent_off", "must be from 1 to 100")
	}
	if r.AmountOff != nil {
		t.AmountOffMinor = s.amount(&v, "amount_off", r.GetAmountOff())
		if t.AmountOffMinor == 0 {
			v.Add("amount_off", "must be greater than 0")
		}
	}
	if r.MinSubtotal != nil {
		t.MinSubtotal = s.amount(&v, "min_subtotal", r.GetMinSubtotal())
	}
	t.StartsAt = app.ParseTime(&v, "starts_at", r.GetStartsAt())
	t.ExpiresAt = app.ParseTime(&v, "expires_at", r.GetExpiresAt())
	if err := v.Err(); err != nil {
		return nil, err
	}
	d, err := s.App.CreateDiscount(ctx, t)
	if err != nil {
		return nil, err
	}
	return app.DiscountView(d), nil
}

// ListDiscounts implements orderingv1.OrderingServiceServer.
func (s GRPC) ListDiscounts(ctx context.Context, r *orderingv1.ListDiscountsRequest) (*orderingv1.ListDiscountsResponse, error) {
	items, total, p, err := s.App.ListDiscounts(ctx, app.Page{Page: r.Page, PerPage: r.PerPage})
	if err != nil {
		return nil, err
	}
	return &orderingv1.ListDiscountsResponse{Items: items, Page: int32(p.Page), PerPage: int32(p.PerPage), Total: int32(total)}, nil
}

// GetAnalytics implements orderingv1.OrderingServiceServer.
func (s GRPC) GetAnalytics(ctx context.Context, r *orderingv1.GetAnalyticsRequest) (*orderingv1.Analytics, error) {
	return s.App.Analytics(ctx, r.GetFrom(), r.GetTo())
}

func (s GRPC) amount(v *errs.Validation, field string, m *typev1.Money) int64 {
	cur := m.GetCurrency()
	if cur == "" {
		cur = s.Currency
	}
	if cur != s.Currency {
		v.Add(field+".currency", "must be the store's currency, "+s.Currency)
		return 0
	}
	n, err := money.Parse(m.GetAmount(), cur)
	if err != nil {
		v.Add(field+".amount", err.Error())
	}
	return n
}

func actorID(ctx context.Context) string { return reqctx.From(ctx).Actor.UserID }

// CapturePayment implements orderingv1.OrderingServiceServer.
func (s GRPC) CapturePayment(ctx context.Context, r *orderingv1.CapturePaymentRequest) (*orderingv1.Order, error) {
	o, err := s.App.CapturePayment(ctx, r.GetId())
	if err != nil {
		return nil, err
	}
	return app.View(o), nil
}
