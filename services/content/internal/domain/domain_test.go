package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
)

var now = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

const postID = "0190a8e0-0000-7000-8000-000000000001"

// echo renders Markdown as one paragraph of itself: deterministic and easy to read in tests.
type echo struct{}

func (echo) Render(md string) (string, string, error) { return "<p>" + md + "</p>", md, nil }

type broken struct{}

func (broken) Render(string) (string, string, error) { return "", "", errors.New("renderer broke") }

func draft() Draft {
	return Draft{Title: "Why Go?", Slug: "why-go", BodyMarkdown: "Because.", Tags: []string{"go"}, AuthorName: "Ada"}
}

func fields(err error) []string {
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

func TestCreatePost_Invalid_ReportsEveryField(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name   string
		edit   func(*Draft)
		fields []string
	}{
		{"no title", func(d *Draft) { d.Title = "  " }, []string{"title"}},
		{"title too long", func(d *Draft) { d.Title = long(MaxTitleLen + 1) }, []string{"title"}},
		{"title with control characters", func(d *Draft) { d.Title = "a\x07b" }, []string{"title"}},
		{"title not UTF-8", func(d *Draft) { d.Title = "a\xffb" }, []string{"title"}},
		{"slug with spaces", func(d *Draft) { d.Slug = "why go" }, []string{"slug"}},
		{"slug with double hyphen", func(d *Draft) { d.Slug = "why--go" }, []string{"slug"}},
		{"slug ends in a hyphen", func(d *Draft) { d.Slug = "why-" }, []string{"slug"}},
		{"slug too long", func(d *Draft) { d.Slug = long(MaxSlugLen + 1) }, []string{"slug"}},
		{"no slug, none derivable", func(d *Draft) { d.Slug = "" }, []string{"slug"}},
		{"no body", func(d *Draft) { d.BodyMarkdown = " \n " }, []string{"body_markdown"}},
		{"body too large", func(d *Draft) { d.BodyMarkdown = long(MaxBodyBytes + 1) }, []string{"body_markdown"}},
		{"body with NUL", func(d *Draft) { d.BodyMarkdown = "a\x00b" }, []string{"body_markdown"}},
		{"body not UTF-8", func(d *Draft) { d.BodyMarkdown = "a\xffb" }, []string{"body_markdown"}},
		{"excerpt too long", func(d *Draft) { d.Excerpt = long(MaxExcerptLen + 1) }, []string{"excerpt"}},
		{"too many tags", func(d *Draft) { d.Tags = strings.Split("a b c d e f g h i j k", " ") }, []string{"tags"}},
		{"tag too long", func(d *Draft) { d.Tags = []string{"go", long(MaxTagLen + 1)} }, []string{"tags[1]"}},
		{"tag with a space", func(d *Draft) { d.Tags = []string{"dev boards"} }, []string{"tags[0]"}},
		{"empty tag", func(d *Draft) { d.Tags = []string{" "} }, []string{"tags[0]"}},
		{"SEO title too long", func(d *Draft) { d.SEOTitle = long(MaxSEOTitleLen + 1) }, []string{"seo.title"}},
		{"SEO description too long", func(d *Draft) { d.SEODescription = long(MaxSEODescriptionLen + 1) }, []string{"seo.description"}},
		{"no author", func(d *Draft) { d.AuthorName = "" }, []string{"author_name"}},
		{"author too long", func(d *Draft) { d.AuthorName = long(MaxAuthorNameLen + 1) }, []string{"author_name"}},
		{"everything at once", func(d *Draft) { *d = Draft{Slug: "-", Excerpt: long(501)} },
			[]string{"title", "slug", "body_markdown", "excerpt", "author_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := draft()
			tt.edit(&d)
			if tt.name == "no slug, none derivable" {
				d.Title = "???"
			}
			p, err := CreatePost(postID, d, "admin-1", echo{}, now)
			if !errors.Is(err, errs.InvalidArgument) {
				t.Fatalf("err = %v, want invalid argument", err)
			}
			if p != nil {
				t.Fatalf("a post was returned for invalid input")
			}
			if diff := cmp.Diff(tt.fields, fields(err)); diff != "" {
				t.Fatalf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreatePost_LimitsAreInclusive(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	d := Draft{Title: long(MaxTitleLen), Slug: strings.Repeat("a", MaxSlugLen), BodyMarkdown: strings.Repeat("b", MaxBodyBytes),
		Excerpt: long(MaxExcerptLen), Tags: strings.Split("a b c d e f g h i "+strings.Repeat("t", MaxTagLen), " "),
		SEOTitle: long(MaxSEOTitleLen), SEODescription: long(MaxSEODescriptionLen), AuthorName: long(MaxAuthorNameLen)}
	if _, err := CreatePost(postID, d, "admin-1", echo{}, now); err != nil {
		t.Fatalf("a post at every limit: %v", err)
	}
}

func TestCreatePost_RecordsTheDraftAndClaimsTheSlug(t *testing.T) {
	d := Draft{Title: "  Why Go? ", Slug: " Why-Go ", BodyMarkdown: "Because.", Tags: []string{"Go", " go", "tooling"},
		SEOTitle: "Go", SEODescription: "Why we use Go", AuthorName: " Ada "}
	p, err := CreatePost(postID, d, "admin-1", echo{}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []proto.Message{&contentv1.BlogPostCreated{PostId: postID, Slug: "why-go", Title: "Why Go?", BodyMarkdown: "Because.",
		BodyHtml: "<p>Because.</p>", Excerpt: "Because.", Tags: []string{"go", "tooling"}, AuthorId: "admin-1", AuthorName: "Ada",
		SeoTitle: "Go", SeoDescription: "Why we use Go", CreatedAt: now.UnixMicro()}}
	if diff := cmp.Diff(want, p.Pending(), protocmp.Transform()); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	if p.Status() != StatusDraft || !p.PublishedAt().IsZero() || p.StreamID() != "blogpost-"+postID {
		t.Fatalf("status %s, published_at %v, stream %s", p.Status(), p.PublishedAt(), p.StreamID())
	}
	if claims, _ := claimsOf(t, p); !cmp.Equal([]es.Claim{{Scope: ScopeSlug, Value: "why-go"}}, claims) {
		t.Fatalf("claims %v", claims)
	}
}

func TestCreatePost_RendererFails_RecordsNothing(t *testing.T) {
	if _, err := CreatePost(postID, draft(), "admin-1", broken{}, now); err == nil {
		t.Fatal("a post was created although its body could not be rendered")
	}
}

func TestExcerpt_DerivedUnlessGiven(t *testing.T) {
	body := strings.Repeat("word ", 100)
	d := draft()
	d.BodyMarkdown = body
	p, err := CreatePost(postID, d, "a", echo{}, now)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Content()
	if c.ExcerptGiven || !strings.HasSuffix(c.Excerpt, "word…") || len([]rune(c.Excerpt)) > DerivedExcerptLen {
		t.Fatalf("derived excerpt %q (given %v)", c.Excerpt, c.ExcerptGiven)
	}
	// A given excerpt stays through edits of the body; removing it derives one again.
	d.Excerpt = "Mine."
	if err := p.Edit(d, echo{}, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c := p.Content(); c.Excerpt != "Mine." || !c.ExcerptGiven {
		t.Fatalf("given excerpt %q %v", c.Excerpt, c.ExcerptGiven)
	}
	d.Excerpt, d.BodyMarkdown = "", "Short body."
	if err := p.Edit(d, echo{}, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c := p.Content(); c.Excerpt != "Short body." || c.ExcerptGiven {
		t.Fatalf("re-derived excerpt %q %v", c.Excerpt, c.ExcerptGiven)
	}
}

func TestDeriveSlug(t *testing.T) {
	tests := map[string]string{
		"Why Go?":                         "why-go",
		"  Rust & C++: 10 tips!  ":        "rust-c-10-tips",
		"Ünïcode only in the middle — ok": "n-code-only-in-the-middle-ok",
		"???":                             "",
		strings.Repeat("abc ", 40):        strings.TrimSuffix(strings.Repeat("abc-", 25), "-"),
	}
	for title, want := range tests {
		if got := DeriveSlug(title); got != want {
			t.Errorf("DeriveSlug(%q) = %q, want %q", title, got, want)
		}
		if got := DeriveSlug(title); got != "" && ValidateSlug("slug", got) != nil {
			t.Errorf("DeriveSlug(%q) = %q is not a valid slug", title, got)
		}
	}
}

func TestEdit(t *testing.T) {
	later := now.Add(time.Hour)
	tests := []struct {
		name    string
		edit    func(*Draft)
		changed []string
		slug    string
		claims  []es.Claim
		release []es.Claim
	}{
		{name: "nothing changed", edit: func(*Draft) {}, slug: "why-go"},
		{name: "empty slug and author keep theirs", edit: func(d *Draft) { d.Slug, d.AuthorName = "", "" }, slug: "why-go"},
		{name: "title and tags", edit: func(d *Draft) { d.Title, d.Tags = "Why Go, again", []string{"go", "opinion"} },
			changed: []string{"title", "tags"}, slug: "why-go"},
		{name: "body changes html and derived excerpt", edit: func(d *Draft) { d.BodyMarkdown = "Because it is simple." },
			changed: []string{"body_markdown", "excerpt"}, slug: "why-go"},
		{name: "new slug claimed, old released", edit: func(d *Draft) { d.Slug = "go-why" }, changed: []string{"slug"}, slug: "go-why",
			claims: []es.Claim{{Scope: ScopeSlug, Value: "go-why"}}, release: []es.Claim{{Scope: ScopeSlug, Value: "why-go"}}},
		{name: "seo and author", edit: func(d *Draft) { d.SEOTitle, d.SEODescription, d.AuthorName = "T", "D", "Grace" },
			changed: []string{"author_name", "seo_title", "seo_description"}, slug: "why-go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := saved(t)
			d := draft()
			tt.edit(&d)
			if err := p.Edit(d, echo{}, later); err != nil {
				t.Fatal(err)
			}
			var got []string
			if len(p.Pending()) == 1 {
				e := p.Pending()[0].(*contentv1.BlogPostEdited)
				got = e.GetChanged()
				if e.GetEditedAt() != later.UnixMicro() || p.UpdatedAt() != later {
					t.Errorf("edited at %d, updated %v", e.GetEditedAt(), p.UpdatedAt())
				}
			} else if len(p.Pending()) > 1 {
				t.Fatalf("%d events", len(p.Pending()))
			}
			if diff := cmp.Diff(tt.changed, got); diff != "" {
				t.Errorf("changed (-want +got):\n%s", diff)
			}
			if p.Content().Slug != tt.slug {
				t.Errorf("slug %q, want %q", p.Content().Slug, tt.slug)
			}
			claims, releases := claimsOf(t, p)
			if diff := cmp.Diff(tt.claims, claims); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.release, releases); diff != "" {
				t.Errorf("releases (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEdit_Invalid_ChangesNothing(t *testing.T) {
	p := saved(t)
	d := draft()
	d.Title, d.Tags = "", []string{"Not A Tag"}
	err := p.Edit(d, echo{}, now)
	if diff := cmp.Diff([]string{"title", "tags[0]"}, fields(err)); diff != "" {
		t.Fatalf("fields (-want +got):\n%s (err %v)", diff, err)
	}
	if len(p.Pending()) != 0 || p.Content().Title != "Why Go?" {
		t.Fatalf("an invalid edit changed the post: %v", p.Pending())
	}
}

func TestPublishWorkflow(t *testing.T) {
	p := saved(t)
	t1, t2, t3 := now.Add(time.Hour), now.Add(2*time.Hour), now.Add(3*time.Hour)
	steps := []struct {
		name   string
		do     func() error
		status string
		events int
	}{
		{"publish a draft", func() error { return p.Publish(t1) }, StatusPublished, 1},
		{"publish again changes nothing", func() error { return p.Publish(t2) }, StatusPublished, 0},
		{"unpublish", func() error { return p.Unpublish(t2) }, StatusDraft, 1},
		{"unpublish a draft changes nothing", func() error { return p.Unpublish(t3) }, StatusDraft, 0},
		{"publish once more", func() error { return p.Publish(t3) }, StatusPublished, 1},
	}
	for _, s := range steps {
		before := len(p.Pending())
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if p.Status() != s.status || len(p.Pending())-before != s.events {
			t.Fatalf("%s: status %s, %d new events", s.name, p.Status(), len(p.Pending())-before)
		}
	}
	if p.PublishedAt() != t3 {
		t.Fatalf("published_at %v, want the last publication %v", p.PublishedAt(), t3)
	}
}

func TestDelete_FreesTheSlugAndEndsThePost(t *testing.T) {
	p := saved(t)
	p.Delete(now)
	p.Delete(now) // again: nothing more
	if len(p.Pending()) != 1 || !p.Deleted() {
		t.Fatalf("events %v", p.Pending())
	}
	if _, releases := claimsOf(t, p); !cmp.Equal([]es.Claim{{Scope: ScopeSlug, Value: "why-go"}}, releases) {
		t.Fatalf("releases %v", releases)
	}
	for name, err := range map[string]error{
		"edit": p.Edit(draft(), echo{}, now), "publish": p.Publish(now), "unpublish": p.Unpublish(now),
	} {
		if !errors.Is(err, ErrPostDeleted) || !errors.Is(err, errs.NotFound) {
			t.Errorf("%s of a deleted post: %v", name, err)
		}
	}
}

func TestApply_RehydratesWhatWasRecorded(t *testing.T) {
	p := saved(t)
	d := draft()
	d.Slug, d.Excerpt = "go-why", "Short."
	if err := p.Edit(d, echo{}, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(now.Add(2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	loaded := NewPost(p.StreamID())
	for _, e := range append(createdEvents(t), p.Pending()...) {
		if err := loaded.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(p.Content(), loaded.Content()); diff != "" {
		t.Fatalf("content (-recorded +loaded):\n%s", diff)
	}
	if loaded.Status() != StatusPublished || loaded.PublishedAt() != p.PublishedAt() || loaded.AuthorID() != "admin-1" ||
		loaded.CreatedAt() != now || loaded.ID() != postID {
		t.Fatalf("loaded %+v", loaded)
	}
	if err := loaded.Apply(&contentv1.BlogPost{}); err == nil {
		t.Fatal("Apply took a message that is not an event of a post")
	}
}

// saved returns a draft post as if loaded from the store (no pending events).
func saved(t *testing.T) *Post {
	t.Helper()
	p := NewPost(PostStream(postID))
	for _, e := range createdEvents(t) {
		if err := p.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func createdEvents(t *testing.T) []proto.Message {
	t.Helper()
	p, err := CreatePost(postID, draft(), "admin-1", echo{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return p.Pending()
}
