package adapters

import (
	"context"
	"fmt"

	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	"github.com/storefront/storefront/services/support/internal/app"
)

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
