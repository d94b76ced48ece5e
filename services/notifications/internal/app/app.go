// Package app is the notifier's use case: turn the identity and ordering contexts' events
// into the customers' mails, each sent once per event, and the support context's customer
// messages into the staff's mails, at most one per conversation per window. Recipients and orders are kept from
// the events themselves; the record of a sent mail is written after the send, so a crash
// between the two may send that one mail a second time, never more (decision 017).
package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/money"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	"github.com/storefront/storefront/services/notifications/internal/domain"
)

// SentMail is the record of one mail.
type SentMail struct {
	EventID                    uuid.UUID
	Kind, To, Subject, OrderID string
	SentAt                     time.Time
}

// Store is the notifier's records.
type Store interface {
	SaveRecipient(ctx context.Context, r domain.Recipient, version int64) error
	// Recipient returns a user with an address to write to (ok false until one is known).
	Recipient(ctx context.Context, userID string) (r domain.Recipient, ok bool, err error)
	SaveOrder(ctx context.Context, e *orderingv1.OrderPlaced) error
	Order(ctx context.Context, orderID string) (*orderingv1.OrderPlaced, bool, error)
	Sent(ctx context.Context, eventID uuid.UUID) (bool, error)
	RecordSent(ctx context.Context, eventID uuid.UUID, userID, orderID string, m domain.Mail) error
	Mails(ctx context.Context, userID string) ([]SentMail, error)
	// ClaimSupportMail takes the conversation's staff mail for the event: true when the
	// event may send it — no mail of the conversation within the window before the event's
	// time, or this event's own claim whose mail has not gone out — with the conversation's
	// subject as far as known.
	ClaimSupportMail(ctx context.Context, c SupportClaim) (mine bool, subject string, err error)
	// SupportMailed records that the event's claimed mail went out.
	SupportMailed(ctx context.Context, conversationID string, eventID uuid.UUID) error
}

// Mailer sends a mail.
type Mailer interface {
	Send(ctx context.Context, m domain.Mail) error
}

// App is the notifier.
type App struct {
	Store    Store
	Mailer   Mailer
	Composer *domain.Composer
	// Support is where the staff's mails about support messages go.
	Support Support
	Log     *slog.Logger
}

// OnIdentity keeps the customers' addresses and names.
func (a *App) OnIdentity(ctx context.Context, ev es.RecordedEvent, m proto.Message) error {
	switch e := m.(type) {
	case *identityv1.UserRegistered:
		return a.Store.SaveRecipient(ctx, domain.Recipient{UserID: e.GetUserId(), Email: e.GetEmail(), Name: e.GetName()}, ev.Version)
	case *identityv1.ProfileUpdated:
		return a.Store.SaveRecipient(ctx, domain.Recipient{UserID: e.GetUserId(), Name: e.GetName()}, ev.Version)
	}
	return nil
}

// OnOrdering sends the mail an ordering event calls for.
func (a *App) OnOrdering(ctx context.Context, ev es.RecordedEvent, m proto.Message) error {
	switch e := m.(type) {
	case *orderingv1.OrderPlaced:
		if err := a.Store.SaveOrder(ctx, e); err != nil {
			return err
		}
		return a.send(ctx, ev.ID, domain.KindOrderConfirmation, e.GetOrderId(), domain.Details{})
	case *orderingv1.OrderPaid:
		return a.send(ctx, ev.ID, domain.KindPaymentReceipt, e.GetOrderId(), domain.Details{})
	case *orderingv1.OrderShipped:
		return a.send(ctx, ev.ID, domain.KindOrderShipped, e.GetOrderId(), domain.Details{})
	case *orderingv1.OrderDelivered:
		return a.send(ctx, ev.ID, domain.KindOrderDelivered, e.GetOrderId(), domain.Details{})
	case *orderingv1.OrderCancelled:
		return a.send(ctx, ev.ID, domain.KindOrderCancelled, e.GetOrderId(), domain.Details{Reason: e.GetReason(), Refund: e.GetPreviousStatus() == "paid"})
	case *orderingv1.RefundIssued:
		return a.send(ctx, ev.ID, domain.KindRefundIssued, e.GetOrderId(), domain.Details{AmountMinor: e.GetAmountMinor()})
	}
	return nil
}

// send composes and sends the mail of an event once.
func (a *App) send(ctx context.Context, eventID uuid.UUID, kind, orderID string, d domain.Details) error {
	if done, err := a.Store.Sent(ctx, eventID); err != nil || done {
		return err
	}
	placed, ok, err := a.Store.Order(ctx, orderID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("order %s is not known yet", orderID)
	}
	to, ok, err := a.Store.Recipient(ctx, placed.GetUserId())
	if err != nil {
		return err
	}
	if !ok {
		// identity's UserRegistered comes through another consumer: try again later.
		return fmt.Errorf("customer %s of order %s is not known yet", placed.GetUserId(), orderID)
	}
	o := domain.OrderOf(placed)
	switch kind {
	case domain.KindPaymentReceipt:
		d.Amount = o.Total
	case domain.KindRefundIssued:
		d.Amount = money.Format(d.AmountMinor, o.Currency) + " " + o.Currency
	}
	mail, err := a.Composer.Compose(kind, to, o, d)
	if err != nil {
		return err
	}
	if err := a.Mailer.Send(ctx, mail); err != nil {
		return err
	}
	return a.Store.RecordSent(ctx, eventID, placed.GetUserId(), orderID, mail)
}
