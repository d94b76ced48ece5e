// Package ports serves the reviews use cases: over gRPC (requests into commands and queries,
// results back; errors pass through, the platform interceptor maps them to status codes),
// and as a reaction to the ordering context's events.
package ports

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/reaction"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
	"github.com/storefront/storefront/services/reviews/internal/app"
	"github.com/storefront/storefront/services/reviews/internal/domain"
)

// GRPC implements reviewsv1.ReviewServiceServer.
type GRPC struct {
	reviewsv1.UnimplementedReviewServiceServer
	App *app.App
}

// CreateReview implements reviewsv1.ReviewServiceServer.
func (s GRPC) CreateReview(ctx context.Context, r *reviewsv1.CreateReviewRequest) (*reviewsv1.Review, error) {
	v, err := s.App.CreateReview(ctx, app.CreateReview{ProductID: r.GetProductId(),
		Draft: domain.Draft{Rating: r.GetRating(), Title: r.GetTitle(), Text: r.GetText()}})
	if err != nil {
		return nil, err
	}
	return Review(v), nil
}

// GetReview implements reviewsv1.ReviewServiceServer.
func (s GRPC) GetReview(ctx context.Context, r *reviewsv1.GetReviewRequest) (*reviewsv1.Review, error) {
	v, err := s.App.GetReview(ctx, r.GetId())
	if err != nil {
		return nil, err
	}
	return Review(v), nil
}

// UpdateReview implements reviewsv1.ReviewServiceServer.
func (s GRPC) UpdateReview(ctx context.Context, r *reviewsv1.UpdateReviewRequest) (*reviewsv1.Review, error) {
	v, err := s.App.UpdateReview(ctx, r.GetId(), domain.Edit{Rating: r.Rating, Title: r.Title, Text: r.Text})
	if err != nil {
		return nil, err
	}
	return Review(v), nil
}

// RemoveReview implements reviewsv1.ReviewServiceServer.
func (s GRPC) RemoveReview(ctx context.Context, r *reviewsv1.RemoveReviewRequest) (*emptypb.Empty, error) {
	if err := s.App.RemoveReview(ctx, r.GetId(), r.GetReason()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// ListProductReviews implements reviewsv1.ReviewServiceServer.
func (s GRPC) ListProductReviews(ctx context.Context, r *reviewsv1.ListProductReviewsRequest) (*reviewsv1.ListReviewsResponse, error) {
	page, err := s.App.ListProductReviews(ctx, r.GetProductId(), app.Page{Page: r.Page, PerPage: r.PerPage})
	if err != nil {
		return nil, err
	}
	out := &reviewsv1.ListReviewsResponse{Items: make([]*reviewsv1.Review, len(page.Items)),
		Page: int32(page.Resolved.Page), PerPage: int32(page.Resolved.PerPage), Total: int32(page.Total)}
	for i, v := range page.Items {
		out.Items[i] = Review(v)
	}
	return out, nil
}

// Review renders a review.
func Review(v domain.View) *reviewsv1.Review {
	return &reviewsv1.Review{Id: v.ID, ProductId: v.ProductID, UserId: v.UserID, AuthorName: v.AuthorName, Rating: v.Rating,
		Title: v.Title, Text: v.Text, VerifiedPurchase: v.VerifiedPurchase,
		CreatedAt: v.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: v.UpdatedAt.UTC().Format(time.RFC3339)}
}

// Reactions returns the runner of the reviews' reaction to the ordering context's events
// (ordering names its JetStream stream: "ordering", or a test's prefixed one).
func Reactions(cfg reaction.Config, a *app.App, ordering string) (*reaction.Runner, error) {
	orders := events.NewRegistry().Register(orderingv1.Events()...)
	return reaction.New(cfg, reaction.Reaction{Name: "reviews_purchases", Context: ordering,
		Types: events.TypeNames(&orderingv1.OrderPlaced{}, &orderingv1.OrderPaid{}), Concurrency: 4,
		Handle: func(ctx context.Context, ev es.RecordedEvent) error {
			m, err := orders.Decode(ev)
			if err != nil {
				return fmt.Errorf("%w: %v", reaction.ErrPermanent, err)
			}
			return a.OnOrdering(ctx, ev, m)
		}})
}
