package domain

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
)

// Post statuses, as clients see them.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
)

// ErrPostDeleted: the post was deleted; it takes no further commands. Clients see it as an
// unknown post.
var ErrPostDeleted = fmt.Errorf("%w: no such blog post", errs.NotFound)

// Renderer turns a post's Markdown into sanitised HTML and its plain text (for the excerpt).
// It must be deterministic: its output is recorded in the events.
type Renderer interface {
	Render(markdown string) (html, text string, err error)
}

// PostStream is the stream id of a post.
func PostStream(postID string) string { return "blogpost-" + postID }

// Content is a post's text and metadata as readers see it.
type Content struct {
	Draft
	BodyHTML string
	// ExcerptGiven is true when the admin wrote the excerpt; a derived one follows the body.
	ExcerptGiven bool
}

// Post is a blog post: written by an admin in Markdown, a draft until published. Its slug is
// claimed while the post exists.
type Post struct {
	aggregate.Changes
	id          string
	content     Content
	authorID    string
	published   bool
	deleted     bool
	createdAt   time.Time
	publishedAt time.Time
	updatedAt   time.Time
}

// NewPost returns an empty post for the stream id, for loading.
func NewPost(streamID string) *Post { return &Post{id: streamID[len("blogpost-"):]} }

// CreatePost records a new draft. d must carry a slug and an author name; every bad field is
// reported at once. The slug is claimed: saving fails with es.ErrDuplicate when another post
// holds it.
func CreatePost(id string, d Draft, authorID string, r Renderer, now time.Time) (*Post, error) {
	d = d.Normalize()
	var v errs.Validation
	d.Validate(&v)
	if d.Slug == "" {
		v.Add("slug", "is required: the title has no letter or digit to derive one from")
	}
	if d.AuthorName == "" {
		v.Add("author_name", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	c, err := render(d, r)
	if err != nil {
		return nil, err
	}
	p := NewPost(PostStream(id))
	p.Claim(ScopeSlug, c.Slug)
	p.record(&contentv1.BlogPostCreated{
		PostId: id, Slug: c.Slug, Title: c.Title, BodyMarkdown: c.BodyMarkdown, BodyHtml: c.BodyHTML, Excerpt: c.Excerpt,
		ExcerptGiven: c.ExcerptGiven, Tags: c.Tags, AuthorId: authorID, AuthorName: c.AuthorName,
		SeoTitle: c.SEOTitle, SeoDescription: c.SEODescription, CreatedAt: now.UnixMicro(),
	})
	return p, nil
}

// render derives the HTML and, when not given, the excerpt of a valid draft.
func render(d Draft, r Renderer) (Content, error) {
	html, text, err := r.Render(d.BodyMarkdown)
	if err != nil {
		return Content{}, err
	}
	c := Content{Draft: d, BodyHTML: html, ExcerptGiven: d.Excerpt != ""}
	if !c.ExcerptGiven {
		c.Excerpt = DeriveExcerpt(text)
	}
	return c, nil
}

// Getters.
func (p *Post) ID() string             { return p.id }
func (p *Post) Content() Content       { return p.content }
func (p *Post) AuthorID() string       { return p.authorID }
func (p *Post) Published() bool        { return p.published }
func (p *Post) Deleted() bool          { return p.deleted }
func (p *Post) CreatedAt() time.Time   { return p.createdAt }
func (p *Post) PublishedAt() time.Time { return p.publishedAt }
func (p *Post) UpdatedAt() time.Time   { return p.updatedAt }

// Status is "draft" or "published".
func (p *Post) Status() string {
	if p.published {
		return StatusPublished
	}
	return StatusDraft
}

// StreamID implements aggregate.Root.
func (p *Post) StreamID() string { return PostStream(p.id) }

// Edit replaces the post's fields; an empty d.Slug or d.AuthorName keeps the post's. A
// changed slug is claimed and the old one released. An edit that changes nothing records
// nothing.
func (p *Post) Edit(d Draft, r Renderer, now time.Time) error {
	if p.deleted {
		return ErrPostDeleted
	}
	d = d.Normalize()
	var v errs.Validation
	d.Validate(&v)
	if err := v.Err(); err != nil {
		return err
	}
	old := p.content
	if d.Slug == "" {
		d.Slug = old.Slug
	}
	if d.AuthorName == "" {
		d.AuthorName = old.AuthorName
	}
	c, err := render(d, r)
	if err != nil {
		return err
	}
	var changed []string
	add := func(name string, differs bool) {
		if differs {
			changed = append(changed, name)
		}
	}
	add("slug", c.Slug != old.Slug)
	add("title", c.Title != old.Title)
	add("body_markdown", c.BodyMarkdown != old.BodyMarkdown)
	add("excerpt", c.Excerpt != old.Excerpt || c.ExcerptGiven != old.ExcerptGiven)
	add("tags", !slices.Equal(c.Tags, old.Tags))
	add("author_name", c.AuthorName != old.AuthorName)
	add("seo_title", c.SEOTitle != old.SEOTitle)
	add("seo_description", c.SEODescription != old.SEODescription)
	if len(changed) == 0 {
		return nil
	}
	if c.Slug != old.Slug {
		p.Release(ScopeSlug, old.Slug)
		p.Claim(ScopeSlug, c.Slug)
	}
	p.record(&contentv1.BlogPostEdited{
		PostId: p.id, Slug: c.Slug, Title: c.Title, BodyMarkdown: c.BodyMarkdown, BodyHtml: c.BodyHTML, Excerpt: c.Excerpt,
		ExcerptGiven: c.ExcerptGiven, Tags: c.Tags, AuthorName: c.AuthorName, SeoTitle: c.SEOTitle,
		SeoDescription: c.SEODescription, Changed: changed, EditedAt: now.UnixMicro(),
	})
	return nil
}

// Publish makes a draft visible to everyone; a published post stays as it is.
func (p *Post) Publish(now time.Time) error {
	if p.deleted {
		return ErrPostDeleted
	}
	if !p.published {
		p.record(&contentv1.BlogPostPublished{PostId: p.id, PublishedAt: now.UnixMicro()})
	}
	return nil
}

// Unpublish turns a published post back into a draft; a draft stays as it is.
func (p *Post) Unpublish(now time.Time) error {
	if p.deleted {
		return ErrPostDeleted
	}
	if p.published {
		p.record(&contentv1.BlogPostUnpublished{PostId: p.id, UnpublishedAt: now.UnixMicro()})
	}
	return nil
}

// Delete removes the post and frees its slug. Deleting a deleted post changes nothing.
func (p *Post) Delete(now time.Time) {
	if p.deleted {
		return
	}
	p.Release(ScopeSlug, p.content.Slug)
	p.record(&contentv1.BlogPostDeleted{PostId: p.id, Slug: p.content.Slug, DeletedAt: now.UnixMicro()})
}

func (p *Post) record(e proto.Message) {
	_ = p.Apply(e)
	p.Record(e)
}

// Apply implements aggregate.Root.
func (p *Post) Apply(e proto.Message) error {
	at := func(micros int64) time.Time { return time.UnixMicro(micros).UTC() }
	switch e := e.(type) {
	case *contentv1.BlogPostCreated:
		p.content = Content{Draft: Draft{Title: e.GetTitle(), Slug: e.GetSlug(), BodyMarkdown: e.GetBodyMarkdown(),
			Excerpt: e.GetExcerpt(), Tags: e.GetTags(), SEOTitle: e.GetSeoTitle(), SEODescription: e.GetSeoDescription(),
			AuthorName: e.GetAuthorName()}, BodyHTML: e.GetBodyHtml(), ExcerptGiven: e.GetExcerptGiven()}
		p.authorID = e.GetAuthorId()
		p.createdAt = at(e.GetCreatedAt())
		p.updatedAt = p.createdAt
	case *contentv1.BlogPostEdited:
		p.content = Content{Draft: Draft{Title: e.GetTitle(), Slug: e.GetSlug(), BodyMarkdown: e.GetBodyMarkdown(),
			Excerpt: e.GetExcerpt(), Tags: e.GetTags(), SEOTitle: e.GetSeoTitle(), SEODescription: e.GetSeoDescription(),
			AuthorName: e.GetAuthorName()}, BodyHTML: e.GetBodyHtml(), ExcerptGiven: e.GetExcerptGiven()}
		p.updatedAt = at(e.GetEditedAt())
	case *contentv1.BlogPostPublished:
		p.published = true
		p.publishedAt = at(e.GetPublishedAt())
		p.updatedAt = p.publishedAt
	case *contentv1.BlogPostUnpublished:
		p.published = false
		p.publishedAt = time.Time{}
		p.updatedAt = at(e.GetUnpublishedAt())
	case *contentv1.BlogPostDeleted:
		p.deleted = true
		p.updatedAt = at(e.GetDeletedAt())
	default:
		return fmt.Errorf("blog post: unexpected event %T", e)
	}
	return nil
}
