package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/es"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
	"github.com/storefront/storefront/services/notifications/internal/domain"
)

// Support is where the staff are told about customers' support messages.
type Support struct {
	// To is the staff's address (STOREFRONT_SUPPORT_EMAIL); empty: no mails.
	To string
	// URL is the conversation's page, with {conversation_id}.
	URL string
}

// SupportClaim is an event's claim of its conversation's staff mail.
type SupportClaim struct {
	ConversationID string
	// Subject is the conversation's, when the event tells it (ConversationStarted).
	Subject string
	EventID uuid.UUID
	// At is the message's time; Window how long a claim keeps others out.
	At     time.Time
	Window time.Duration
}

// OnSupport mails the staff about a customer's message in an open conversation (its first
// one included), at most once per conversation per domain.SupportWindow: the first message
// of a quiet conversation mails, the ones soon after it do not. Each event mails at most
// once (its claim is recorded before the send and marked after it; a crash in between sends
// that one mail again on redelivery, never more).
func (a *App) OnSupport(ctx context.Context, ev es.RecordedEvent, m proto.Message) error {
	var n domain.SupportNote
	switch e := m.(type) {
	case *supportv1.ConversationStarted:
		n = domain.SupportNote{ConversationID: e.GetConversationId(), Subject: e.GetSubject(), CustomerName: e.GetAuthorName(),
			Text: e.GetText(), At: time.UnixMicro(e.GetStartedAt()).UTC()}
	case *supportv1.MessagePosted:
		if e.GetAuthorRole() != "customer" {
			return nil
		}
		n = domain.SupportNote{ConversationID: e.GetConversationId(), CustomerName: e.GetAuthorName(),
			Text: e.GetText(), At: time.UnixMicro(e.GetPostedAt()).UTC()}
	default:
		return nil
	}
	if a.Support.To == "" {
		return nil
	}
	mine, subject, err := a.Store.ClaimSupportMail(ctx, SupportClaim{ConversationID: n.ConversationID, Subject: n.Subject, EventID: ev.ID,
		At: n.At, Window: domain.SupportWindow})
	if err != nil || !mine {
		return err
	}
	n.Subject = subject
	mail, err := a.Composer.ComposeSupport(domain.Recipient{Email: a.Support.To, Name: "support team"}, a.Support.URL, n)
	if err != nil {
		return err
	}
	if err := a.Mailer.Send(ctx, mail); err != nil {
		return fmt.Errorf("support mail: %w", err)
	}
	return a.Store.SupportMailed(ctx, n.ConversationID, ev.ID)
}
