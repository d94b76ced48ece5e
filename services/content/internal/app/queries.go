package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/services/content/internal/domain"
)

// Pagination of API.md, "Lists".
const (
	DefaultPerPage = 24
	MaxPerPage     = 100
)

// ListPosts lists published posts; nil Page and PerPage take the defaults.
type ListPosts struct {
	Page, PerPage *int32
	Tag           string
}

// ListPostsHandler handles ListPosts.
type ListPostsHandler struct{ d Deps }

// Handle validates the page and tag (every bad one at once) and reads the page. It returns
// the page and per_page it used.
func (h ListPostsHandler) Handle(ctx context.Context, q ListPosts) (PostPage, int, int, error) {
	var v errs.Validation
	page, perPage := 1, DefaultPerPage
	if q.Page != nil {
		if *q.Page < 1 {
			v.Add("page", "must be at least 1")
		}
		page = int(*q.Page)
	}
	if q.PerPage != nil {
		if *q.PerPage < 1 || *q.PerPage > MaxPerPage {
			v.Addf("per_page", "must be between 1 and %d", MaxPerPage)
		}
		perPage = int(*q.PerPage)
	}
	tag := strings.ToLower(strings.TrimSpace(q.Tag))
	if tag != "" {
		if err := domain.ValidateTag("tag", tag); err != nil {
			var ve *errs.Validation
			errors.As(err, &ve)
			v.Violations = append(v.Violations, ve.Violations...)
		}
	}
	if err := v.Err(); err != nil {
		return PostPage{}, page, perPage, err
	}
	res, err := h.d.Reader.ListPublished(ctx, tag, page, perPage)
	if err != nil {
		return PostPage{}, page, perPage, fmt.Errorf("list blog posts: %w", err)
	}
	return res, page, perPage, nil
}

// GetPost reads one post by slug.
type GetPost struct{ Slug string }

// GetPostHandler handles GetPost.
type GetPostHandler struct{ d Deps }

// Handle returns the post. A draft is not found unless the caller is an admin, so that
// drafts cannot be discovered.
func (h GetPostHandler) Handle(ctx context.Context, q GetPost) (PostView, error) {
	slug := strings.ToLower(strings.TrimSpace(q.Slug))
	if domain.ValidateSlug("slug", slug) != nil {
		return PostView{}, ErrPostNotFound
	}
	p, err := h.d.Reader.BySlug(ctx, slug)
	if errors.Is(err, errs.NotFound) {
		return PostView{}, ErrPostNotFound
	}
	if err != nil {
		return PostView{}, fmt.Errorf("get blog post: %w", err)
	}
	if p.Status != domain.StatusPublished && !reqctx.From(ctx).Actor.IsAdmin() {
		return PostView{}, ErrPostNotFound
	}
	return p, nil
}
