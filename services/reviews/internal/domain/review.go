package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
)

// Limits of a review's fields.
const (
	MinRating      = 1
	MaxRating      = 5
	MaxTitleLength = 120
	MaxTextLength  = 5000
	// MaxReasonLength bounds an admin's reason for removing a review.
	MaxReasonLength = 500
)

var (
	// ErrAlreadyReviewed is a second review of a product by the same user. A removed review
	// counts: its author cannot post it again.
	ErrAlreadyReviewed = fmt.Errorf("%w: you have already reviewed this product", errs.AlreadyExists)
	// ErrReviewNotFound is a review that does not exist or was removed.
	ErrReviewNotFound = fmt.Errorf("%w: no such review", errs.NotFound)
	// ErrNotAuthor is a change of someone else's review.
	ErrNotAuthor = fmt.Errorf("%w: only its author may change a review", errs.PermissionDenied)
)

// namespace makes review ids: a name-based UUID (v5) of the user and the product.
var namespace = uuid.MustParse("6f1d3c52-4b7e-5a0c-9d2e-8f4a1b6c7e90")

// ReviewID is the id of the user's review of the product, the same every time: the review's
// stream is what makes it one per user per product.
func ReviewID(userID, productID string) string {
	return uuid.NewSHA1(namespace, []byte(userID+"/"+productID)).String()
}

// Stream is the stream id of a review.
func Stream(reviewID string) string { return "review-" + reviewID }

// Review is one user's review of one product. Its stream may begin before the review does:
// a paid order records the verified purchase first, so that a review written later is
// verified from its first event.
type Review struct {
	aggregate.Changes
	id                   string
	productID, userID    string
	authorName           string
	rating               int32
	title, text          string
	reviewed, removed    bool
	verified             bool
	createdAt, updatedAt time.Time
}

// NewReview returns an empty review for the stream id, for loading or for a first event.
func NewReview(streamID string) *Review { return &Review{id: strings.TrimPrefix(streamID, "review-")} }

// StreamID implements aggregate.Root.
func (r *Review) StreamID() string { return Stream(r.id) }

// ID returns the review's id.
func (r *Review) ID() string { return r.id }

// Exists reports whether the review was written and not removed.
func (r *Review) Exists() bool { return r.reviewed && !r.removed }

// View is what a reader sees of a review.
type View struct {
	ID, ProductID, UserID, AuthorName string
	Rating                            int32
	Title, Text                       string
	VerifiedPurchase                  bool
	CreatedAt, UpdatedAt              time.Time
}

// View returns the review as it is now.
func (r *Review) View() View {
	return View{ID: r.id, ProductID: r.productID, UserID: r.userID, AuthorName: r.authorName, Rating: r.rating,
		Title: r.title, Text: r.text, VerifiedPurchase: r.verified, CreatedAt: r.createdAt, UpdatedAt: r.updatedAt}
}

// Draft is what a user writes.
type Draft struct {
	Rating      int32
	Title, Text string
}

// Validate checks a draft's fields, each bad one named.
func (d Draft) Validate() error {
	var v errs.Validation
	validateRating(&v, d.Rating)
	validateTitle(&v, d.Title)
	validateText(&v, d.Text)
	return v.Err()
}

func validateRating(v *errs.Validation, rating int32) {
	if rating < MinRating || rating > MaxRating {
		v.Addf("rating", "must be a whole number from %d to %d", MinRating, MaxRating)
	}
}

func validateTitle(v *errs.Validation, title string) {
	switch {
	case strings.TrimSpace(title) == "":
		v.Add("title", "is required")
	case !utf8.ValidString(title):
		v.Add("title", "must be valid UTF-8")
	case utf8.RuneCountInString(title) > MaxTitleLength:
		v.Addf("title", "must be at most %d characters", MaxTitleLength)
	}
}

func validateText(v *errs.Validation, text string) {
	switch {
	case !utf8.ValidString(text):
		v.Add("text", "must be valid UTF-8")
	case utf8.RuneCountInString(text) > MaxTextLength:
		v.Addf("text", "must be at most %d characters", MaxTextLength)
	}
}

// Write records the user's review of the product. The author's name is kept with it.
func (r *Review) Write(productID, userID, authorName string, d Draft, now time.Time) error {
	d.Title, d.Text = strings.TrimSpace(d.Title), strings.TrimSpace(d.Text)
	if err := d.Validate(); err != nil {
		return err
	}
	if r.reviewed {
		return ErrAlreadyReviewed
	}
	if r.id != ReviewID(userID, productID) {
		return fmt.Errorf("review %s is not %s's review of %s", r.id, userID, productID)
	}
	r.record(&reviewsv1.ProductReviewed{ReviewId: r.id, ProductId: productID, UserId: userID, AuthorName: authorName,
		Rating: d.Rating, Title: d.Title, Text: d.Text, VerifiedPurchase: r.verified, ReviewedAt: now.UnixMicro()})
	return nil
}

// Edit is a change of a review: nil fields stay as they are.
type Edit struct {
	Rating      *int32
	Title, Text *string
}

// Edit changes the review as its author asks; an edit that changes nothing records nothing.
func (r *Review) Edit(byUserID string, e Edit, now time.Time) error {
	if !r.Exists() {
		return ErrReviewNotFound
	}
	if byUserID != r.userID {
		return ErrNotAuthor
	}
	rating, title, text := r.rating, r.title, r.text
	var v errs.Validation
	if e.Rating != nil {
		rating = *e.Rating
		validateRating(&v, rating)
	}
	if e.Title != nil {
		title = strings.TrimSpace(*e.Title)
		validateTitle(&v, title)
	}
	if e.Text != nil {
		text = strings.TrimSpace(*e.Text)
		validateText(&v, text)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if rating == r.rating && title == r.title && text == r.text {
		return nil
	}
	r.record(&reviewsv1.ReviewEdited{ReviewId: r.id, ProductId: r.productID, Rating: rating, Title: title, Text: text,
		PreviousRating: r.rating, EditedAt: now.UnixMicro()})
	return nil
}

// Remove takes the review down, recording who did it and why.
func (r *Review) Remove(byUserID, byRole, reason string, now time.Time) error {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > MaxReasonLength || !utf8.ValidString(reason) {
		return errs.Field("reason", fmt.Sprintf("must be valid text of at most %d characters", MaxReasonLength))
	}
	if !r.Exists() {
		return ErrReviewNotFound
	}
	r.record(&reviewsv1.ReviewRemoved{ReviewId: r.id, ProductId: r.productID, Rating: r.rating, RemovedByUserId: byUserID,
		RemovedByRole: byRole, Reason: reason, RemovedAt: now.UnixMicro()})
	return nil
}

// VerifyPurchase records that an order of the user with the product reached paid. Only the
// first order is recorded: the flag cannot turn false again.
func (r *Review) VerifyPurchase(productID, userID, orderID string, now time.Time) error {
	if r.id != ReviewID(userID, productID) {
		return fmt.Errorf("review %s is not %s's review of %s", r.id, userID, productID)
	}
	if r.verified {
		return nil
	}
	r.record(&reviewsv1.ReviewPurchaseVerified{ReviewId: r.id, ProductId: productID, UserId: userID, OrderId: orderID,
		VerifiedAt: now.UnixMicro()})
	return nil
}

func (r *Review) record(e proto.Message) {
	_ = r.Apply(e)
	r.Record(e)
}

func micros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// Apply implements aggregate.Root.
func (r *Review) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *reviewsv1.ProductReviewed:
		r.reviewed, r.productID, r.userID, r.authorName = true, e.GetProductId(), e.GetUserId(), e.GetAuthorName()
		r.rating, r.title, r.text = e.GetRating(), e.GetTitle(), e.GetText()
		r.verified = r.verified || e.GetVerifiedPurchase()
		r.createdAt = micros(e.GetReviewedAt())
		r.updatedAt = r.createdAt
	case *reviewsv1.ReviewEdited:
		r.rating, r.title, r.text, r.updatedAt = e.GetRating(), e.GetTitle(), e.GetText(), micros(e.GetEditedAt())
	case *reviewsv1.ReviewRemoved:
		r.removed = true
	case *reviewsv1.ReviewPurchaseVerified:
		r.verified = true
		if r.productID == "" {
			r.productID, r.userID = e.GetProductId(), e.GetUserId()
		}
	default:
		return fmt.Errorf("review: unexpected event %T", e)
	}
	return nil
}
