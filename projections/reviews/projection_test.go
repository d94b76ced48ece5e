package reviews_test

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
	"github.com/storefront/storefront/projections/reviews"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
)

var epoch = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return epoch.Add(d).UnixMicro() }

func reviewID(n int) string { return fmt.Sprintf("00000000-0000-7000-9000-%012d", n) }

const product = "00000000-0000-7000-8000-000000000001"

// history builds a reviews event log, each event the next version of its stream.
type history struct {
	t        testing.TB
	versions map[string]int64
	evs      []es.RecordedEvent
}

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

// lifecycle is review n's events: every third is verified before it is written, every
// fourth after; every fifth is edited; every seventh removed.
func lifecycle(h *history, n int) {
	id, s, d := reviewID(n), "review-"+reviewID(n), time.Duration(n)*time.Minute
	verify := &reviewsv1.ReviewPurchaseVerified{ReviewId: id, ProductId: product, UserId: fmt.Sprint("user-", n), OrderId: "o", VerifiedAt: at(d)}
	if n%3 == 0 {
		h.add(s, verify)
	}
	h.add(s, &reviewsv1.ProductReviewed{ReviewId: id, ProductId: product, UserId: fmt.Sprint("user-", n), AuthorName: fmt.Sprint("Author ", n),
		Rating: int32(1 + n%5), Title: fmt.Sprint("Title ", n), Text: "Text", VerifiedPurchase: n%3 == 0, ReviewedAt: at(d)})
	if n%4 == 0 {
		h.add(s, verify)
	}
	if n%5 == 0 {
		h.add(s, &reviewsv1.ReviewEdited{ReviewId: id, ProductId: product, Rating: 5, Title: fmt.Sprint("Edited ", n), Text: "New",
			PreviousRating: int32(1 + n%5), EditedAt: at(d + time.Second)})
	}
	if n%7 == 0 {
		h.add(s, &reviewsv1.ReviewRemoved{ReviewId: id, ProductId: product, Rating: 5, RemovedByUserId: "admin", RemovedByRole: "admin",
			RemovedAt: at(d + 2*time.Second)})
	}
}

func dump(t *testing.T, db *pgxpool.Pool, schema string) string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, product_id, user_id, author_name, rating, title, text, verified_purchase,
			created_at, updated_at FROM `+pgx.Identifier{schema, "reviews"}.Sanitize()+` ORDER BY id`)
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

// want is the list the events of reviews 0..n-1 give, newest first.
func want(n int) []reviews.Review {
	var out []reviews.Review
	for i := n - 1; i >= 0; i-- {
		if i%7 == 0 {
			continue
		}
		r := reviews.Review{ID: reviewID(i), ProductID: product, UserID: fmt.Sprint("user-", i), AuthorName: fmt.Sprint("Author ", i),
			Rating: int32(1 + i%5), Title: fmt.Sprint("Title ", i), Text: "Text", VerifiedPurchase: i%3 == 0 || i%4 == 0,
			CreatedAt: time.UnixMicro(at(time.Duration(i) * time.Minute)).UTC()}
		r.UpdatedAt = r.CreatedAt
		if i%5 == 0 {
			r.Rating, r.Title, r.Text, r.UpdatedAt = 5, fmt.Sprint("Edited ", i), "New", r.CreatedAt.Add(time.Second)
		}
		out = append(out, r)
	}
	return out
}

// TestProjection_OnTheRuntime: first build from the store, live events from JetStream, then
// a rebuild into a new generation; the rebuilt tables equal the live ones, and
// ProductReviews pages them newest first.
func TestProjection_OnTheRuntime(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, projector.Migrations())
	env := natstest.New(t)
	bc := env.Prefix + "_reviews"
	if _, err := env.JS.CreateStream(ctx, natsbus.StreamConfig(bc, 1, time.Hour)); err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	rt, err := projector.New(projector.Config{Pool: db.Pool, JetStream: env.JS, Stores: map[string]es.LogReader{bc: store},
		BatchSize: 40, FetchWait: 100 * time.Millisecond, RebuildBatchSize: 25, GapDelay: 50 * time.Millisecond,
		RetryDelays: []time.Duration{10 * time.Millisecond}}, reviews.NewForContext(bc))
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
	reaches := func(what string, n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			got, total, err := reviews.ProductReviews(ctx, db.Pool, product, 0, 100)
			if err == nil && cmp.Equal(want(n), got) && total == len(got) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the read model never reached the expected reviews (err %v; -want +got):\n%s", what, err, cmp.Diff(want(n), got))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first := &history{t: t, versions: map[string]int64{}}
	for i := range 30 {
		lifecycle(first, i)
	}
	record(first, false)
	if _, _, err := reviews.ProductReviews(ctx, db.Pool, product, 0, 10); !errors.Is(err, reviews.ErrNotBuilt) {
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
	reaches("first build", 30)

	second := &history{t: t, versions: first.versions}
	for i := 30; i < 60; i++ {
		lifecycle(second, i)
	}
	record(second, true)
	reaches("live", 60)
	live := dump(t, db.Pool, reviews.Name)

	// Pages: newest first, the true total past the end.
	page, total, err := reviews.ProductReviews(ctx, db.Pool, product, 10, 5)
	if err != nil || total != len(want(60)) || !cmp.Equal(want(60)[10:15], page) {
		t.Fatalf("page 3 of 5: %d items of %d, %v", len(page), total, err)
	}
	page, total, err = reviews.ProductReviews(ctx, db.Pool, product, 500, 5)
	if err != nil || total != len(want(60)) || len(page) != 0 {
		t.Fatalf("past the end: %d items of %d, %v", len(page), total, err)
	}

	if err := rt.Rebuild(ctx, reviews.Name); err != nil {
		t.Fatal(err)
	}
	if rebuilt := dump(t, db.Pool, reviews.Name); rebuilt != live {
		t.Fatalf("the rebuild differs from the live read model (-live +rebuilt):\n%s", cmp.Diff(live, rebuilt))
	}
	parked, err := rt.Parked(ctx, reviews.Name)
	if err != nil || len(parked) != 0 {
		t.Fatalf("parked events: %v, %v", parked, err)
	}
}

// TestProjection_BatchContract: ApplyBatch has the effect of Apply event by event.
func TestProjection_BatchContract(t *testing.T) {
	db := pgtest.New(t)
	h := &history{t: t, versions: map[string]int64{}}
	for i := range 30 {
		lifecycle(h, i)
	}
	projectortest.RunBatchContract(t, db.Pool, reviews.New(), h.evs, dump)
}

// TestProjection_EditOfAMissingReviewFails: an edit the read model cannot place is an error
// (the runtime retries, then parks it), never skipped silently.
func TestProjection_EditOfAMissingReviewFails(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	h := &history{t: t, versions: map[string]int64{}}
	h.add("review-"+reviewID(1), &reviewsv1.ReviewEdited{ReviewId: reviewID(1), ProductId: product, Rating: 3, Title: "x", EditedAt: at(0)})
	p := reviews.New()
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA g1; SET LOCAL search_path = g1; "+p.DDL("g1")); err != nil {
			return err
		}
		return p.Apply(ctx, tx, "g1", h.evs[0])
	})
	if err == nil || !strings.Contains(err.Error(), "lacks") {
		t.Fatalf("edit of a missing review: %v", err)
	}
}
