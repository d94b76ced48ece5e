package app_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	readmodel "github.com/storefront/storefront/projections/content"
	"github.com/storefront/storefront/services/content/internal/adapters"
	"github.com/storefront/storefront/services/content/internal/app"
	"github.com/storefront/storefront/services/content/internal/domain"
	"github.com/storefront/storefront/services/content/internal/markdown"
)

// authors is an app.Authors that names every caller "Ada Admin", counting its calls.
type authors struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (a *authors) CallerName(context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	return "Ada Admin", a.err
}

// env is the application on its own PostgreSQL database: the content event store and claim
// index, and the blog read model, which refresh rebuilds from the store (the projector's
// rebuild, without JetStream).
type env struct {
	app     app.Application
	store   *postgres.Store
	rt      *projector.Runtime
	authors *authors
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t, postgres.Migrations("content"), projector.Migrations())
	store, err := postgres.New(db.Pool, "content")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := projector.New(projector.Config{Pool: db.Pool, Stores: map[string]es.LogReader{"content": store}}, readmodel.New())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clock := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	e := &env{store: store, rt: rt, authors: &authors{}}
	e.app = app.New(app.Deps{
		Posts:    aggregate.NewStore(store, domain.Registry(), domain.NewPost),
		Owners:   adapters.ClaimOwners{Claims: store},
		Authors:  e.authors,
		Reader:   adapters.ReadModel{Queries: readmodel.NewQueries(db.Pool)},
		Renderer: markdown.New(),
		Clock: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(time.Minute)
			return clock
		},
	})
	return e
}

// refresh brings the read model up to the event store.
func (e *env) refresh(t *testing.T) {
	t.Helper()
	if err := e.rt.Rebuild(context.Background(), readmodel.Name); err != nil {
		t.Fatal(err)
	}
}

func (e *env) events(t *testing.T) int {
	t.Helper()
	evs, err := e.store.ReadAll(context.Background(), es.Position{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

var (
	admin    = reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: "0190a8e0-0000-7000-8000-0000000000ad", Role: "admin"}})
	customer = reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: "0190a8e0-0000-7000-8000-0000000000c1", Role: "customer"}})
	anyone   = context.Background()
)

func post(title string, tags ...string) app.CreatePost {
	return app.CreatePost{PostInput: app.PostInput{Title: title, BodyMarkdown: "# " + title + "\n\nSome **bold** words. <script>x()</script>",
		Tags: tags}}
}

func fieldsOf(err error) []string {
	var v *errs.Validation
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for _, x := range v.Violations {
		out = append(out, x.Field)
	}
	return out
}

func TestCreatePost_DraftHiddenUntilPublished(t *testing.T) {
	e := newEnv(t)
	p, err := e.app.Commands.CreatePost.Handle(admin, post("Hello, Go!", "Go", "tooling"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Slug != "hello-go" || p.Status != domain.StatusDraft || p.AuthorName != "Ada Admin" || !p.PublishedAt.IsZero() {
		t.Fatalf("created %+v", p)
	}
	if strings.Contains(p.BodyHTML, "<script") || !strings.Contains(p.BodyHTML, "<strong>bold</strong>") {
		t.Fatalf("body_html %q", p.BodyHTML)
	}
	if p.Excerpt != "Hello, Go! Some bold words. x()" || !cmp.Equal(p.Tags, []string{"go", "tooling"}) {
		t.Fatalf("excerpt %q, tags %v", p.Excerpt, p.Tags)
	}
	e.refresh(t)
	for name, ctx := range map[string]context.Context{"anonymous": anyone, "customer": customer} {
		if _, err := e.app.Queries.GetPost.Handle(ctx, app.GetPost{Slug: "hello-go"}); !errors.Is(err, errs.NotFound) {
			t.Errorf("%s reads a draft: %v", name, err)
		}
	}
	got, err := e.app.Queries.GetPost.Handle(admin, app.GetPost{Slug: "hello-go"})
	if err != nil || got.ID != p.ID {
		t.Fatalf("admin reads the draft: %+v %v", got, err)
	}
	if page, _, _, err := e.app.Queries.ListPosts.Handle(anyone, app.ListPosts{}); err != nil || page.Total != 0 {
		t.Fatalf("list with only a draft: %+v %v", page, err)
	}

	pub, err := e.app.Commands.PublishPost.Handle(admin, app.PublishPost{Slug: "hello-go"})
	if err != nil || pub.Status != domain.StatusPublished || pub.PublishedAt.IsZero() {
		t.Fatalf("publish: %+v %v", pub, err)
	}
	e.refresh(t)
	got, err = e.app.Queries.GetPost.Handle(anyone, app.GetPost{Slug: "Hello-Go"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pub, got); diff != "" {
		t.Fatalf("read model vs command answer (-command +read):\n%s", diff)
	}
}

func TestCreatePost_SlugTaken_Conflict(t *testing.T) {
	e := newEnv(t)
	if _, err := e.app.Commands.CreatePost.Handle(admin, post("Same title")); err != nil {
		t.Fatal(err)
	}
	before := e.events(t)
	_, err := e.app.Commands.CreatePost.Handle(admin, post("Same title"))
	if !errors.Is(err, app.ErrSlugTaken) || !errors.Is(err, errs.AlreadyExists) {
		t.Fatalf("derived slug taken: %v", err)
	}
	given := post("Other title")
	given.Slug = "same-title"
	if _, err := e.app.Commands.CreatePost.Handle(admin, given); !errors.Is(err, errs.AlreadyExists) {
		t.Fatalf("given slug taken: %v", err)
	}
	if e.events(t) != before {
		t.Fatal("a refused create wrote events")
	}
}

func TestCreatePost_Invalid_ChangesNothing(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		cmd    app.CreatePost
		fields []string
	}{
		{"empty", app.CreatePost{}, []string{"title", "body_markdown"}},
		{"bad status", func() app.CreatePost { c := post("T"); c.Status = "live"; return c }(), []string{"status"}},
		{"bad slug and tags", func() app.CreatePost {
			c := post("T", "ok", "not ok")
			c.Slug = "Not_A_Slug"
			return c
		}(), []string{"slug", "tags[1]"}},
		{"too long SEO", func() app.CreatePost {
			c := post("T")
			c.SEOTitle, c.SEODescription = strings.Repeat("t", 71), strings.Repeat("d", 161)
			return c
		}(), []string{"seo.title", "seo.description"}},
		{"body over 100 KB", func() app.CreatePost { c := post("T"); c.BodyMarkdown = strings.Repeat("x", 100*1024+1); return c }(),
			[]string{"body_markdown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.app.Commands.CreatePost.Handle(admin, tt.cmd)
			if diff := cmp.Diff(tt.fields, fieldsOf(err)); diff != "" {
				t.Fatalf("fields (-want +got):\n%s (err %v)", diff, err)
			}
		})
	}
	if n := e.events(t); n != 0 {
		t.Fatalf("%d events written by invalid commands", n)
	}
	if e.authors.calls != 0 {
		t.Fatal("identity was asked for invalid commands")
	}
}

func TestCreatePost_GivenAuthorAndPublishedAtOnce(t *testing.T) {
	e := newEnv(t)
	c := post("Straight out")
	c.AuthorName, c.Status, c.Excerpt = "Grace Hopper", "published", "Given excerpt."
	p, err := e.app.Commands.CreatePost.Handle(admin, c)
	if err != nil {
		t.Fatal(err)
	}
	if p.AuthorName != "Grace Hopper" || p.Status != domain.StatusPublished || p.Excerpt != "Given excerpt." || e.authors.calls != 0 {
		t.Fatalf("post %+v, identity calls %d", p, e.authors.calls)
	}
	e.authors.err = errors.New("identity down")
	if _, err := e.app.Commands.CreatePost.Handle(admin, post("Nobody")); err == nil {
		t.Fatal("created a post without an author name")
	}
}

func TestUpdatePost(t *testing.T) {
	e := newEnv(t)
	if _, err := e.app.Commands.CreatePost.Handle(admin, post("First", "go")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Commands.CreatePost.Handle(admin, post("Second")); err != nil {
		t.Fatal(err)
	}
	newSlug, published := "first-renamed", "published"
	p, err := e.app.Commands.UpdatePost.Handle(admin, app.UpdatePost{Slug: "first", NewSlug: &newSlug, Status: &published,
		PostInput: app.PostInput{Title: "First, renamed", BodyMarkdown: "New *body*.", Tags: []string{"rust"}}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Slug != "first-renamed" || p.Title != "First, renamed" || p.Status != "published" || p.Excerpt != "New body." ||
		p.AuthorName != "Ada Admin" || !cmp.Equal(p.Tags, []string{"rust"}) {
		t.Fatalf("updated %+v", p)
	}
	// The old slug is free, the new one is the post's.
	if _, err := e.app.Commands.PublishPost.Handle(admin, app.PublishPost{Slug: "first"}); !errors.Is(err, errs.NotFound) {
		t.Fatalf("old slug: %v", err)
	}
	if _, err := e.app.Commands.CreatePost.Handle(admin, post("First")); err != nil {
		t.Fatalf("reusing the freed slug: %v", err)
	}
	taken := "second"
	before := e.events(t)
	_, err = e.app.Commands.UpdatePost.Handle(admin, app.UpdatePost{Slug: "first-renamed", NewSlug: &taken,
		PostInput: app.PostInput{Title: "T", BodyMarkdown: "B"}})
	if !errors.Is(err, errs.AlreadyExists) {
		t.Fatalf("renaming onto a taken slug: %v", err)
	}
	bad := "Bad Slug"
	_, err = e.app.Commands.UpdatePost.Handle(admin, app.UpdatePost{Slug: "first-renamed", NewSlug: &bad, PostInput: app.PostInput{BodyMarkdown: "B"}})
	if diff := cmp.Diff([]string{"title", "new_slug"}, fieldsOf(err)); diff != "" {
		t.Fatalf("invalid update fields (-want +got):\n%s", diff)
	}
	if _, err := e.app.Commands.UpdatePost.Handle(admin, app.UpdatePost{Slug: "no-such-post", PostInput: app.PostInput{Title: "T", BodyMarkdown: "B"}}); !errors.Is(err, errs.NotFound) {
		t.Fatalf("unknown post: %v", err)
	}
	if e.events(t) != before {
		t.Fatal("refused updates wrote events")
	}
}

func TestUnpublishAndDelete(t *testing.T) {
	e := newEnv(t)
	c := post("Gone soon", "go")
	c.Status = "published"
	if _, err := e.app.Commands.CreatePost.Handle(admin, c); err != nil {
		t.Fatal(err)
	}
	p, err := e.app.Commands.UnpublishPost.Handle(admin, app.UnpublishPost{Slug: "gone-soon"})
	if err != nil || p.Status != domain.StatusDraft || !p.PublishedAt.IsZero() {
		t.Fatalf("unpublish: %+v %v", p, err)
	}
	e.refresh(t)
	if _, err := e.app.Queries.GetPost.Handle(anyone, app.GetPost{Slug: "gone-soon"}); !errors.Is(err, errs.NotFound) {
		t.Fatalf("unpublished post visible: %v", err)
	}
	if err := e.app.Commands.DeletePost.Handle(admin, app.DeletePost{Slug: "gone-soon"}); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Commands.DeletePost.Handle(admin, app.DeletePost{Slug: "gone-soon"}); !errors.Is(err, errs.NotFound) {
		t.Fatalf("second delete: %v", err)
	}
	e.refresh(t)
	if _, err := e.app.Queries.GetPost.Handle(admin, app.GetPost{Slug: "gone-soon"}); !errors.Is(err, errs.NotFound) {
		t.Fatalf("deleted post readable by an admin: %v", err)
	}
	if _, err := e.app.Commands.CreatePost.Handle(admin, post("Gone soon")); err != nil {
		t.Fatalf("the deleted post's slug is not free: %v", err)
	}
}

func TestListPosts(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		title string
		tags  []string
	}{{"One", []string{"go"}}, {"Two", []string{"rust"}}, {"Three", []string{"go", "rust"}}, {"Draft", []string{"go"}}} {
		c := post(tt.title, tt.tags...)
		if tt.title != "Draft" {
			c.Status = "published"
		}
		if _, err := e.app.Commands.CreatePost.Handle(admin, c); err != nil {
			t.Fatal(err)
		}
	}
	e.refresh(t)
	one := int32(1)
	two := int32(2)
	slugs := func(p app.PostPage) (out []string) {
		for _, it := range p.Items {
			out = append(out, it.Slug)
		}
		return out
	}
	tests := []struct {
		name  string
		q     app.ListPosts
		want  []string
		total int
	}{
		{"all, newest published first", app.ListPosts{}, []string{"three", "two", "one"}, 3},
		{"by tag", app.ListPosts{Tag: "Go"}, []string{"three", "one"}, 2},
		{"paginated", app.ListPosts{Page: &two, PerPage: &one}, []string{"two"}, 3},
		{"past the end", app.ListPosts{Page: &two, PerPage: &two, Tag: "rust"}, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, _, _, err := e.app.Queries.ListPosts.Handle(anyone, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, slugs(page)); diff != "" || page.Total != tt.total {
				t.Fatalf("total %d, want %d (-want +got):\n%s", page.Total, tt.total, diff)
			}
		})
	}
	zero, big := int32(0), int32(101)
	_, _, _, err := e.app.Queries.ListPosts.Handle(anyone, app.ListPosts{Page: &zero, PerPage: &big, Tag: "no tags here"})
	if diff := cmp.Diff([]string{"page", "per_page", "tag"}, fieldsOf(err)); diff != "" {
		t.Fatalf("invalid list fields (-want +got):\n%s", diff)
	}
}

func TestReads_BeforeTheFirstBuild_Unavailable(t *testing.T) {
	e := newEnv(t)
	if _, _, _, err := e.app.Queries.ListPosts.Handle(anyone, app.ListPosts{}); !errors.Is(err, errs.Unavailable) {
		t.Fatalf("list: %v", err)
	}
	if _, err := e.app.Queries.GetPost.Handle(anyone, app.GetPost{Slug: "x"}); !errors.Is(err, errs.Unavailable) {
		t.Fatalf("get: %v", err)
	}
}
