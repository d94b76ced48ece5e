package ports

import (
	"context"
	"fmt"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/reaction"
	"github.com/storefront/storefront/services/ordering/internal/app"
)

// SagaName names the checkout saga's durable consumer and dead letters.
const SagaName = "checkout"

// Saga returns the runner of the checkout saga: the reaction to the ordering context's own
// events (bus names its JetStream stream: "ordering", or a test's prefixed one) and the
// saga's timers.
// concurrency is how many orders one process moves at once (each order's events one after
// the other).
func Saga(cfg reaction.Config, a *app.App, registry *events.Registry, bus string, concurrency int) (*reaction.Runner, error) {
	r, err := reaction.New(cfg, reaction.Reaction{Name: SagaName, Context: bus, Types: registry.Types(), Concurrency: concurrency,
		Handle: func(ctx context.Context, ev es.RecordedEvent) error {
			m, err := registry.Decode(ev)
			if err != nil {
				return fmt.Errorf("%w: %v", reaction.ErrPermanent, err)
			}
			return a.OnEvent(ctx, m)
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
