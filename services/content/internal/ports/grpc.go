// Package ports serves the content use cases over gRPC: it translates protobuf requests into
// commands and queries and results back, nothing more. Errors pass through unchanged; the
// platform interceptor (grpcx) maps them to status codes, with field violations named as the
// JSON fields of the request.
package ports

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
	"github.com/storefront/storefront/services/content/internal/app"
)

// GRPC implements contentv1.ContentServiceServer.
type GRPC struct {
	contentv1.UnimplementedContentServiceServer
	App app.Application
}

// ListBlogPosts implements contentv1.ContentServiceServer.
func (s GRPC) ListBlogPosts(ctx context.Context, r *contentv1.ListBlogPostsRequest) (*contentv1.ListBlogPostsResponse, error) {
	res, page, perPage, err := s.App.Queries.ListPosts.Handle(ctx, app.ListPosts{Page: r.Page, PerPage: r.PerPage, Tag: r.GetTag()})
	if err != nil {
		return nil, err
	}
	out := &contentv1.ListBlogPostsResponse{Items: make([]*contentv1.BlogPost, len(res.Items)), Page: int32(page),
		PerPage: int32(perPage), Total: int32(res.Total)}
	for i, p := range res.Items {
		out.Items[i] = BlogPost(p)
	}
	return out, nil
}

// GetBlogPost implements contentv1.ContentServiceServer.
func (s GRPC) GetBlogPost(ctx context.Context, r *contentv1.GetBlogPostRequest) (*contentv1.BlogPost, error) {
	p, err := s.App.Queries.GetPost.Handle(ctx, app.GetPost{Slug: r.GetSlug()})
	if err != nil {
		return nil, err
	}
	return BlogPost(p), nil
}

// CreateBlogPost implements contentv1.ContentServiceServer.
func (s GRPC) CreateBlogPost(ctx context.Context, r *contentv1.CreateBlogPostRequest) (*contentv1.BlogPost, error) {
	p, err := s.App.Commands.CreatePost.Handle(ctx, app.CreatePost{Status: r.GetStatus(), PostInput: app.PostInput{
		Title: r.GetTitle(), Slug: r.GetSlug(), BodyMarkdown: r.GetBodyMarkdown(), Excerpt: r.GetExcerpt(), Tags: r.GetTags(),
		SEOTitle: r.GetSeo().GetTitle(), SEODescription: r.GetSeo().GetDescription(), AuthorName: r.GetAuthorName(),
	}})
	if err != nil {
		return nil, err
	}
	return BlogPost(p), nil
}

// UpdateBlogPost implements contentv1.ContentServiceServer.
func (s GRPC) UpdateBlogPost(ctx context.Context, r *contentv1.UpdateBlogPostRequest) (*contentv1.BlogPost, error) {
	p, err := s.App.Commands.UpdatePost.Handle(ctx, app.UpdatePost{Slug: r.GetSlug(), NewSlug: r.NewSlug, Status: r.Status,
		PostInput: app.PostInput{Title: r.GetTitle(), BodyMarkdown: r.GetBodyMarkdown(), Excerpt: r.GetExcerpt(), Tags: r.GetTags(),
			SEOTitle: r.GetSeo().GetTitle(), SEODescription: r.GetSeo().GetDescription(), AuthorName: r.GetAuthorName()}})
	if err != nil {
		return nil, err
	}
	return BlogPost(p), nil
}

// PublishBlogPost implements contentv1.ContentServiceServer.
func (s GRPC) PublishBlogPost(ctx context.Context, r *contentv1.PublishBlogPostRequest) (*contentv1.BlogPost, error) {
	p, err := s.App.Commands.PublishPost.Handle(ctx, app.PublishPost{Slug: r.GetSlug()})
	if err != nil {
		return nil, err
	}
	return BlogPost(p), nil
}

// UnpublishBlogPost implements contentv1.ContentServiceServer.
func (s GRPC) UnpublishBlogPost(ctx context.Context, r *contentv1.UnpublishBlogPostRequest) (*contentv1.BlogPost, error) {
	p, err := s.App.Commands.UnpublishPost.Handle(ctx, app.UnpublishPost{Slug: r.GetSlug()})
	if err != nil {
		return nil, err
	}
	return BlogPost(p), nil
}

// DeleteBlogPost implements contentv1.ContentServiceServer.
func (s GRPC) DeleteBlogPost(ctx context.Context, r *contentv1.DeleteBlogPostRequest) (*emptypb.Empty, error) {
	if err := s.App.Commands.DeletePost.Handle(ctx, app.DeletePost{Slug: r.GetSlug()}); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// BlogPost renders a post for clients.
func BlogPost(p app.PostView) *contentv1.BlogPost {
	published := ""
	if !p.PublishedAt.IsZero() {
		published = timestamp(p.PublishedAt)
	}
	tags := p.Tags
	if tags == nil {
		tags = []string{}
	}
	return &contentv1.BlogPost{
		Id: p.ID, Slug: p.Slug, Title: p.Title, BodyMarkdown: p.BodyMarkdown, BodyHtml: p.BodyHTML, Excerpt: p.Excerpt,
		Tags: tags, AuthorName: p.AuthorName, Status: p.Status,
		Seo:         &contentv1.Seo{Title: p.SEOTitle, Description: p.SEODescription},
		PublishedAt: published, UpdatedAt: timestamp(p.UpdatedAt),
	}
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
