// Package ports serves the support use cases over gRPC: requests into commands and queries,
// results back; errors pass through, the platform interceptor maps them to status codes.
package ports

import (
	"context"
	"time"

	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
	"github.com/storefront/storefront/services/support/internal/app"
	"github.com/storefront/storefront/services/support/internal/domain"
)

// GRPC implements supportv1.SupportServiceServer.
type GRPC struct {
	supportv1.UnimplementedSupportServiceServer
	App *app.App
}

// StartConversation implements supportv1.SupportServiceServer.
func (s GRPC) StartConversation(ctx context.Context, r *supportv1.StartConversationRequest) (*supportv1.Conversation, error) {
	v, err := s.App.StartConversation(ctx, app.StartConversation{Subject: r.GetSubject(), Message: r.GetMessage()})
	if err != nil {
		return nil, err
	}
	return Conversation(v), nil
}

// GetConversation implements supportv1.SupportServiceServer.
func (s GRPC) GetConversation(ctx context.Context, r *supportv1.GetConversationRequest) (*supportv1.Conversation, error) {
	v, err := s.App.GetConversation(ctx, r.GetId())
	if err != nil {
		return nil, err
	}
	return Conversation(v), nil
}

// PostMessage implements supportv1.SupportServiceServer.
func (s GRPC) PostMessage(ctx context.Context, r *supportv1.PostMessageRequest) (*supportv1.Message, error) {
	m, err := s.App.PostMessage(ctx, r.GetId(), r.GetText())
	if err != nil {
		return nil, err
	}
	return Message(m), nil
}

// CloseConversation implements supportv1.SupportServiceServer.
func (s GRPC) CloseConversation(ctx context.Context, r *supportv1.CloseConversationRequest) (*supportv1.Conversation, error) {
	v, err := s.App.CloseConversation(ctx, r.GetId())
	if err != nil {
		return nil, err
	}
	return Conversation(v), nil
}

// ListConversations implements supportv1.SupportServiceServer.
func (s GRPC) ListConversations(ctx context.Context, r *supportv1.ListConversationsRequest) (*supportv1.ListConversationsResponse, error) {
	page, err := s.App.ListConversations(ctx, r.GetStatus(), app.Page{Page: r.Page, PerPage: r.PerPage})
	if err != nil {
		return nil, err
	}
	out := &supportv1.ListConversationsResponse{Items: make([]*supportv1.Conversation, len(page.Items)),
		Page: int32(page.Resolved.Page), PerPage: int32(page.Resolved.PerPage), Total: int32(page.Total)}
	for i, v := range page.Items {
		out.Items[i] = Conversation(v)
	}
	return out, nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Conversation renders a conversation.
func Conversation(v domain.View) *supportv1.Conversation {
	out := &supportv1.Conversation{Id: v.ID, UserId: v.UserID, Subject: v.Subject, Status: v.Status,
		Messages: make([]*supportv1.Message, len(v.Messages)), CreatedAt: rfc3339(v.CreatedAt), UpdatedAt: rfc3339(v.UpdatedAt),
		MessageCount: int32(v.MessageCount)}
	for i, m := range v.Messages {
		out.Messages[i] = Message(m)
	}
	return out
}

// Message renders a message.
func Message(m domain.Message) *supportv1.Message {
	return &supportv1.Message{Id: m.ID, AuthorRole: m.AuthorRole, AuthorName: m.AuthorName, Text: m.Text,
		CreatedAt: rfc3339(m.CreatedAt), Sequence: m.Sequence}
}
