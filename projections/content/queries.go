package content

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Post is a blog post as the read model holds it.
type Post struct {
	ID             string
	Slug           string
	Title          string
	BodyMarkdown   string
	BodyHTML       string
	Excerpt        string
	Tags           []string
	AuthorName     string
	Status         string // "draft" or "published"
	SEOTitle       string
	SEODescription string
	CreatedAt      time.Time
	// PublishedAt is zero for a draft.
	PublishedAt time.Time
	UpdatedAt   time.Time
}

// Page is one page of published posts.
type Page struct {
	Items []Post
	// Total counts every matching post, on all pages.
	Total int
}

var (
	// ErrNotBuilt means the read model has no active generation yet (the projector has not
	// built it): readers answer "unavailable, try again".
	ErrNotBuilt = errors.New("blog posts: read model not built yet")
	// ErrNotFound means no post has the slug.
	ErrNotFound = errors.New("blog posts: no such post")
)

// Querier is what Queries reads through: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Queries reads the blog read model (the views of the read schema blog_posts). It is safe
// for concurrent use; a cancelled ctx aborts a query with ctx's error.
type Queries struct{ db Querier }

// NewQueries returns Queries reading through db.
func NewQueries(db Querier) *Queries { return &Queries{db: db} }

const columns = `id::text, slug, title, body_markdown, body_html, excerpt, tags, author_name, status, seo_title,
    seo_description, created_at, published_at, updated_at`

// ListPublished returns one page (page ≥ 1, perPage ≥ 1) of the published posts, of tag
// when it is not empty, newest published first with ties broken by id ascending, and how
// many there are. A page past the end has no items and the true total.
func (q *Queries) ListPublished(ctx context.Context, tag string, page, perPage int) (Page, error) {
	where := `status = 'published'`
	args := []any{perPage, (page - 1) * perPage}
	if tag != "" {
		where += ` AND tags @> ARRAY[$3::text]`
		args = append(args, tag)
	}
	rows, err := q.db.Query(ctx, `SELECT `+columns+`, count(*) OVER () FROM `+Name+`.posts WHERE `+where+`
ORDER BY published_at DESC, id LIMIT $1 OFFSET $2`, args...)
	if err != nil {
		return Page{}, readError(err)
	}
	out := Page{Items: []Post{}}
	for rows.Next() {
		var p Post
		var published *time.Time
		var total int
		if err := rows.Scan(&p.ID, &p.Slug, &p.Title, &p.BodyMarkdown, &p.BodyHTML, &p.Excerpt, &p.Tags, &p.AuthorName,
			&p.Status, &p.SEOTitle, &p.SEODescription, &p.CreatedAt, &published, &p.UpdatedAt, &total); err != nil {
			rows.Close()
			return Page{}, readError(err)
		}
		p.PublishedAt, out.Total = timeOf(published), total
		out.Items = append(out.Items, normal(p))
	}
	if err := rows.Err(); err != nil {
		return Page{}, readError(err)
	}
	if len(out.Items) == 0 {
		// Past the end (or nothing at all): the window function had no row to count on.
		if tag == "" {
			err = q.db.QueryRow(ctx, `SELECT count(*) FROM `+Name+`.posts WHERE status = 'published'`).Scan(&out.Total)
		} else {
			err = q.db.QueryRow(ctx, `SELECT count(*) FROM `+Name+`.posts WHERE status = 'published' AND tags @> ARRAY[$1::text]`, tag).Scan(&out.Total)
		}
		if err != nil {
			return Page{}, readError(err)
		}
	}
	return out, nil
}

// BySlug returns the post (draft or published) whose slug is slug, or an error matching
// ErrNotFound. Should two rows hold the slug for a moment (a deletion not yet applied), the
// newer post wins.
func (q *Queries) BySlug(ctx context.Context, slug string) (Post, error) {
	var p Post
	var published *time.Time
	err := q.db.QueryRow(ctx, `SELECT `+columns+` FROM `+Name+`.posts WHERE slug = $1 ORDER BY created_at DESC, id LIMIT 1`, slug).
		Scan(&p.ID, &p.Slug, &p.Title, &p.BodyMarkdown, &p.BodyHTML, &p.Excerpt, &p.Tags, &p.AuthorName,
			&p.Status, &p.SEOTitle, &p.SEODescription, &p.CreatedAt, &published, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Post{}, fmt.Errorf("%w: %s", ErrNotFound, slug)
	}
	if err != nil {
		return Post{}, readError(err)
	}
	p.PublishedAt = timeOf(published)
	return normal(p), nil
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func normal(p Post) Post {
	if p.Tags == nil {
		p.Tags = []string{}
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p
}

// readError turns "the view does not exist" into ErrNotBuilt; other errors are wrapped.
func readError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000") {
		return fmt.Errorf("%w: %v", ErrNotBuilt, err)
	}
	return fmt.Errorf("read blog posts: %w", err)
}
