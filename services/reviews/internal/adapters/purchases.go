package adapters

import (
	"context"
	"embed"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/services/reviews/internal/app"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the reviews context's tables, in schema.
func Migrations(schema string) pgmigrate.Set {
	return pgmigrate.Embedded("reviews", schema, migrations, "migrations")
}

// Purchases is the record of orders in the reviews context's schema.
type Purchases struct {
	Pool   *pgxpool.Pool
	Schema string
}

var _ app.Purchases = Purchases{}

func (p Purchases) table() string { return pgx.Identifier{p.Schema, "orders"}.Sanitize() }

// SaveOrder implements app.Purchases; saving an order again changes nothing.
func (p Purchases) SaveOrder(ctx context.Context, orderID, userID string, productIDs []string) error {
	_, err := p.Pool.Exec(ctx, `INSERT INTO `+p.table()+` (order_id, user_id, product_ids) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		orderID, userID, productIDs)
	return err
}

// Order implements app.Purchases.
func (p Purchases) Order(ctx context.Context, orderID string) (string, []string, bool, error) {
	var userID string
	var productIDs []string
	err := p.Pool.QueryRow(ctx, `SELECT user_id, product_ids FROM `+p.table()+` WHERE order_id = $1`, orderID).Scan(&userID, &productIDs)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	return userID, productIDs, true, nil
}
