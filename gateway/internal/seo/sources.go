package seo

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
)

// listPage is how many items each list call asks for (the API's most).
const listPage = 100

// Products lists the catalog's active products, as the catalog's public list shows them.
type Products struct {
	Client catalogv1.CatalogServiceClient
}

// Pages implements Source: /products/<slug>, lastmod the product's updated_at.
func (s Products) Pages(ctx context.Context) ([]Page, error) {
	return allPages(func(page int32) ([]Page, int32, error) {
		res, err := s.Client.ListProducts(ctx, &catalogv1.ListProductsRequest{Page: proto.Int32(page), PerPage: proto.Int32(listPage), Sort: "newest"})
		if err != nil {
			return nil, 0, fmt.Errorf("list products: %w", err)
		}
		out := make([]Page, len(res.GetItems()))
		for i, p := range res.GetItems() {
			out[i] = Page{Path: "/products/" + p.GetSlug(), LastMod: parseTime(p.GetUpdatedAt())}
		}
		return out, res.GetTotal(), nil
	})
}

// allPages walks a paginated list from page 1 until its total (at most MaxURLs pages).
func allPages(list func(page int32) ([]Page, int32, error)) ([]Page, error) {
	var out []Page
	for page := int32(1); len(out) < MaxURLs; page++ {
		items, total, err := list(page)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < listPage || int(page)*listPage >= int(total) {
			break
		}
	}
	return out, nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s) // zero (no lastmod) when absent or malformed
	return t
}

// Posts lists the blog's published posts, as its public list shows them.
type Posts struct {
	Client contentv1.ContentServiceClient
}

// Pages implements Source: /blog/<slug>, lastmod the post's updated_at.
func (s Posts) Pages(ctx context.Context) ([]Page, error) {
	return allPages(func(page int32) ([]Page, int32, error) {
		res, err := s.Client.ListBlogPosts(ctx, &contentv1.ListBlogPostsRequest{Page: proto.Int32(page), PerPage: proto.Int32(listPage)})
		if err != nil {
			return nil, 0, fmt.Errorf("list blog posts: %w", err)
		}
		out := make([]Page, len(res.GetItems()))
		for i, p := range res.GetItems() {
			out[i] = Page{Path: "/blog/" + p.GetSlug(), LastMod: parseTime(p.GetUpdatedAt())}
		}
		return out, res.GetTotal(), nil
	})
}
