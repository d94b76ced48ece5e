package ports

import (
	"context"
	"fmt"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/reaction"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
	"github.com/storefront/storefront/services/ordering/internal/app"
)

// SagaName names the checkout saga's durable consumer and dead letters.
const SagaName = "checkout"

// Saga returns the runner of the checkout saga: the reaction to the ordering context's own
// events (bus names its JetStream stream: "ordering", or a test's prefixed one) and the
// saga's timers.
// concurrency is how many orders one process moves at once (each order's events one after
// the other).
// paymentsBus names the payments context's stream, whose asynchronous outcomes (a later
// success or failure, a refund at the provider) move orders too.
func Saga(cfg reaction.Config, a *app.App, registry *events.Registry, bus, paymentsBus string, concurrency int) (*reaction.Runner, error) {
	payments := events.NewRegistry().Register(paymentsv1.Events()...)
	r, err := reaction.New(cfg, reaction.Reaction{Name: SagaName, Context: bus, Types: registry.Types(), Concurrency: concurrency,
		Handle: func(ctx context.Context, ev es.RecordedEvent) error {
			m, err := registry.Decode(ev)
			if err != nil {
				return fmt.Errorf("%w: %v", reaction.ErrPermanent, err)
			}
			return a.OnEvent(ctx, m)
		}}, reaction.Reaction{Name: "payment_outcomes", Context: paymentsBus, Concurrency: concurrency,
		Types: events.TypeNames(&paymentsv1.PaymentProcessed{}, &paymentsv1.PaymentDeclined{}, &paymentsv1.RefundIssued{}),
		Handle: func(ctx context.Context, ev es.RecordedEvent) error {
			m, err := payments.Decode(ev)
			if err != nil {
				return fmt.Errorf("%w: %v", reaction.ErrPermanent, err)
			}
			return a.OnPaymentEvent(ctx, m)
		}})
	if err != nil {
		return nil, err
	}
	for _, kind := range []string{app.TimerCheckoutDeadline, app.TimerPlacementCheck} {
		r.HandleTimers(kind, func(ctx context.Context, t reaction.Timer) error {
			return a.OnTimer(ctx, t.Kind, t.Key, t.Payload)
		})
	}
	return r, nil
}
