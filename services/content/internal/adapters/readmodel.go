package adapters

import (
	"context"
	"errors"
	"fmt"

	"github.com/storefront/storefront/platform/errs"
	readmodel "github.com/storefront/storefront/projections/content"
	"github.com/storefront/storefront/services/content/internal/app"
)

// ReadModel is the app.PostReader over the blog read model that the projector builds
// (projections/content, read schema "blog_posts"). Until the projector's first build the
// read schema does not exist: queries then answer errs.Unavailable (503).
type ReadModel struct {
	Queries *readmodel.Queries
}

var _ app.PostReader = ReadModel{}

// ListPublished implements app.PostReader.
func (r ReadModel) ListPublished(ctx context.Context, tag string, page, perPage int) (app.PostPage, error) {
	p, err := r.Queries.ListPublished(ctx, tag, page, perPage)
	if err != nil {
		return app.PostPage{}, readModelError(err)
	}
	out := app.PostPage{Items: make([]app.PostView, len(p.Items)), Total: p.Total}
	for i, it := range p.Items {
		out.Items[i] = viewOf(it)
	}
	return out, nil
}

// BySlug implements app.PostReader.
func (r ReadModel) BySlug(ctx context.Context, slug string) (app.PostView, error) {
	p, err := r.Queries.BySlug(ctx, slug)
	if err != nil {
		return app.PostView{}, readModelError(err)
	}
	return viewOf(p), nil
}

// readModelError gives the read model's failures their kinds.
func readModelError(err error) error {
	switch {
	case errors.Is(err, readmodel.ErrNotFound):
		return fmt.Errorf("%w: %w", errs.NotFound, err)
	case errors.Is(err, readmodel.ErrNotBuilt):
		return fmt.Errorf("%w: the blog read model is not built yet: %w", errs.Unavailable, err)
	}
	return err
}

func viewOf(p readmodel.Post) app.PostView {
	return app.PostView{
		ID: p.ID, Slug: p.Slug, Title: p.Title, BodyMarkdown: p.BodyMarkdown, BodyHTML: p.BodyHTML, Excerpt: p.Excerpt,
		Tags: p.Tags, AuthorName: p.AuthorName, Status: p.Status, SEOTitle: p.SEOTitle, SEODescription: p.SEODescription,
		PublishedAt: p.PublishedAt, UpdatedAt: p.UpdatedAt,
	}
}
