package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
)

var now = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

const (
	ada     = "0190a000-0000-7000-8000-000000000001"
	grace   = "0190a000-0000-7000-8000-000000000002"
	admin   = "0190a000-0000-7000-8000-0000000000ad"
	product = "0190a000-0000-7000-8000-0000000000a1"
	order   = "0190a000-0000-7000-8000-0000000000c1"
)

func ptr[T any](v T) *T { return &v }

// replay rebuilds a review from the events r recorded, as loading does.
func replay(t *testing.T, r *Review) *Review {
	t.Helper()
	got := NewReview(r.StreamID())
	for _, e := range r.Pending() {
		if err := got.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func written(t *testing.T) *Review {
	t.Helper()
	r := NewReview(Stream(ReviewID(ada, product)))
	if err := r.Write(product, ada, "Ada", Draft{Rating: 4, Title: "Solid board", Text: "Types well."}, now); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReviewID_IsOnePerUserAndProduct(t *testing.T) {
	if first, again := ReviewID(ada, product), ReviewID(ada, product); first != again {
		t.Fatal("the same pair got two ids")
	}
	if ReviewID(ada, product) == ReviewID(grace, product) || ReviewID(ada, product) == ReviewID(ada, order) {
		t.Fatal("different pairs share an id")
	}
}

func TestReview_Write(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	tests := []struct {
		name   string
		draft  Draft
		fields []string
	}{
		{"valid", Draft{Rating: 5, Title: "Great", Text: "Love it"}, nil},
		{"text may be empty", Draft{Rating: 1, Title: "Meh"}, nil},
		{"longest fields", Draft{Rating: 3, Title: long(MaxTitleLength), Text: long(MaxTextLength)}, nil},
		{"rating 0", Draft{Rating: 0, Title: "x"}, []string{"rating"}},
		{"rating 6", Draft{Rating: 6, Title: "x"}, []string{"rating"}},
		{"negative rating", Draft{Rating: -1, Title: "x"}, []string{"rating"}},
		{"no title", Draft{Rating: 3, Title: "   "}, []string{"title"}},
		{"title too long", Draft{Rating: 3, Title: long(MaxTitleLength + 1)}, []string{"title"}},
		{"text too long", Draft{Rating: 3, Title: "x", Text: long(MaxTextLength + 1)}, []string{"text"}},
		{"invalid UTF-8", Draft{Rating: 3, Title: "a\xffb", Text: "\xfe"}, []string{"title", "text"}},
		{"everything wrong", Draft{Rating: 9, Title: "", Text: long(MaxTextLength + 1)}, []string{"rating", "title", "text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReview(Stream(ReviewID(ada, product)))
			err := r.Write(product, ada, "Ada", tt.draft, now)
			if tt.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				got := replay(t, r).View()
				want := View{ID: ReviewID(ada, product), ProductID: product, UserID: ada, AuthorName: "Ada", Rating: tt.draft.Rating,
					Title: strings.TrimSpace(tt.draft.Title), Text: tt.draft.Text, CreatedAt: now, UpdatedAt: now}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("view (-want +got):\n%s", diff)
				}
				return
			}
			var v *errs.Validation
			if !errors.As(err, &v) {
				t.Fatalf("err = %v, want a validation error", err)
			}
			var fields []string
			for _, f := range v.Violations {
				fields = append(fields, f.Field)
			}
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Fatalf("fields (-want +got):\n%s", diff)
			}
			if len(r.Pending()) != 0 {
				t.Fatal("a refused review recorded events")
			}
		})
	}
}

func TestReview_OnePerUserAndProduct(t *testing.T) {
	r := replay(t, written(t))
	if err := r.Write(product, ada, "Ada", Draft{Rating: 5, Title: "Again"}, now); !errors.Is(err, ErrAlreadyReviewed) || !errors.Is(err, errs.AlreadyExists) {
		t.Fatalf("second review: %v, want already exists", err)
	}
	if err := r.Remove(admin, "admin", "spam", now); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(product, ada, "Ada", Draft{Rating: 5, Title: "Again"}, now); !errors.Is(err, ErrAlreadyReviewed) {
		t.Fatalf("review after removal: %v, want already exists", err)
	}
	if err := NewReview(Stream(ReviewID(ada, product))).Write(order, ada, "Ada", Draft{Rating: 5, Title: "x"}, now); err == nil {
		t.Fatal("a review written into another pair's stream")
	}
}

func TestReview_Edit(t *testing.T) {
	later := now.Add(time.Hour)
	tests := []struct {
		name    string
		by      string
		edit    Edit
		wantErr error
		want    func(v *View)
		events  int
	}{
		{"rating", ada, Edit{Rating: ptr(int32(2))}, nil, func(v *View) { v.Rating = 2 }, 1},
		{"title and text", ada, Edit{Title: ptr(" New title "), Text: ptr("")}, nil, func(v *View) { v.Title, v.Text = "New title", "" }, 1},
		{"no change", ada, Edit{Rating: ptr(int32(4)), Title: ptr("Solid board")}, nil, nil, 0},
		{"empty edit", ada, Edit{}, nil, nil, 0},
		{"someone else", grace, Edit{Rating: ptr(int32(1))}, ErrNotAuthor, nil, 0},
		{"bad rating", ada, Edit{Rating: ptr(int32(0))}, errs.InvalidArgument, nil, 0},
		{"blank title", ada, Edit{Title: ptr(" ")}, errs.InvalidArgument, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := replay(t, written(t))
			want := r.View()
			err := r.Edit(tt.by, tt.edit, later)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(r.Pending()) != tt.events {
				t.Fatalf("recorded %d events, want %d", len(r.Pending()), tt.events)
			}
			if tt.want != nil {
				tt.want(&want)
				want.UpdatedAt = later
			}
			if diff := cmp.Diff(want, r.View()); diff != "" {
				t.Fatalf("view (-want +got):\n%s", diff)
			}
			if tt.events > 0 {
				if e := r.Pending()[0].(*reviewsv1.ReviewEdited); e.GetPreviousRating() != 4 {
					t.Fatalf("previous rating %d, want 4", e.GetPreviousRating())
				}
			}
		})
	}
	if err := NewReview(Stream(ReviewID(ada, product))).Edit(ada, Edit{Rating: ptr(int32(3))}, now); !errors.Is(err, ErrReviewNotFound) {
		t.Fatalf("edit of no review: %v", err)
	}
}

func TestReview_Remove(t *testing.T) {
	r := replay(t, written(t))
	if err := r.Remove(admin, "admin", strings.Repeat("x", MaxReasonLength+1), now); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("long reason: %v", err)
	}
	if err := r.Remove(admin, "admin", "Off topic", now); err != nil {
		t.Fatal(err)
	}
	e := r.Pending()[0].(*reviewsv1.ReviewRemoved)
	if e.GetRemovedByUserId() != admin || e.GetRemovedByRole() != "admin" || e.GetReason() != "Off topic" || e.GetRating() != 4 {
		t.Fatalf("removal records %v", e)
	}
	r = replay(t, r)
	if r.Exists() {
		t.Fatal("a removed review exists")
	}
	for name, err := range map[string]error{
		"remove again": r.Remove(admin, "admin", "", now),
		"edit":         r.Edit(ada, Edit{Rating: ptr(int32(1))}, now),
	} {
		if !errors.Is(err, ErrReviewNotFound) {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	if err := NewReview(Stream(ReviewID(ada, product))).Remove(admin, "admin", "", now); !errors.Is(err, ErrReviewNotFound) {
		t.Fatalf("remove of no review: %v", err)
	}
}

func TestReview_VerifiedPurchase(t *testing.T) {
	t.Run("paid before the review", func(t *testing.T) {
		r := NewReview(Stream(ReviewID(ada, product)))
		if err := r.VerifyPurchase(product, ada, order, now); err != nil {
			t.Fatal(err)
		}
		r = replay(t, r)
		if r.Exists() {
			t.Fatal("a purchase alone is a review")
		}
		if err := r.Write(product, ada, "Ada", Draft{Rating: 5, Title: "x"}, now); err != nil {
			t.Fatal(err)
		}
		if e := r.Pending()[0].(*reviewsv1.ProductReviewed); !e.GetVerifiedPurchase() {
			t.Fatal("ProductReviewed not verified")
		}
		if !replay(t, r).View().VerifiedPurchase {
			t.Fatal("not verified")
		}
	})
	t.Run("paid after the review", func(t *testing.T) {
		r := replay(t, written(t))
		if r.View().VerifiedPurchase {
			t.Fatal("verified without a purchase")
		}
		if err := r.VerifyPurchase(product, ada, order, now); err != nil {
			t.Fatal(err)
		}
		if !r.View().VerifiedPurchase {
			t.Fatal("not verified")
		}
		r = replay(t, r)
		if err := r.VerifyPurchase(product, ada, "another order", now); err != nil || len(r.Pending()) != 0 {
			t.Fatalf("second purchase: %v, %d events; want nothing recorded", err, len(r.Pending()))
		}
	})
	if err := NewReview(Stream(ReviewID(ada, product))).VerifyPurchase(product, grace, order, now); err == nil {
		t.Fatal("another user's purchase verified this review")
	}
}

// TestEvents_CatalogueHasEveryEventMessage fails when a message of events.proto is missing
// from Events (and so from the registry that loads the aggregates).
func TestEvents_CatalogueHasEveryEventMessage(t *testing.T) {
	if missing := events.Unlisted(reviewsv1.File_storefront_reviews_v1_events_proto, Events()); len(missing) != 0 {
		t.Fatalf("not in domain.Events(): %v", missing)
	}
	for _, e := range Events() {
		name := e.ProtoReflect().Descriptor().FullName()
		if _, err := protoregistry.GlobalTypes.FindMessageByName(name); err != nil {
			t.Fatal(err)
		}
		if _, err := Registry().Decode(es.RecordedEvent{Type: string(name), SchemaVersion: 1, StreamID: "review-x", Version: 1}); err != nil {
			t.Errorf("registry cannot decode %s: %v", name, err)
		}
	}
}
