package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/services/content/internal/domain"
)

var (
	// ErrSlugTaken: another post holds the slug.
	ErrSlugTaken = fmt.Errorf("%w: a blog post with this slug exists", errs.AlreadyExists)
	// ErrPostNotFound: no post has the slug.
	ErrPostNotFound = fmt.Errorf("%w: no such blog post", errs.NotFound)
)

// PostInput is what an admin sends for a post (create, and update's replaced fields).
type PostInput struct {
	Title, Slug, BodyMarkdown, Excerpt string
	Tags                               []string
	SEOTitle, SEODescription           string
	AuthorName                         string
}

func (in PostInput) draft() domain.Draft {
	return domain.Draft{Title: in.Title, Slug: in.Slug, BodyMarkdown: in.BodyMarkdown, Excerpt: in.Excerpt, Tags: in.Tags,
		SEOTitle: in.SEOTitle, SEODescription: in.SEODescription, AuthorName: in.AuthorName}
}

// CreatePost writes a post; Status is "" or "draft" (a draft) or "published".
type CreatePost struct {
	PostInput
	Status string
}

// CreatePostHandler handles CreatePost.
type CreatePostHandler struct{ d Deps }

// Handle validates the post (every bad field at once), derives the slug from the title when
// none is given, takes the caller's name as the author's when none is given, claims the slug
// and returns the post as created.
func (h CreatePostHandler) Handle(ctx context.Context, cmd CreatePost) (PostView, error) {
	d := cmd.draft().Normalize()
	if d.Slug == "" {
		d.Slug = domain.DeriveSlug(d.Title)
	}
	status := strings.TrimSpace(cmd.Status)
	var v errs.Validation
	d.Validate(&v)
	if status != "" && status != domain.StatusDraft && status != domain.StatusPublished {
		v.Add("status", `must be "draft" or "published"`)
	}
	if err := v.Err(); err != nil {
		return PostView{}, err
	}
	if d.AuthorName == "" {
		name, err := h.d.Authors.CallerName(ctx)
		if err != nil {
			return PostView{}, fmt.Errorf("author name: %w", err)
		}
		d.AuthorName = name
	}
	now := h.d.Clock()
	p, err := domain.CreatePost(newID(), d, reqctx.From(ctx).Actor.UserID, h.d.Renderer, now)
	if err != nil {
		return PostView{}, err
	}
	if status == domain.StatusPublished {
		if err := p.Publish(now); err != nil {
			return PostView{}, err
		}
	}
	if err := h.d.Posts.Save(ctx, p); err != nil {
		return PostView{}, duplicateError(err)
	}
	return viewOf(p), nil
}

// UpdatePost replaces the fields of the post whose slug is Slug (PUT). NewSlug, AuthorName
// and Status change only when set and not empty.
type UpdatePost struct {
	Slug string
	PostInput
	NewSlug *string
	Status  *string
}

// UpdatePostHandler handles UpdatePost.
type UpdatePostHandler struct{ d Deps }

// Handle applies the edit (and the status change, each as its own event) and returns the
// post as the command left it.
func (h UpdatePostHandler) Handle(ctx context.Context, cmd UpdatePost) (PostView, error) {
	in := cmd.PostInput
	in.Slug = ""
	if cmd.NewSlug != nil {
		in.Slug = *cmd.NewSlug
	}
	status := ""
	if cmd.Status != nil {
		status = strings.TrimSpace(*cmd.Status)
	}
	d := in.draft().Normalize()
	var v errs.Validation
	d.Validate(&v)
	for i := range v.Violations {
		if v.Violations[i].Field == "slug" {
			v.Violations[i].Field = "new_slug" // the request's name for it; slug names the post
		}
	}
	if status != "" && status != domain.StatusDraft && status != domain.StatusPublished {
		v.Add("status", `must be "draft" or "published"`)
	}
	if err := v.Err(); err != nil {
		return PostView{}, err
	}
	now := h.d.Clock()
	return h.d.update(ctx, cmd.Slug, func(p *domain.Post) error {
		if err := p.Edit(d, h.d.Renderer, now); err != nil {
			return err
		}
		switch status {
		case domain.StatusPublished:
			return p.Publish(now)
		case domain.StatusDraft:
			return p.Unpublish(now)
		}
		return nil
	})
}

// PublishPost makes the post whose slug is Slug visible to everyone.
type PublishPost struct{ Slug string }

// PublishPostHandler handles PublishPost.
type PublishPostHandler struct{ d Deps }

// Handle publishes the post; a published post is returned as it is.
func (h PublishPostHandler) Handle(ctx context.Context, cmd PublishPost) (PostView, error) {
	now := h.d.Clock()
	return h.d.update(ctx, cmd.Slug, func(p *domain.Post) error { return p.Publish(now) })
}

// UnpublishPost turns the post whose slug is Slug back into a draft.
type UnpublishPost struct{ Slug string }

// UnpublishPostHandler handles UnpublishPost.
type UnpublishPostHandler struct{ d Deps }

// Handle unpublishes the post; a draft is returned as it is.
func (h UnpublishPostHandler) Handle(ctx context.Context, cmd UnpublishPost) (PostView, error) {
	now := h.d.Clock()
	return h.d.update(ctx, cmd.Slug, func(p *domain.Post) error { return p.Unpublish(now) })
}

// DeletePost removes the post whose slug is Slug.
type DeletePost struct{ Slug string }

// DeletePostHandler handles DeletePost.
type DeletePostHandler struct{ d Deps }

// Handle deletes the post and frees its slug. An unknown slug (also one of a post deleted
// before) is not found.
func (h DeletePostHandler) Handle(ctx context.Context, cmd DeletePost) error {
	now := h.d.Clock()
	_, err := h.d.update(ctx, cmd.Slug, func(p *domain.Post) error {
		p.Delete(now)
		return nil
	})
	return err
}

// update finds the post holding slug in the claim index and runs decide on it with retries
// on concurrent writes. A post that lost the slug between the lookup and the load (renamed,
// deleted) is not found.
func (d Deps) update(ctx context.Context, slug string, decide func(*domain.Post) error) (PostView, error) {
	slug = strings.ToLower(strings.TrimSpace(slug))
	if err := domain.ValidateSlug("slug", slug); err != nil {
		return PostView{}, ErrPostNotFound
	}
	stream, err := d.Owners.Owner(ctx, domain.ScopeSlug, slug)
	if err != nil {
		return PostView{}, fmt.Errorf("find blog post %s: %w", slug, err)
	}
	if stream == "" {
		return PostView{}, ErrPostNotFound
	}
	p, err := d.Posts.Update(ctx, stream, func(p *domain.Post) error {
		if p.Deleted() || p.Content().Slug != slug {
			return ErrPostNotFound
		}
		return decide(p)
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return PostView{}, ErrPostNotFound
	}
	if err != nil {
		return PostView{}, duplicateError(err)
	}
	return viewOf(p), nil
}

// duplicateError names the unique value a failed save clashed on.
func duplicateError(err error) error {
	var dup *es.DuplicateError
	if errors.As(err, &dup) && dup.Scope == domain.ScopeSlug {
		return fmt.Errorf("%w: %q", ErrSlugTaken, dup.Value)
	}
	return err
}
