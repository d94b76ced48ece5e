package adapters

import (
	"context"
	"errors"

	"github.com/storefront/storefront/platform/es"
)

// ClaimOwners finds the owner of a unique value in the event store's claim index.
type ClaimOwners struct {
	Claims es.ClaimReader
}

// Owner implements app.Owners.
func (o ClaimOwners) Owner(ctx context.Context, scope, value string) (string, error) {
	stream, err := o.Claims.ClaimOwner(ctx, es.Claim{Scope: scope, Value: value})
	if errors.Is(err, es.ErrNoClaim) {
		return "", nil
	}
	return stream, err
}
