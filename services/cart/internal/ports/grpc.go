// Package ports serves the cart use cases over gRPC: it translates protobuf requests into
// commands and queries and results back, nothing more. Errors pass through unchanged; the
// platform interceptor (grpcx) maps them to status codes.
package ports

import (
	"context"
	"net/http"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/money"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
	typev1 "github.com/storefront/storefront/proto/storefront/type/v1"
	"github.com/storefront/storefront/services/cart/internal/app"
	"github.com/storefront/storefront/services/cart/internal/domain"
)

// GRPC implements cartv1.CartServiceServer.
type GRPC struct {
	cartv1.UnimplementedCartServiceServer
	App app.Application
}

// GetCart implements cartv1.CartServiceServer.
func (s GRPC) GetCart(ctx context.Context, _ *cartv1.GetCartRequest) (*cartv1.Cart, error) {
	c, err := s.App.Queries.GetCart.Handle(ctx, app.GetCart{})
	if err != nil {
		return nil, err
	}
	return Cart(c), nil
}

// AddCartItem implements cartv1.CartServiceServer.
func (s GRPC) AddCartItem(ctx context.Context, r *cartv1.AddCartItemRequest) (*cartv1.Cart, error) {
	c, err := s.App.Commands.AddCartItem.Handle(ctx, app.AddCartItem{ProductID: r.GetProductId(), Quantity: r.Quantity})
	if err != nil {
		return nil, err
	}
	return Cart(c), nil
}

// UpdateCartItem implements cartv1.CartServiceServer.
func (s GRPC) UpdateCartItem(ctx context.Context, r *cartv1.UpdateCartItemRequest) (*cartv1.Cart, error) {
	c, err := s.App.Commands.UpdateCartItem.Handle(ctx, app.UpdateCartItem{ItemID: r.GetId(), Quantity: r.GetQuantity()})
	if err != nil {
		return nil, err
	}
	return Cart(c), nil
}

// RemoveCartItem implements cartv1.CartServiceServer.
func (s GRPC) RemoveCartItem(ctx context.Context, r *cartv1.RemoveCartItemRequest) (*emptypb.Empty, error) {
	if err := s.App.Commands.RemoveCartItem.Handle(ctx, app.RemoveCartItem{ItemID: r.GetId()}); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// ClearCart implements cartv1.CartServiceServer.
func (s GRPC) ClearCart(ctx context.Context, _ *cartv1.ClearCartRequest) (*emptypb.Empty, error) {
	if err := s.App.Commands.ClearCart.Handle(ctx, app.ClearCart{}); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// ListWishlist implements cartv1.CartServiceServer.
func (s GRPC) ListWishlist(ctx context.Context, _ *cartv1.ListWishlistRequest) (*cartv1.ListWishlistResponse, error) {
	items, err := s.App.Queries.ListWishlist.Handle(ctx, app.ListWishlist{})
	if err != nil {
		return nil, err
	}
	out := &cartv1.ListWishlistResponse{Items: make([]*cartv1.WishlistItem, len(items)), Total: int32(len(items))}
	for i, it := range items {
		out.Items[i] = wishlistItem(it)
	}
	return out, nil
}

// AddWishlistItem implements cartv1.CartServiceServer: 201 with a new item, 200 with the
// item that was there already.
func (s GRPC) AddWishlistItem(ctx context.Context, r *cartv1.AddWishlistItemRequest) (*cartv1.WishlistItem, error) {
	it, added, err := s.App.Commands.AddWishlistItem.Handle(ctx, app.AddWishlistItem{ProductID: r.GetProductId()})
	if err != nil {
		return nil, err
	}
	if !added {
		if err := grpcx.SetHTTPStatus(ctx, http.StatusOK); err != nil {
			return nil, err
		}
	}
	return wishlistItem(it), nil
}

// RemoveWishlistItem implements cartv1.CartServiceServer.
func (s GRPC) RemoveWishlistItem(ctx context.Context, r *cartv1.RemoveWishlistItemRequest) (*emptypb.Empty, error) {
	if err := s.App.Commands.RemoveWishlistItem.Handle(ctx, app.RemoveWishlistItem{ItemID: r.GetId()}); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// GetCheckoutCart implements cartv1.CartServiceServer.
func (s GRPC) GetCheckoutCart(ctx context.Context, r *cartv1.GetCheckoutCartRequest) (*cartv1.CheckoutCart, error) {
	c, err := s.App.Queries.GetCheckoutCart.Handle(ctx, app.GetCheckoutCart{UserID: r.GetUserId()})
	if err != nil {
		return nil, err
	}
	out := &cartv1.CheckoutCart{UserId: c.UserID, SubtotalMinor: c.SubtotalMinor, Currency: c.Currency, Version: c.Version}
	for _, l := range c.Lines {
		out.Lines = append(out.Lines, &cartv1.CheckoutLine{ItemId: l.ItemID, ProductId: l.ProductID, Sku: l.SKU, Name: l.Name,
			Quantity: l.Quantity, UnitPriceMinor: l.UnitPriceMinor, Currency: c.Currency})
	}
	return out, nil
}

// MarkCheckedOut implements cartv1.CartServiceServer.
func (s GRPC) MarkCheckedOut(ctx context.Context, r *cartv1.MarkCheckedOutRequest) (*cartv1.MarkCheckedOutResponse, error) {
	lines := make([]domain.OrderedLine, len(r.GetLines()))
	for i, l := range r.GetLines() {
		lines[i] = domain.OrderedLine{ItemID: l.GetItemId(), ProductID: l.GetProductId(), Quantity: l.GetQuantity()}
	}
	changed, err := s.App.Commands.MarkCheckedOut.Handle(ctx, app.MarkCheckedOut{UserID: r.GetUserId(), OrderID: r.GetOrderId(), Lines: lines})
	if err != nil {
		return nil, err
	}
	return &cartv1.MarkCheckedOutResponse{Changed: changed}, nil
}

// Cart is the API's view of a priced cart.
func Cart(c domain.PricedCart) *cartv1.Cart {
	out := &cartv1.Cart{Id: c.ID, Items: make([]*cartv1.CartItem, len(c.Lines)), ItemCount: c.ItemCount,
		Subtotal: price(c.SubtotalMinor, c.Currency)}
	for i, l := range c.Lines {
		out.Items[i] = &cartv1.CartItem{Id: l.ItemID, ProductId: l.ProductID, Sku: l.SKU, Name: l.Name,
			UnitPrice: price(l.UnitPriceMinor, c.Currency), Quantity: l.Quantity, LineTotal: price(l.LineTotalMinor, c.Currency),
			Available: l.Available, Stock: l.Stock}
	}
	return out
}

func wishlistItem(it app.PricedWishlistItem) *cartv1.WishlistItem {
	return &cartv1.WishlistItem{Id: it.ItemID, ProductId: it.ProductID, Name: it.Name, Price: price(it.PriceMinor, it.Currency),
		AddedAt: it.AddedAt.UTC().Format(time.RFC3339), Available: it.Available}
}

func price(minor int64, currency string) *typev1.Money {
	return &typev1.Money{Amount: money.Format(minor, currency), Currency: currency}
}
