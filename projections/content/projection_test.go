package content_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/projector/projectortest"
	"github.com/storefront/storefront/platform/testkit/natstest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/projections/content"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
)

var epoch = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return epoch.Add(d).UnixMicro() }

func postID(n int) string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", n) }

// history builds a content event log, each event the next version of its stream.
type history struct {
	t        testing.TB
	versions map[string]int64
	evs      []es.RecordedEvent
}

func newHistory(t testing.TB) *history { return &history{t: t, versions: map[string]int64{}} }

func (h *history) add(stream string, m proto.Message) {
	h.t.Helper()
	payload, err := proto.Marshal(m)
	if err != nil {
		h.t.Fatal(err)
	}
	h.versions[stream]++
	h.evs = append(h.evs, es.RecordedEvent{ID: uuid.New(), StreamID: stream, Version: h.versions[stream],
		Type: string(m.ProtoReflect().Descriptor().FullName()), SchemaVersion: 1, Payload: payload, RecordedAt: epoch})
}

// lifecycle writes post n's life: created; edited; then, by n, published (n%4 != 0),
// unpublished and published again (n%3 == 0), deleted (n%5 == 4). Tag "even" marks even n.
func lifecycle(h *history, n int) {
	id := postID(n)
	s := "blogpost-" + id
	d := time.Duration(n) * time.Minute
	tags := []string{"go"}
	if n%2 == 0 {
		tags = append(tags, "even")
	}
	h.add(s, &contentv1.BlogPostCreated{PostId: id, Slug: fmt.Sprintf("post-%d", n), Title: "Draft", BodyMarkdown: "x",
		BodyHtml: "<p>x</p>", Excerpt: "x", AuthorId: "admin", AuthorName: "Ada", CreatedAt: at(d)})
	h.add(s, &contentv1.BlogPostEdited{PostId: id, Slug: fmt.Sprintf("post-%d", n), Title: fmt.Sprintf("Post %d", n),
		BodyMarkdown: "# Post", BodyHtml: "<h1>Post</h1>", Excerpt: "Post", Tags: tags, AuthorName: "Ada Lovelace",
		SeoTitle: "SEO", SeoDescription: "About it", Changed: []string{"title", "tags"}, EditedAt: at(d + time.Second)})
	if n%4 != 0 {
		h.add(s, &contentv1.BlogPostPublished{PostId: id, PublishedAt: at(d + 2*time.Second)})
	}
	if n%4 != 0 && n%3 == 0 {
		h.add(s, &contentv1.BlogPostUnpublished{PostId: id, UnpublishedAt: at(d + 3*time.Second)})
		h.add(s, &contentv1.BlogPostPublished{PostId: id, PublishedAt: at(d + 4*time.Second)})
	}
	if n%5 == 4 {
		h.add(s, &contentv1.BlogPostDeleted{PostId: id, Slug: fmt.Sprintf("post-%d", n), DeletedAt: at(d + 5*time.Second)})
	}
}

func dump(t *testing.T, db *pgxpool.Pool, schema string) string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, slug, title, body_markdown, body_html, excerpt, tags, author_name,
		status, seo_title, seo_description, created_at, published_at, updated_at
		FROM `+pgx.Identifier{schema, "posts"}.Sanitize()+` ORDER BY id`)
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestProjection_RebuildEqualsLive: a first build from the store, live events from
// JetStream, then a rebuild into a new generation: the rebuilt read model equals the live
// one row for row, and Queries read what the events say.
func TestProjection_RebuildEqualsLive(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, projector.Migrations())
	env := natstest.New(t)
	bc := env.Prefix + "_content"
	if _, err := env.JS.CreateStream(ctx, natsbus.StreamConfig(bc, 1, time.Hour)); err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	rt, err := projector.New(projector.Config{Pool: db.Pool, JetStream: env.JS, Stores: map[string]es.LogReader{bc: store},
		BatchSize: 40, FetchWait: 100 * time.Millisecond, RebuildBatchSize: 25, GapDelay: 50 * time.Millisecond,
		RetryDelays: []time.Duration{10 * time.Millisecond}}, content.NewForContext(bc))
	if err != nil {
		t.Fatal(err)
	}
	record := func(h *history, publish bool) {
		t.Helper()
		for _, ev := range h.evs {
			if _, err := store.Append(ctx, ev.StreamID, es.Exact(ev.Version-1), []es.EventData{{ID: ev.ID, Type: ev.Type,
				SchemaVersion: ev.SchemaVersion, Payload: ev.Payload}}); err != nil {
				t.Fatal(err)
			}
			if publish {
				if _, err := env.JS.PublishMsg(ctx, natsbus.Encode(natsbus.Subject(bc, ev), ev)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	q := content.NewQueries(db.Pool)
	rows := func() int {
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+content.Name+`.posts`).Scan(&n); err != nil {
			return -1
		}
		return n
	}
	// Posts 0..38, of which those with n%5 == 4 are deleted; the last one (38) ends published.
	const posts = 39
	alive := func(from, to int) (n int) {
		for i := from; i < to; i++ {
			if i%5 != 4 {
				n++
			}
		}
		return n
	}
	waitRows := func(what string, want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for rows() != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d rows, want %d", what, rows(), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first := newHistory(t)
	for i := range posts / 2 {
		lifecycle(first, i)
	}
	record(first, false)
	if _, err := q.BySlug(ctx, "post-1"); !errors.Is(err, content.ErrNotBuilt) {
		t.Fatalf("read before the first build: %v, want ErrNotBuilt", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitRows("first build", alive(0, posts/2))

	second := &history{t: t, versions: first.versions}
	for i := posts / 2; i < posts; i++ {
		lifecycle(second, i)
	}
	record(second, true)
	waitRows("live", alive(0, posts))
	// The last event of the live part must be in too: wait for its post's final state.
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, err := q.BySlug(ctx, "post-38")
		if err == nil && p.Status == "published" && rows() == alive(0, posts) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("post-38: %+v %v", p, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	live := dump(t, db.Pool, content.Name)

	if err := rt.Rebuild(ctx, content.Name); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(live, dump(t, db.Pool, content.Name)); diff != "" {
		t.Fatalf("the rebuilt read model differs from the live one (-live +rebuilt):\n%s", diff)
	}
	parked, err := rt.Parked(ctx, content.Name)
	if err != nil || len(parked) != 0 {
		t.Fatalf("parked events: %v, %v", parked, err)
	}

	// What the queries see. Published: n%4 != 0 and alive (n%5 != 4).
	var published, evenPublished []string
	for n := posts - 1; n >= 0; n-- {
		if n%4 != 0 && n%5 != 4 {
			published = append(published, fmt.Sprintf("post-%d", n))
			if n%2 == 0 {
				evenPublished = append(evenPublished, fmt.Sprintf("post-%d", n))
			}
		}
	}
	// Newest published first: post n published at n minutes (+ 2 or 4 s), so by n descending.
	slugs := func(p content.Page) []string {
		out := []string{}
		for _, it := range p.Items {
			out = append(out, it.Slug)
		}
		return out
	}
	page, err := q.ListPublished(ctx, "", 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(published[:5], slugs(page)); diff != "" || page.Total != len(published) {
		t.Fatalf("page 1 (total %d, want %d) (-want +got):\n%s", page.Total, len(published), diff)
	}
	page, err = q.ListPublished(ctx, "even", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(evenPublished[3:6], slugs(page)); diff != "" || page.Total != len(evenPublished) {
		t.Fatalf("tag even, page 2 (total %d, want %d) (-want +got):\n%s", page.Total, len(evenPublished), diff)
	}
	page, err = q.ListPublished(ctx, "even", 100, 3)
	if err != nil || len(page.Items) != 0 || page.Total != len(evenPublished) {
		t.Fatalf("past the end: %+v, %v", page, err)
	}
	page, err = q.ListPublished(ctx, "no-such-tag", 1, 3)
	if err != nil || len(page.Items) != 0 || page.Total != 0 {
		t.Fatalf("unknown tag: %+v, %v", page, err)
	}

	draft, err := q.BySlug(ctx, "post-8")
	if err != nil {
		t.Fatal(err)
	}
	want := content.Post{ID: postID(8), Slug: "post-8", Title: "Post 8", BodyMarkdown: "# Post", BodyHTML: "<h1>Post</h1>",
		Excerpt: "Post", Tags: []string{"go", "even"}, AuthorName: "Ada Lovelace", Status: "draft", SEOTitle: "SEO",
		SEODescription: "About it", CreatedAt: time.UnixMicro(at(8 * time.Minute)).UTC(),
		UpdatedAt: time.UnixMicro(at(8*time.Minute + time.Second)).UTC()}
	if diff := cmp.Diff(want, draft); diff != "" {
		t.Fatalf("draft post-8 (-want +got):\n%s", diff)
	}
	republished, err := q.BySlug(ctx, "post-3")
	if err != nil || republished.Status != "published" || !republished.PublishedAt.Equal(time.UnixMicro(at(3*time.Minute+4*time.Second))) {
		t.Fatalf("post-3: %+v, %v", republished, err)
	}
	if _, err := q.BySlug(ctx, "post-4"); !errors.Is(err, content.ErrNotFound) {
		t.Fatalf("deleted post-4: %v, want ErrNotFound", err)
	}
}

// TestProjection_BatchContract: ApplyBatch has the effect of Apply event by event.
func TestProjection_BatchContract(t *testing.T) {
	db := pgtest.New(t)
	h := newHistory(t)
	for i := range 12 {
		lifecycle(h, i)
	}
	projectortest.RunBatchContract(t, db.Pool, content.New(), interleave(h.evs), dump)
}

// interleave reorders evs round robin across streams, keeping each stream's order.
func interleave(evs []es.RecordedEvent) []es.RecordedEvent {
	byStream, order := map[string][]es.RecordedEvent{}, []string{}
	for _, ev := range evs {
		if _, ok := byStream[ev.StreamID]; !ok {
			order = append(order, ev.StreamID)
		}
		byStream[ev.StreamID] = append(byStream[ev.StreamID], ev)
	}
	var out []es.RecordedEvent
	for len(out) < len(evs) {
		for _, s := range order {
			if q := byStream[s]; len(q) > 0 {
				out, byStream[s] = append(out, q[0]), q[1:]
			}
		}
	}
	return out
}
