// Package webhooks serves the payment providers' webhooks at the edge (API.md "Payment
// webhooks"): POST /webhooks/stripe and /webhooks/paypal pass the delivery, byte for byte
// with the headers that sign it, to the payments service, which verifies and records it. A
// delivery that is not the provider's answers 400; a failure of ours 503, so that the
// provider delivers it again.
package webhooks

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/gateway/internal/edge"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
)

// Handler serves the webhook routes.
type Handler struct {
	Payments paymentsv1.PaymentServiceClient
	Log      *slog.Logger
}

// maxBody bounds a delivery (Stripe's events are a few kB).
const maxBody = 512 << 10

// signed are the headers a provider signs a delivery with.
func signed(provider paymentsv1.Provider, h http.Header) map[string]string {
	names := []string{"Stripe-Signature"}
	if provider == paymentsv1.Provider_PROVIDER_PAYPAL {
		names = []string{"Paypal-Transmission-Id", "Paypal-Transmission-Time", "Paypal-Transmission-Sig", "Paypal-Cert-Url", "Paypal-Auth-Algo"}
	}
	out := map[string]string{}
	for _, n := range names {
		if v := h.Get(n); v != "" {
			out[strings.ToLower(n)] = v
		}
	}
	return out
}

// Register adds the routes to mux.
func (h Handler) Register(mux *http.ServeMux) {
	mux.Handle("POST /webhooks/stripe", h.route(paymentsv1.Provider_PROVIDER_STRIPE))
	mux.Handle("POST /webhooks/paypal", h.route(paymentsv1.Provider_PROVIDER_PAYPAL))
}

func (h Handler) route(provider paymentsv1.Provider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payload, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(payload) > maxBody {
			edge.WriteError(w, http.StatusBadRequest, edge.CodeInvalidArgument, "unreadable or too large delivery")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		res, err := h.Payments.HandleWebhook(ctx, &paymentsv1.HandleWebhookRequest{Provider: provider, Payload: payload, Headers: signed(provider, r.Header)})
		switch status.Code(err) {
		case codes.OK:
			edge.WriteJSON(w, http.StatusOK, map[string]any{"received": true, "event_id": res.GetEventId()})
		case codes.InvalidArgument:
			edge.WriteError(w, http.StatusBadRequest, edge.CodeInvalidArgument, "the delivery is not signed by the provider, or too old")
		default:
			h.Log.ErrorContext(r.Context(), "webhook not taken; the provider will deliver it again", "provider", provider.String(), "err", err)
			edge.WriteError(w, http.StatusServiceUnavailable, edge.CodeUnavailable, "try again later")
		}
	})
}
