// Package app holds the support context's use cases: starting conversations, posting
// messages, closing them, and reading them. A conversation is read from its stream
// (read-your-writes for its owner and the staff); the list from the support read model
// (projections/support). Handlers know nothing of gRPC or SQL.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/paging"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/services/support/internal/domain"
)

// Conversations loads and saves conversations.
type Conversations = aggregate.Store[*domain.Conversation]

// Authors tells the name of who writes.
type Authors interface {
	// CallerName returns the name of the user the request acts for.
	CallerName(ctx context.Context) (string, error)
}

// ReadModel is the support read model.
type ReadModel interface {
	// Conversations returns a page of the filter's conversations, newest activity first, each
	// with its latest message only, and their total.
	Conversations(ctx context.Context, f Filter, p Resolved) ([]domain.View, int, error)
}

// Filter picks the conversations of a list.
type Filter struct {
	// UserID is the owner; empty: everyone's.
	UserID string
	// Status is domain.StatusOpen or domain.StatusClosed; empty: both.
	Status string
}

// Clock tells the time; tests move it.
type Clock func() time.Time

// IDs makes new conversation and message ids.
type IDs func() string

// NewID is the default IDs: time-ordered UUIDs (v7).
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// App is the support context's use cases.
type App struct {
	Conversations *Conversations
	Authors       Authors
	ReadModel     ReadModel
	Clock         Clock
	IDs           IDs
	Log           *slog.Logger
}

var errSignedOut = fmt.Errorf("%w: sign in to talk to support", errs.Unauthenticated)

// caller is the signed-in caller as an author, without a name yet.
func caller(ctx context.Context) (domain.Author, error) {
	actor := reqctx.From(ctx).Actor
	if actor.UserID == "" {
		return domain.Author{}, errSignedOut
	}
	return domain.Author{UserID: actor.UserID, Staff: actor.IsAdmin()}, nil
}

// named is the caller with their name from identity.
func (a *App) named(ctx context.Context, au domain.Author) (domain.Author, error) {
	name, err := a.Authors.CallerName(ctx)
	if err != nil {
		return au, fmt.Errorf("author's name: %w", err)
	}
	au.Name = name
	return au, nil
}

// StartConversation is a customer's new conversation.
type StartConversation struct {
	Subject, Message string
}

// StartConversation opens a conversation as the caller, with its first message.
func (a *App) StartConversation(ctx context.Context, c StartConversation) (domain.View, error) {
	au, err := caller(ctx)
	if err != nil {
		return domain.View{}, err
	}
	if err := domain.ValidateStart(c.Subject, c.Message); err != nil {
		return domain.View{}, err
	}
	if au, err = a.named(ctx, au); err != nil {
		return domain.View{}, err
	}
	conv := domain.NewConversation(domain.Stream(a.IDs()))
	if err := conv.Start(au, a.IDs(), c.Subject, c.Message, a.Clock()); err != nil {
		return domain.View{}, err
	}
	if err := a.Conversations.Save(ctx, conv); err != nil {
		return domain.View{}, err
	}
	return conv.View(), nil
}

// GetConversation returns a conversation as its stream holds it, to its owner or the staff.
func (a *App) GetConversation(ctx context.Context, id string) (domain.View, error) {
	au, err := caller(ctx)
	if err != nil {
		return domain.View{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return domain.View{}, domain.ErrConversationNotFound
	}
	conv, err := a.Conversations.Load(ctx, domain.Stream(id))
	switch {
	case errors.Is(err, aggregate.ErrNotFound):
		return domain.View{}, domain.ErrConversationNotFound
	case err != nil:
		return domain.View{}, err
	case !conv.VisibleTo(au.UserID, au.Staff):
		return domain.View{}, domain.ErrConversationNotFound
	}
	return conv.View(), nil
}

// PostMessage writes in an open conversation as the caller: its owner, or staff.
func (a *App) PostMessage(ctx context.Context, id, text string) (domain.Message, error) {
	au, err := caller(ctx)
	if err != nil {
		return domain.Message{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return domain.Message{}, domain.ErrConversationNotFound
	}
	if err := domain.ValidateText(text); err != nil {
		return domain.Message{}, err
	}
	if au, err = a.named(ctx, au); err != nil {
		return domain.Message{}, err
	}
	messageID := a.IDs()
	var m domain.Message
	_, err = a.Conversations.Update(ctx, domain.Stream(id), func(c *domain.Conversation) error {
		var err error
		m, err = c.Post(au, messageID, text, a.Clock())
		return err
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return domain.Message{}, domain.ErrConversationNotFound
	}
	return m, err
}

// CloseConversation closes a conversation as its owner or staff.
func (a *App) CloseConversation(ctx context.Context, id string) (domain.View, error) {
	au, err := caller(ctx)
	if err != nil {
		return domain.View{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return domain.View{}, domain.ErrConversationNotFound
	}
	conv, err := a.Conversations.Update(ctx, domain.Stream(id), func(c *domain.Conversation) error {
		return c.Close(au, a.Clock())
	})
	switch {
	case errors.Is(err, aggregate.ErrNotFound):
		return domain.View{}, domain.ErrConversationNotFound
	case err != nil:
		return domain.View{}, err
	}
	return conv.View(), nil
}

// Paging bounds (API.md "Lists").
const (
	DefaultPerPage = paging.DefaultPerPage
	MaxPerPage     = paging.MaxPerPage
)

// Page is a requested page; nil fields take the defaults.
type Page = paging.Request

// Resolved is a checked page.
type Resolved = paging.Page

// ConversationPage is a page of conversations.
type ConversationPage struct {
	Items    []domain.View
	Resolved Resolved
	Total    int
}

// ListConversations returns a page of the caller's conversations (the staff's: everyone's),
// newest activity first, optionally of one status.
func (a *App) ListConversations(ctx context.Context, status string, p Page) (ConversationPage, error) {
	au, err := caller(ctx)
	if err != nil {
		return ConversationPage{}, err
	}
	var v errs.Validation
	page := p.Resolve(&v)
	switch status {
	case "", domain.StatusOpen, domain.StatusClosed:
	default:
		v.Add("status", "must be open or closed")
	}
	if err := v.Err(); err != nil {
		return ConversationPage{}, err
	}
	f := Filter{Status: status}
	if !au.Staff {
		f.UserID = au.UserID
	}
	items, total, err := a.ReadModel.Conversations(ctx, f, page)
	if err != nil {
		return ConversationPage{}, err
	}
	return ConversationPage{Items: items, Resolved: page, Total: total}, nil
}
