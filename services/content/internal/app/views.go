package app

import (
	"context"
	"time"

	"github.com/storefront/storefront/services/content/internal/domain"
)

// PostReader reads the blog read model (projections/content), which the projector feeds
// from the content context's events. It is eventually consistent: a change shows normally
// within a second. Implementations are safe for concurrent use; a cancelled ctx aborts the
// query with ctx's error. Until the read model is first built they answer errors matching
// errs.Unavailable.
type PostReader interface {
	// ListPublished returns one page of the published posts (of tag, when not empty), newest
	// published first with ties broken by id ascending, and their total. A page past the end
	// has no items and the true total.
	ListPublished(ctx context.Context, tag string, page, perPage int) (PostPage, error)
	// BySlug returns the post, draft or published, or an error matching errs.NotFound.
	BySlug(ctx context.Context, slug string) (PostView, error)
}

// PostPage is one page of a post list.
type PostPage struct {
	Items []PostView
	// Total counts every matching post, on all pages.
	Total int
}

// PostView is a post as clients see it (API.md, "BlogPost").
type PostView struct {
	ID             string
	Slug           string
	Title          string
	BodyMarkdown   string
	BodyHTML       string
	Excerpt        string
	Tags           []string
	AuthorName     string
	Status         string
	SEOTitle       string
	SEODescription string
	// PublishedAt is zero for a draft.
	PublishedAt time.Time
	UpdatedAt   time.Time
}

// viewOf renders a post as the command left it.
func viewOf(p *domain.Post) PostView {
	c := p.Content()
	tags := c.Tags
	if tags == nil {
		tags = []string{}
	}
	return PostView{
		ID: p.ID(), Slug: c.Slug, Title: c.Title, BodyMarkdown: c.BodyMarkdown, BodyHTML: c.BodyHTML, Excerpt: c.Excerpt,
		Tags: tags, AuthorName: c.AuthorName, Status: p.Status(), SEOTitle: c.SEOTitle, SEODescription: c.SEODescription,
		PublishedAt: p.PublishedAt(), UpdatedAt: p.UpdatedAt(),
	}
}
