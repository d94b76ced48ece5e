package domain

import (
	"context"
	"testing"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
)

// capture is an es.Store that records the claims and releases of each append.
type capture struct {
	es.Store
	claims, releases *[]es.Claim
}

func (c capture) Append(ctx context.Context, stream string, expected es.ExpectedVersion, data []es.EventData, opts ...es.AppendOption) (es.AppendResult, error) {
	var o es.AppendOptions
	for _, opt := range opts {
		opt(&o)
	}
	*c.claims = append(*c.claims, o.Claims...)
	*c.releases = append(*c.releases, o.Releases...)
	return c.Store.Append(ctx, stream, expected, data, opts...)
}

// claimsOf saves the post's pending changes and returns the claims and releases the save
// made (nil when none).
func claimsOf(t *testing.T, p *Post) (claims, releases []es.Claim) {
	t.Helper()
	s := aggregate.NewStore(capture{Store: memstore.New(), claims: &claims, releases: &releases}, Registry(), NewPost)
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return claims, releases
}
