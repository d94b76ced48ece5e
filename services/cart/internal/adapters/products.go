package adapters

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/errs"
	readmodel "github.com/storefront/storefront/projections/cart"
	"github.com/storefront/storefront/services/cart/internal/domain"
)

// ReadModel reads the cart context's product read model (projections/cart).
type ReadModel struct{ Pool *pgxpool.Pool }

// Products implements app.Products.
func (r ReadModel) Products(ctx context.Context, ids []string) (map[string]domain.Product, error) {
	got, err := readmodel.Products(ctx, r.Pool, ids)
	if err != nil {
		return nil, readError(err)
	}
	return toDomain(got), nil
}

func toDomain(got map[string]readmodel.Product) map[string]domain.Product {
	out := make(map[string]domain.Product, len(got))
	for id, p := range got {
		out[id] = domain.Product{ID: p.ID, SKU: p.SKU, Name: p.Name, PriceMinor: p.PriceMinor, Currency: p.Currency, Stock: p.Stock, Active: p.Active}
	}
	return out
}

// readError makes a read model that is not built yet "unavailable": the projector builds it
// at start, and the client may retry.
func readError(err error) error {
	if errors.Is(err, readmodel.ErrNotBuilt) {
		return fmt.Errorf("%w: the cart's product catalogue is being built; retry shortly (%v)", errs.Unavailable, err)
	}
	return err
}
