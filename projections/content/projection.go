package content

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/projector"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
)

// Name is the projection's name, and so the read schema whose view Queries reads.
const Name = "blog_posts"

// Context is the bounded context whose events the projection reads.
const Context = "content"

// postStreams is the prefix of the content context's post streams.
const postStreams = "blogpost-"

// Projection is the blog read model, a projector.BatchProjection whose ApplyBatch queues the
// same statement per event as Apply, in one pipelined round trip.
type Projection struct {
	context    string
	registry   *events.Registry
	statements sync.Map // generation schema → *statements
}

var _ projector.BatchProjection = (*Projection)(nil)

// New returns the projection over the content context's events.
func New() *Projection { return NewForContext(Context) }

// NewForContext returns the projection reading the content events of the bounded context
// named c: tests run it on their own prefixed JetStream streams.
func NewForContext(c string) *Projection {
	return &Projection{context: c, registry: events.NewRegistry().Register(contentv1.PublicEvents()...)}
}

// Name implements projector.Projection.
func (p *Projection) Name() string { return Name }

// Contexts implements projector.Projection.
func (p *Projection) Contexts() []string { return []string{p.context} }

// DDL implements projector.Projection. The indexes serve Queries: a post by slug, and the
// published posts newest first, of all tags or of one. Slugs are not UNIQUE here: a slug
// freed by a deleted post may reach a new post's row before the deletion reaches the old
// one's (streams are ordered, the context's log across streams is not).
func (p *Projection) DDL(string) string {
	return `
CREATE TABLE posts (
    id              uuid PRIMARY KEY,
    slug            text COLLATE "C" NOT NULL,
    title           text NOT NULL,
    body_markdown   text NOT NULL,
    body_html       text NOT NULL,
    excerpt         text NOT NULL,
    tags            text[] NOT NULL,
    author_name     text NOT NULL,
    status          text NOT NULL CHECK (status IN ('draft', 'published')),
    seo_title       text NOT NULL,
    seo_description text NOT NULL,
    created_at      timestamptz NOT NULL,
    published_at    timestamptz,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX posts_slug ON posts (slug);
CREATE INDEX posts_published ON posts (published_at DESC, id) WHERE status = 'published';
CREATE INDEX posts_tags ON posts USING gin (tags) WHERE status = 'published';
`
}

// Apply implements projector.Projection.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error {
	return p.ApplyBatch(ctx, tx, schema, []es.RecordedEvent{ev})
}

// ApplyBatch implements projector.BatchProjection: one statement per event, in order, sent
// as one pipelined batch.
func (p *Projection) ApplyBatch(ctx context.Context, tx pgx.Tx, schema string, evs []es.RecordedEvent) error {
	b, st := &pgx.Batch{}, p.statementsFor(schema)
	for _, ev := range evs {
		if err := p.queue(b, st, ev); err != nil {
			return err
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("blog posts projection: %w", err)
	}
	return nil
}

// The statements of the events ({posts} stands for the generation schema's table).
const (
	insertPost = `INSERT INTO {posts} (id, slug, title, body_markdown, body_html, excerpt, tags, author_name, status,
    seo_title, seo_description, created_at, published_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10, $11, NULL, $11)
ON CONFLICT (id) DO NOTHING`
	editPost = `UPDATE {posts} SET slug = $2, title = $3, body_markdown = $4, body_html = $5, excerpt = $6, tags = $7,
    author_name = $8, seo_title = $9, seo_description = $10, updated_at = $11 WHERE id = $1`
	publishPost   = `UPDATE {posts} SET status = 'published', published_at = $2, updated_at = $2 WHERE id = $1`
	unpublishPost = `UPDATE {posts} SET status = 'draft', published_at = NULL, updated_at = $2 WHERE id = $1`
	deletePost    = `DELETE FROM {posts} WHERE id = $1`
)

// statements are the event statements for one generation schema.
type statements struct{ insert, edit, publish, unpublish, delete string }

func (p *Projection) statementsFor(schema string) *statements {
	if st, ok := p.statements.Load(schema); ok {
		return st.(*statements)
	}
	table := pgx.Identifier{schema, "posts"}.Sanitize()
	q := func(sql string) string { return strings.ReplaceAll(sql, "{posts}", table) }
	st := &statements{insert: q(insertPost), edit: q(editPost), publish: q(publishPost), unpublish: q(unpublishPost), delete: q(deletePost)}
	p.statements.Store(schema, st)
	return st
}

// queue decodes ev and queues its statement; events of other streams queue nothing.
func (p *Projection) queue(b *pgx.Batch, st *statements, ev es.RecordedEvent) error {
	if !strings.HasPrefix(ev.StreamID, postStreams) {
		return nil
	}
	m, err := projector.Decode(p.registry, ev)
	if err != nil {
		return fmt.Errorf("blog posts projection: %w", err)
	}
	at := func(micros int64) time.Time { return time.UnixMicro(micros).UTC() }
	tags := func(t []string) []string {
		if t == nil {
			return []string{}
		}
		return t
	}
	switch e := m.(type) {
	case *contentv1.BlogPostCreated:
		b.Queue(st.insert, e.GetPostId(), e.GetSlug(), e.GetTitle(), e.GetBodyMarkdown(), e.GetBodyHtml(), e.GetExcerpt(),
			tags(e.GetTags()), e.GetAuthorName(), e.GetSeoTitle(), e.GetSeoDescription(), at(e.GetCreatedAt()))
	case *contentv1.BlogPostEdited:
		b.Queue(st.edit, e.GetPostId(), e.GetSlug(), e.GetTitle(), e.GetBodyMarkdown(), e.GetBodyHtml(), e.GetExcerpt(),
			tags(e.GetTags()), e.GetAuthorName(), e.GetSeoTitle(), e.GetSeoDescription(), at(e.GetEditedAt()))
	case *contentv1.BlogPostPublished:
		b.Queue(st.publish, e.GetPostId(), at(e.GetPublishedAt()))
	case *contentv1.BlogPostUnpublished:
		b.Queue(st.unpublish, e.GetPostId(), at(e.GetUnpublishedAt()))
	case *contentv1.BlogPostDeleted:
		b.Queue(st.delete, e.GetPostId())
	default:
		return fmt.Errorf("%w: %s", projector.ErrUnknownEvent, ev.Type)
	}
	return nil
}
