// Package ports serves the payments use cases over gRPC (internal only: the checkout saga
// calls them), translating requests and payments, nothing more. Errors pass through
// unchanged; the platform interceptor (grpcx) maps them to status codes.
package ports

import (
	"context"
	"time"

	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
	"github.com/storefront/storefront/services/payments/internal/app"
	"github.com/storefront/storefront/services/payments/internal/domain"
)

// GRPC implements paymentsv1.PaymentServiceServer.
type GRPC struct {
	paymentsv1.UnimplementedPaymentServiceServer
	App *app.App
}

// RequestPayment implements paymentsv1.PaymentServiceServer.
func (s GRPC) RequestPayment(ctx context.Context, r *paymentsv1.RequestPaymentRequest) (*paymentsv1.Payment, error) {
	p, err := s.App.RequestPayment(ctx, r.GetOrderId(), domain.Request{UserID: r.GetUserId(), Method: r.GetPaymentMethod(),
		Currency: r.GetCurrency(), Description: r.GetDescription(), AmountMinor: r.GetAmountMinor()})
	if err != nil {
		return nil, err
	}
	return Payment(p), nil
}

// CapturePayment implements paymentsv1.PaymentServiceServer. Stripe payments are captured
// when confirmed, so a Stripe payment is answered as it is.
func (s GRPC) CapturePayment(ctx context.Context, r *paymentsv1.CapturePaymentRequest) (*paymentsv1.Payment, error) {
	p, err := s.App.CapturePayment(ctx, r.GetOrderId())
	if err != nil {
		return nil, err
	}
	return Payment(p), nil
}

// RefundPayment implements paymentsv1.PaymentServiceServer.
func (s GRPC) RefundPayment(ctx context.Context, r *paymentsv1.RefundPaymentRequest) (*paymentsv1.Payment, error) {
	p, err := s.App.RefundPayment(ctx, r.GetOrderId(), r.GetRefundId(), r.GetAmountMinor(), r.GetReason())
	if err != nil {
		return nil, err
	}
	return Payment(p), nil
}

// ExpirePayment implements paymentsv1.PaymentServiceServer.
func (s GRPC) ExpirePayment(ctx context.Context, r *paymentsv1.ExpirePaymentRequest) (*paymentsv1.Payment, error) {
	p, err := s.App.ExpirePayment(ctx, r.GetOrderId())
	if err != nil {
		return nil, err
	}
	return Payment(p), nil
}

// GetPayment implements paymentsv1.PaymentServiceServer.
func (s GRPC) GetPayment(ctx context.Context, r *paymentsv1.GetPaymentRequest) (*paymentsv1.Payment, error) {
	p, err := s.App.GetPayment(ctx, r.GetOrderId())
	if err != nil {
		return nil, err
	}
	return Payment(p), nil
}

// Payment is a payment as the contract shows it.
func Payment(p *domain.Payment) *paymentsv1.Payment {
	out := &paymentsv1.Payment{OrderId: p.OrderID(), AmountMinor: p.AmountMinor(), Currency: p.Currency(), ProviderRef: p.ProviderRef(),
		DeclineCode: p.DeclineCode(), RefundedMinor: p.RefundedMinor(), UpdatedAt: p.UpdatedAt().UTC().Format(time.RFC3339)}
	switch p.Provider() {
	case domain.ProviderStripe:
		out.Provider = paymentsv1.Provider_PROVIDER_STRIPE
	case domain.ProviderPayPal:
		out.Provider = paymentsv1.Provider_PROVIDER_PAYPAL
	}
	switch st := p.Status(); {
	case st == domain.StatusRequested:
		out.Status = paymentsv1.PaymentStatus_PAYMENT_STATUS_PENDING
	case st == domain.StatusActionRequired && p.Provider() == domain.ProviderPayPal:
		// PayPal: the buyer approves at the payer-action link, then the order is captured.
		out.Status = paymentsv1.PaymentStatus_PAYMENT_STATUS_PENDING
		out.ApprovalUrl = p.ActionURL()
	case st == domain.StatusActionRequired:
		out.Status = paymentsv1.PaymentStatus_PAYMENT_STATUS_ACTION_REQUIRED
		out.NextActionUrl = p.ActionURL()
	case st == domain.StatusSucceeded:
		out.Status = paymentsv1.PaymentStatus_PAYMENT_STATUS_SUCCEEDED
	case st == domain.StatusDeclined:
		out.Status = paymentsv1.PaymentStatus_PAYMENT_STATUS_DECLINED
	case st == domain.StatusExpired:
		out.Status = paymentsv1.PaymentStatus_PAYMENT_STATUS_EXPIRED
	}
	for _, r := range p.Refunds() {
		out.Refunds = append(out.Refunds, &paymentsv1.Refund{RefundId: r.ID, AmountMinor: r.AmountMinor, Status: r.Status, ProviderRef: r.ProviderRef})
	}
	return out
}

// HandleWebhook implements paymentsv1.PaymentServiceServer.
func (s GRPC) HandleWebhook(ctx context.Context, r *paymentsv1.HandleWebhookRequest) (*paymentsv1.HandleWebhookResponse, error) {
	provider := ""
	switch r.GetProvider() {
	case paymentsv1.Provider_PROVIDER_STRIPE:
		provider = domain.ProviderStripe
	case paymentsv1.Provider_PROVIDER_PAYPAL:
		provider = domain.ProviderPayPal
	}
	id, recorded, err := s.App.HandleWebhook(ctx, provider, r.GetPayload(), r.GetHeaders())
	if err != nil {
		return nil, err
	}
	return &paymentsv1.HandleWebhookResponse{EventId: id, Recorded: recorded}, nil
}
