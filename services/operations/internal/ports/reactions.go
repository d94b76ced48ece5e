package ports

import (
	"context"
	"fmt"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/reaction"
	"github.com/storefront/storefront/services/operations/internal/app"
)

// Reactions returns the runner that hands the context's own recorded requests over to the
// processes that carry them out (app.HandOver), from the operations stream of JetStream: a
// request is recorded first (the audit, the truth), then handed over at least once.
func Reactions(cfg reaction.Config, a *app.App, registry *events.Registry, boundedContext string) (*reaction.Runner, error) {
	return reaction.New(cfg, reaction.Reaction{
		Name:    "operations_hand_over",
		Context: boundedContext,
		Handle: func(ctx context.Context, ev es.RecordedEvent) error {
			m, err := registry.Decode(ev)
			if err != nil {
				return fmt.Errorf("%w: %w", reaction.ErrPermanent, err)
			}
			return a.HandOver(ctx, m)
		},
	})
}
