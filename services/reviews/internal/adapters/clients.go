package adapters

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/platform/errs"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	"github.com/storefront/storefront/services/reviews/internal/app"
)

// Catalog is the catalog service.
type Catalog struct {
	Client catalogv1.CatalogServiceClient
}

var _ app.Products = Catalog{}

// ProductID implements app.Products. The catalog answers not_found for unknown and deleted
// products alike.
func (c Catalog) ProductID(ctx context.Context, idOrSlug string) (string, error) {
	p, err := c.Client.GetProduct(ctx, &catalogv1.GetProductRequest{Id: idOrSlug})
	if status.Code(err) == codes.NotFound {
		return "", fmt.Errorf("%w: no such product", errs.NotFound)
	}
	if err != nil {
		return "", fmt.Errorf("catalog: %w", err)
	}
	return p.GetId(), nil
}

// Identity is the identity service, asked as the caller (the call carries the caller's
// identity).
type Identity struct {
	Client identityv1.IdentityServiceClient
}

var _ app.Authors = Identity{}

// CallerName implements app.Authors.
func (i Identity) CallerName(ctx context.Context) (string, error) {
	u, err := i.Client.GetMe(ctx, &identityv1.GetMeRequest{})
	if err != nil {
		return "", fmt.Errorf("identity: %w", err)
	}
	return u.GetName(), nil
}
