// Package app holds the reviews context's use cases: writing, editing, removing and reading
// reviews, and verifying purchases from the ordering context's events. A review is read from
// its stream (read-your-writes for its author); a product's list of reviews from the reviews
// read model (projections/reviews). Handlers know nothing of gRPC or SQL.
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
	"github.com/storefront/storefront/services/reviews/internal/domain"
)

// Reviews loads and saves reviews.
type Reviews = aggregate.Store[*domain.Review]

// Products is the catalog, asked whether a product is on sale.
type Products interface {
	// ProductID returns the id of the active product with the id or slug; errs.NotFound
	// when there is none (or it was deleted).
	ProductID(ctx context.Context, idOrSlug string) (string, error)
}

// Authors tells a review's author's name.
type Authors interface {
	// CallerName returns the name of the user the request acts for.
	CallerName(ctx context.Context) (string, error)
}

// ReadModel is the reviews read model.
type ReadModel interface {
	// ProductReviews returns a page of the product's reviews, newest first, and their total.
	ProductReviews(ctx context.Context, productID string, p Resolved) ([]domain.View, int, error)
}

// Purchases is what the reviews context keeps of the orders: who placed each one and with
// which products, until it is paid.
type Purchases interface {
	SaveOrder(ctx context.Context, orderID, userID string, productIDs []string) error
	// Order returns the order's user and products; ok is false for an order not seen yet.
	Order(ctx context.Context, orderID string) (userID string, productIDs []string, ok bool, err error)
}

// Clock tells the time; tests move it.
type Clock func() time.Time

// App is the reviews context's use cases.
type App struct {
	Reviews   *Reviews
	Products  Products
	Authors   Authors
	ReadModel ReadModel
	Purchases Purchases
	Clock     Clock
	Log       *slog.Logger
}

var errSignedOut = fmt.Errorf("%w: sign in to review", errs.Unauthenticated)

// CreateReview is a user's review of a product.
type CreateReview struct {
	ProductID string
	domain.Draft
}

// CreateReview records the caller's review of an active product.
func (a *App) CreateReview(ctx context.Context, c CreateReview) (domain.View, error) {
	actor := reqctx.From(ctx).Actor
	if actor.UserID == "" {
		return domain.View{}, errSignedOut
	}
	var v errs.Validation
	if _, err := uuid.Parse(c.ProductID); err != nil {
		v.Add("product_id", "must be a product id")
	}
	if err := c.Validate(); err != nil {
		var dv *errs.Validation
		if errors.As(err, &dv) {
			v.Violations = append(v.Violations, dv.Violations...)
		}
	}
	if err := v.Err(); err != nil {
		return domain.View{}, err
	}
	productID, err := a.Products.ProductID(ctx, c.ProductID)
	if err != nil {
		return domain.View{}, err
	}
	name, err := a.Authors.CallerName(ctx)
	if err != nil {
		return domain.View{}, fmt.Errorf("author's name: %w", err)
	}
	id := domain.ReviewID(actor.UserID, productID)
	r, err := a.Reviews.UpdateOrNew(ctx, domain.Stream(id), func(r *domain.Review) error {
		return r.Write(productID, actor.UserID, name, c.Draft, a.Clock())
	})
	if err != nil {
		return domain.View{}, err
	}
	return r.View(), nil
}

// GetReview returns a review as its stream holds it.
func (a *App) GetReview(ctx context.Context, id string) (domain.View, error) {
	r, err := a.load(ctx, id)
	if err != nil {
		return domain.View{}, err
	}
	return r.View(), nil
}

func (a *App) load(ctx context.Context, id string) (*domain.Review, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, domain.ErrReviewNotFound
	}
	r, err := a.Reviews.Load(ctx, domain.Stream(id))
	switch {
	case errors.Is(err, aggregate.ErrNotFound):
		return nil, domain.ErrReviewNotFound
	case err != nil:
		return nil, err
	case !r.Exists():
		return nil, domain.ErrReviewNotFound
	}
	return r, nil
}

// UpdateReview changes the caller's own review.
func (a *App) UpdateReview(ctx context.Context, id string, e domain.Edit) (domain.View, error) {
	actor := reqctx.From(ctx).Actor
	if actor.UserID == "" {
		return domain.View{}, errSignedOut
	}
	if _, err := uuid.Parse(id); err != nil {
		return domain.View{}, domain.ErrReviewNotFound
	}
	r, err := a.Reviews.Update(ctx, domain.Stream(id), func(r *domain.Review) error {
		return r.Edit(actor.UserID, e, a.Clock())
	})
	switch {
	case errors.Is(err, aggregate.ErrNotFound):
		return domain.View{}, domain.ErrReviewNotFound
	case err != nil:
		return domain.View{}, err
	}
	return r.View(), nil
}

// RemoveReview takes a review down; only admins may.
func (a *App) RemoveReview(ctx context.Context, id, reason string) error {
	actor := reqctx.From(ctx).Actor
	if !actor.IsAdmin() {
		return fmt.Errorf("%w: only admins remove reviews", errs.PermissionDenied)
	}
	if _, err := uuid.Parse(id); err != nil {
		return domain.ErrReviewNotFound
	}
	_, err := a.Reviews.Update(ctx, domain.Stream(id), func(r *domain.Review) error {
		return r.Remove(actor.UserID, actor.Role, reason, a.Clock())
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return domain.ErrReviewNotFound
	}
	return err
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

// ReviewPage is a page of a product's reviews.
type ReviewPage struct {
	Items    []domain.View
	Resolved Resolved
	Total    int
}

// ListProductReviews returns a page of an active product's reviews (by id or slug), newest
// first.
func (a *App) ListProductReviews(ctx context.Context, productIDOrSlug string, p Page) (ReviewPage, error) {
	var v errs.Validation
	page := p.Resolve(&v)
	if err := v.Err(); err != nil {
		return ReviewPage{}, err
	}
	productID, err := a.Products.ProductID(ctx, productIDOrSlug)
	if err != nil {
		return ReviewPage{}, err
	}
	items, total, err := a.ReadModel.ProductReviews(ctx, productID, page)
	if err != nil {
		return ReviewPage{}, err
	}
	return ReviewPage{Items: items, Resolved: page, Total: total}, nil
}
