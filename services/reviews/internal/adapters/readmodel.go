package adapters

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/errs"
	readmodel "github.com/storefront/storefront/projections/reviews"
	"github.com/storefront/storefront/services/reviews/internal/app"
	"github.com/storefront/storefront/services/reviews/internal/domain"
)

// ReadModel reads the reviews read model (projections/reviews).
type ReadModel struct{ Pool *pgxpool.Pool }

var _ app.ReadModel = ReadModel{}

// ProductReviews implements app.ReadModel. Until the projector's first build it is
// unavailable: the client may retry.
func (r ReadModel) ProductReviews(ctx context.Context, productID string, p app.Resolved) ([]domain.View, int, error) {
	got, total, err := readmodel.ProductReviews(ctx, r.Pool, productID, p.Offset(), p.PerPage)
	if errors.Is(err, readmodel.ErrNotBuilt) {
		return nil, 0, fmt.Errorf("%w: the reviews are being indexed; retry shortly (%v)", errs.Unavailable, err)
	}
	if err != nil {
		return nil, 0, err
	}
	out := make([]domain.View, len(got))
	for i, v := range got {
		out[i] = domain.View{ID: v.ID, ProductID: v.ProductID, UserID: v.UserID, AuthorName: v.AuthorName, Rating: v.Rating,
			Title: v.Title, Text: v.Text, VerifiedPurchase: v.VerifiedPurchase, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	}
	return out, total, nil
}
