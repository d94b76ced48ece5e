package cart

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Product is what a cart needs to know of a catalog product.
type Product struct {
	ID         string
	SKU        string
	Name       string
	PriceMinor int64
	Currency   string
	// Stock is the units available to sell.
	Stock int32
	// Active is false for a product deleted from the storefront.
	Active bool
}

// ErrNotBuilt means the read model has no active generation yet (the projector has not
// built it): readers answer "unavailable, try again".
var ErrNotBuilt = errors.New("cart products: read model not built yet")

// ProductsSQL selects the products whose ids are in $1 (a uuid[]); ScanProducts reads its
// rows. It is exported so that a reader can send it in one batch with its other statements
// (one round trip).
const ProductsSQL = `SELECT id::text, sku, name, price_minor, currency, stock, status = 'active'
FROM ` + Name + `.products WHERE id = ANY($1::uuid[])`

// ScanProducts collects the rows of ProductsSQL by id.
func ScanProducts(rows pgx.Rows) (map[string]Product, error) {
	out := map[string]Product{}
	var p Product
	_, err := pgx.ForEachRow(rows, []any{&p.ID, &p.SKU, &p.Name, &p.PriceMinor, &p.Currency, &p.Stock, &p.Active}, func() error {
		out[p.ID] = p
		return nil
	})
	if err != nil {
		return nil, ReadError(err)
	}
	return out, nil
}

// ReadError turns "the view does not exist" into ErrNotBuilt; other errors are wrapped.
func ReadError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000") {
		return fmt.Errorf("%w: %v", ErrNotBuilt, err)
	}
	return fmt.Errorf("read cart products: %w", err)
}

// Querier is what Products reads through: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Products reads the products with the given ids; unknown ids are absent from the map.
// Ids that are not UUIDs are unknown too (the caller validates them first).
func Products(ctx context.Context, q Querier, ids []string) (map[string]Product, error) {
	if len(ids) == 0 {
		return map[string]Product{}, nil
	}
	rows, err := q.Query(ctx, ProductsSQL, ids)
	if err != nil {
		return nil, ReadError(err)
	}
	return ScanProducts(rows)
}
