// Package ports serves the notifier: its reactions to the identity, ordering and support
// contexts' events, and its internal gRPC API (the mails a customer was sent).
package ports

import (
	"context"
	"fmt"
	"time"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/reaction"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	notificationsv1 "github.com/storefront/storefront/proto/storefront/notifications/v1"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
	"github.com/storefront/storefront/services/notifications/internal/app"
)

// Reactions returns the runner of the notifier's reactions: to identity's public events
// (who the customers are) and to ordering's (what to tell them). identity and ordering name
// the contexts' JetStream streams ("identity", "ordering", or a test's prefixed ones).
func Reactions(cfg reaction.Config, a *app.App, identity, ordering, support string) (*reaction.Runner, error) {
	ids := events.NewRegistry().Register(identityv1.PublicEvents()...)
	orders := events.NewRegistry().Register(orderingv1.Events()...)
	chats := events.NewRegistry().Register(supportv1.Events()...)
	return reaction.New(cfg,
		reaction.Reaction{Name: "notify_support", Context: support, Types: events.TypeNames(&supportv1.ConversationStarted{}, &supportv1.MessagePosted{}),
			Concurrency: 4, Handle: func(ctx context.Context, ev es.RecordedEvent) error {
				m, err := chats.Decode(ev)
				if err != nil {
					return fmt.Errorf("%w: %v", reaction.ErrPermanent, err)
				}
				return a.OnSupport(ctx, ev, m)
			}},
		reaction.Reaction{Name: "notify_identity", Context: identity, Types: events.TypeNames(&identityv1.UserRegistered{}, &identityv1.ProfileUpdated{}),
			Concurrency: 4, Handle: func(ctx context.Context, ev es.RecordedEvent) error {
				m, err := ids.Decode(ev)
				if err != nil {
					return fmt.Errorf("%w: %v", reaction.ErrPermanent, err)
				}
				return a.OnIdentity(ctx, ev, m)
			}},
		reaction.Reaction{Name: "notify_ordering", Context: ordering, Types: events.TypeNames(&orderingv1.OrderPlaced{}, &orderingv1.OrderPaid{},
			&orderingv1.OrderShipped{}, &orderingv1.OrderDelivered{}, &orderingv1.OrderCancelled{}, &orderingv1.RefundIssued{}),
			Concurrency: 4, Handle: func(ctx context.Context, ev es.RecordedEvent) error {
				m, err := orders.Decode(ev)
				if err != nil {
					return fmt.Errorf("%w: %v", reaction.ErrPermanent, err)
				}
				return a.OnOrdering(ctx, ev, m)
			}},
	)
}

// GRPC implements notificationsv1.NotificationServiceServer.
type GRPC struct {
	notificationsv1.UnimplementedNotificationServiceServer
	App *app.App
}

// ListMails implements notificationsv1.NotificationServiceServer.
func (s GRPC) ListMails(ctx context.Context, r *notificationsv1.ListMailsRequest) (*notificationsv1.ListMailsResponse, error) {
	mails, err := s.App.Store.Mails(ctx, r.GetUserId())
	if err != nil {
		return nil, err
	}
	out := &notificationsv1.ListMailsResponse{Items: []*notificationsv1.Mail{}}
	for _, m := range mails {
		out.Items = append(out.Items, &notificationsv1.Mail{EventId: m.EventID.String(), Kind: m.Kind, To: m.To, Subject: m.Subject,
			OrderId: m.OrderID, SentAt: m.SentAt.Format(time.RFC3339)})
	}
	return out, nil
}
