package adapters

import (
	"context"
	"fmt"

	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	"github.com/storefront/storefront/services/content/internal/app"
)

// Identity asks the identity service who the caller is (the call carries the caller's
// identity, as every call inside the fleet does).
type Identity struct {
	Client identityv1.IdentityServiceClient
}

var _ app.Authors = Identity{}

// CallerName implements app.Authors.
func (i Identity) CallerName(ctx context.Context) (string, error) {
	u, err := i.Client.GetMe(ctx, &identityv1.GetMeRequest{})
	if err != nil {
		return "", fmt.Errorf("identity GetMe: %w", err)
	}
	return u.GetName(), nil
}
