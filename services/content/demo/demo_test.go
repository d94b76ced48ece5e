package demo

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
	"github.com/storefront/storefront/services/content/internal/domain"
	"github.com/storefront/storefront/services/content/internal/markdown"
)

// TestPosts_AreValid: every demo post passes the domain's rules, and the slugs differ.
func TestPosts_AreValid(t *testing.T) {
	posts := Posts()
	if len(posts) < 4 {
		t.Fatalf("%d demo posts", len(posts))
	}
	seen := map[string]bool{}
	for _, p := range posts {
		d := domain.Draft{Title: p.GetTitle(), Slug: p.GetSlug(), BodyMarkdown: p.GetBodyMarkdown(), Tags: p.GetTags(),
			SEOTitle: p.GetSeo().GetTitle(), SEODescription: p.GetSeo().GetDescription(), AuthorName: p.GetAuthorName()}
		if _, err := domain.CreatePost("0190a8e0-0000-7000-8000-000000000001", d, "demo", markdown.New(), time.Now()); err != nil {
			t.Errorf("%s: %v", p.GetSlug(), err)
		}
		if seen[p.GetSlug()] || p.GetStatus() != "published" {
			t.Errorf("%s: repeated, or not published", p.GetSlug())
		}
		seen[p.GetSlug()] = true
	}
}

type fakeClient struct{ slugs map[string]bool }

func (c *fakeClient) CreateBlogPost(_ context.Context, in *contentv1.CreateBlogPostRequest, _ ...grpc.CallOption) (*contentv1.BlogPost, error) {
	if c.slugs[in.GetSlug()] {
		return nil, status.Error(codes.AlreadyExists, "taken")
	}
	c.slugs[in.GetSlug()] = true
	return &contentv1.BlogPost{Slug: in.GetSlug()}, nil
}

func TestLoad_Idempotent(t *testing.T) {
	c := &fakeClient{slugs: map[string]bool{}}
	first, err := Load(context.Background(), c)
	if err != nil || first.Created != len(Posts()) || first.Existing != 0 {
		t.Fatalf("first load %+v %v", first, err)
	}
	again, err := Load(context.Background(), c)
	if err != nil || again.Created != 0 || again.Existing != len(Posts()) {
		t.Fatalf("second load %+v %v", again, err)
	}
}
