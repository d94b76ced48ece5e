package adapters

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/errs"
	readmodel "github.com/storefront/storefront/projections/support"
	"github.com/storefront/storefront/services/support/internal/app"
	"github.com/storefront/storefront/services/support/internal/domain"
)

// ReadModel reads the support read model (projections/support).
type ReadModel struct{ Pool *pgxpool.Pool }

var _ app.ReadModel = ReadModel{}

// Conversations implements app.ReadModel. Until the projector's first build it is
// unavailable: the client may retry.
func (r ReadModel) Conversations(ctx context.Context, f app.Filter, p app.Resolved) ([]domain.View, int, error) {
	got, total, err := readmodel.Conversations(ctx, r.Pool, readmodel.Filter{UserID: f.UserID, Status: f.Status}, p.Offset(), p.PerPage)
	if errors.Is(err, readmodel.ErrNotBuilt) {
		return nil, 0, fmt.Errorf("%w: the conversations are being indexed; retry shortly (%v)", errs.Unavailable, err)
	}
	if err != nil {
		return nil, 0, err
	}
	out := make([]domain.View, len(got))
	for i, c := range got {
		out[i] = domain.View{ID: c.ID, UserID: c.UserID, Subject: c.Subject, Status: c.Status, MessageCount: c.MessageCount,
			Messages: []domain.Message{{ID: c.Last.ID, Sequence: c.Last.Sequence, AuthorRole: c.Last.AuthorRole, AuthorName: c.Last.AuthorName,
				Text: c.Last.Text, CreatedAt: c.Last.CreatedAt}},
			CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	}
	return out, total, nil
}
