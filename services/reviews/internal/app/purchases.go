package app

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/es"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	"github.com/storefront/storefront/services/reviews/internal/domain"
)

// OnOrdering verifies purchases from the ordering context's events: OrderPlaced tells who
// ordered which products, OrderPaid that the order reached paid. Each paid product's review
// stream records the purchase, whether or not the review is written yet, so a review written
// later is verified from the start. The handler runs under the event's causation
// (platform/reaction): a redelivered OrderPaid records nothing twice.
func (a *App) OnOrdering(ctx context.Context, ev es.RecordedEvent, m proto.Message) error {
	switch e := m.(type) {
	case *orderingv1.OrderPlaced:
		ids := make([]string, 0, len(e.GetLines()))
		for _, l := range e.GetLines() {
			ids = append(ids, l.GetProductId())
		}
		return a.Purchases.SaveOrder(ctx, e.GetOrderId(), e.GetUserId(), ids)
	case *orderingv1.OrderPaid:
		userID, productIDs, ok, err := a.Purchases.Order(ctx, e.GetOrderId())
		if err != nil {
			return err
		}
		if !ok {
			// OrderPlaced comes first in the order's stream; a retry finds it once a
			// redelivery has brought it.
			return fmt.Errorf("order %s is not known yet", e.GetOrderId())
		}
		for _, productID := range productIDs {
			id := domain.ReviewID(userID, productID)
			_, err := a.Reviews.UpdateOrNew(ctx, domain.Stream(id), func(r *domain.Review) error {
				return r.VerifyPurchase(productID, userID, e.GetOrderId(), a.Clock())
			})
			if err != nil {
				return fmt.Errorf("verify purchase of %s in order %s: %w", productID, e.GetOrderId(), err)
			}
		}
	}
	return nil
}
