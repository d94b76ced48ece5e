package reviews

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Review is a review as the read model holds it.
type Review struct {
	ID, ProductID, UserID, AuthorName string
	Rating                            int32
	Title, Text                       string
	VerifiedPurchase                  bool
	CreatedAt, UpdatedAt              time.Time
}

// ErrNotBuilt means the read model has no active generation yet (the projector has not
// built it): readers answer "unavailable, try again".
var ErrNotBuilt = errors.New("reviews: read model not built yet")

// Querier is what the reads go through: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ProductReviews returns limit of the product's reviews after offset, newest first (ties by
// id), and how many it has in all.
func ProductReviews(ctx context.Context, q Querier, productID string, offset, limit int) ([]Review, int, error) {
	rows, err := q.Query(ctx, `SELECT id::text, product_id::text, user_id, author_name, rating, title, text, verified_purchase,
			created_at, updated_at, count(*) OVER ()
		FROM `+Name+`.reviews WHERE product_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`, productID, limit, offset)
	if err != nil {
		return nil, 0, readError(err)
	}
	out := []Review{}
	var (
		r     Review
		total int
	)
	_, err = pgx.ForEachRow(rows, []any{&r.ID, &r.ProductID, &r.UserID, &r.AuthorName, &r.Rating, &r.Title, &r.Text,
		&r.VerifiedPurchase, &r.CreatedAt, &r.UpdatedAt, &total}, func() error {
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, 0, readError(err)
	}
	if len(out) == 0 && offset > 0 {
		// A page past the end still tells the true total.
		n, err := count(ctx, q, productID)
		return out, n, err
	}
	return out, total, nil
}

func count(ctx context.Context, q Querier, productID string) (int, error) {
	rows, err := q.Query(ctx, `SELECT count(*) FROM `+Name+`.reviews WHERE product_id = $1`, productID)
	if err != nil {
		return 0, readError(err)
	}
	n, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[int])
	if err != nil {
		return 0, readError(err)
	}
	return n, nil
}

// readError turns "the view does not exist" into ErrNotBuilt; other errors are wrapped.
func readError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000") {
		return fmt.Errorf("%w: %v", ErrNotBuilt, err)
	}
	return fmt.Errorf("read reviews: %w", err)
}
