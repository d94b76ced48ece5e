package adapters

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/platform/errs"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
	"github.com/storefront/storefront/services/ordering/internal/app"
	"github.com/storefront/storefront/services/ordering/internal/domain"
)

// Cart is the cart service.
type Cart struct{ Client cartv1.CartServiceClient }

var _ app.Carts = Cart{}

// CheckoutCart implements app.Carts. The cart's refusals (empty, deleted product, short
// stock) pass through as its gRPC status: failed_precondition, naming the product.
func (c Cart) CheckoutCart(ctx context.Context, userID string) (app.CheckoutCart, error) {
	res, err := c.Client.GetCheckoutCart(ctx, &cartv1.GetCheckoutCartRequest{UserId: userID})
	if err != nil {
		return app.CheckoutCart{}, err
	}
	out := app.CheckoutCart{SubtotalMinor: res.GetSubtotalMinor(), Currency: res.GetCurrency(), Version: res.GetVersion()}
	for _, l := range res.GetLines() {
		out.Lines = append(out.Lines, app.CheckoutLine{ItemID: l.GetItemId(), ProductID: l.GetProductId(), SKU: l.GetSku(),
			Name: l.GetName(), Quantity: l.GetQuantity(), UnitPriceMinor: l.GetUnitPriceMinor()})
	}
	return out, nil
}

// CheckOut implements app.Carts.
func (c Cart) CheckOut(ctx context.Context, userID, orderID string, lines []domain.Line) error {
	pb := make([]*cartv1.CheckoutLine, len(lines))
	for i, l := range lines {
		pb[i] = &cartv1.CheckoutLine{ItemId: l.CartItemID, ProductId: l.ProductID, Sku: l.SKU, Name: l.Name,
			Quantity: l.Quantity, UnitPriceMinor: l.UnitPriceMinor}
	}
	_, err := c.Client.MarkCheckedOut(ctx, &cartv1.MarkCheckedOutRequest{UserId: userID, OrderId: orderID, Lines: pb})
	return err
}

// Catalog is the catalog service's stock reservations.
type Catalog struct {
	Client catalogv1.CatalogServiceClient
}

var _ app.Stock = Catalog{}

// Reserve implements app.Stock: failed_precondition is the catalog's refusal.
func (c Catalog) Reserve(ctx context.Context, orderID string, lines []domain.Line) error {
	items := make([]*catalogv1.ReservationItem, len(lines))
	for i, l := range lines {
		items[i] = &catalogv1.ReservationItem{ProductId: l.ProductID, Quantity: l.Quantity}
	}
	_, err := c.Client.ReserveStock(ctx, &catalogv1.ReserveStockRequest{OrderId: orderID, Items: items})
	if status.Code(err) == codes.FailedPrecondition {
		return &app.StockRefusal{Reason: status.Convert(err).Message()}
	}
	return err
}

// Release implements app.Stock.
func (c Catalog) Release(ctx context.Context, orderID string) error {
	_, err := c.Client.ReleaseReservation(ctx, &catalogv1.ReleaseReservationRequest{OrderId: orderID})
	return err
}

// Commit implements app.Stock.
func (c Catalog) Commit(ctx context.Context, orderID string) error {
	_, err := c.Client.CommitReservation(ctx, &catalogv1.CommitReservationRequest{OrderId: orderID})
	return err
}

// Restock implements app.Stock.
func (c Catalog) Restock(ctx context.Context, orderID string) error {
	_, err := c.Client.RestockReservation(ctx, &catalogv1.RestockReservationRequest{OrderId: orderID})
	return err
}

// Payments is the payments service.
type Payments struct {
	Client paymentsv1.PaymentServiceClient
}

var _ app.Payments = Payments{}

// Request implements app.Payments.
func (p Payments) Request(ctx context.Context, r app.PaymentRequest) (app.PaymentOutcome, error) {
	res, err := p.Client.RequestPayment(ctx, &paymentsv1.RequestPaymentRequest{OrderId: r.OrderID, UserId: r.UserID,
		AmountMinor: r.AmountMinor, Currency: r.Currency, PaymentMethod: r.Method, Description: r.Description})
	if err != nil {
		return app.PaymentOutcome{}, err
	}
	return outcome(res)
}

// Expire implements app.Payments. A payment that succeeded before it could be given up is
// answered as it is (the contract of ExpirePayment).
func (p Payments) Expire(ctx context.Context, orderID string) (app.PaymentOutcome, error) {
	res, err := p.Client.ExpirePayment(ctx, &paymentsv1.ExpirePaymentRequest{OrderId: orderID})
	if err != nil {
		return app.PaymentOutcome{}, err
	}
	return outcome(res)
}

// Capture implements app.Payments.
func (p Payments) Capture(ctx context.Context, orderID string) (app.PaymentOutcome, error) {
	res, err := p.Client.CapturePayment(ctx, &paymentsv1.CapturePaymentRequest{OrderId: orderID})
	if err != nil {
		return app.PaymentOutcome{}, err
	}
	return outcome(res)
}

// Refund implements app.Payments.
func (p Payments) Refund(ctx context.Context, orderID, refundID string, amountMinor int64, reason string) (string, error) {
	res, err := p.Client.RefundPayment(ctx, &paymentsv1.RefundPaymentRequest{OrderId: orderID, RefundId: refundID,
		AmountMinor: amountMinor, Reason: reason})
	if err != nil {
		return "", err
	}
	for _, r := range res.GetRefunds() {
		if r.GetRefundId() == refundID {
			if r.GetStatus() == "failed" {
				return "", fmt.Errorf("refund %s of order %s failed at the provider", refundID, orderID)
			}
			return r.GetProviderRef(), nil
		}
	}
	return "", fmt.Errorf("refund %s of order %s missing from the payment", refundID, orderID)
}

func outcome(p *paymentsv1.Payment) (app.PaymentOutcome, error) {
	out := app.PaymentOutcome{ProviderRef: p.GetProviderRef(), DeclineCode: p.GetDeclineCode(), AmountMinor: p.GetAmountMinor()}
	switch p.GetStatus() {
	case paymentsv1.PaymentStatus_PAYMENT_STATUS_PENDING:
		out.Status, out.ActionURL = app.PaymentPending, p.GetApprovalUrl()
	case paymentsv1.PaymentStatus_PAYMENT_STATUS_ACTION_REQUIRED:
		out.Status, out.ActionURL = app.PaymentActionRequired, p.GetNextActionUrl()
	case paymentsv1.PaymentStatus_PAYMENT_STATUS_SUCCEEDED:
		out.Status = app.PaymentSucceeded
	case paymentsv1.PaymentStatus_PAYMENT_STATUS_DECLINED:
		out.Status = app.PaymentDeclined
	case paymentsv1.PaymentStatus_PAYMENT_STATUS_EXPIRED:
		out.Status = app.PaymentExpired
	default:
		return out, fmt.Errorf("payment of order %s has no status", p.GetOrderId())
	}
	return out, nil
}

// Identity is the identity service's address book, read as the caller (the call carries
// the caller's identity, so only their own addresses are seen).
type Identity struct {
	Client identityv1.IdentityServiceClient
}

var _ app.Addresses = Identity{}

// Address implements app.Addresses.
func (i Identity) Address(ctx context.Context, addressID string) (domain.Address, error) {
	res, err := i.Client.ListAddresses(ctx, &identityv1.ListAddressesRequest{})
	if err != nil {
		return domain.Address{}, err
	}
	for _, a := range res.GetItems() {
		if a.GetId() == addressID {
			return domain.Address{ID: a.GetId(), Line1: a.GetLine1(), Line2: a.GetLine2(), City: a.GetCity(), State: a.GetState(),
				PostalCode: a.GetPostalCode(), Country: a.GetCountry()}, nil
		}
	}
	return domain.Address{}, fmt.Errorf("%w: address %s", errs.NotFound, addressID)
}
