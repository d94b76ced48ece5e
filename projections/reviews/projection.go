package reviews

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/projector"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
)

// Name is the projection's name, and so the read schema whose view ProductReviews reads.
const Name = "reviews"

// Context is the bounded context whose events the projection reads.
const Context = "reviews"

// Projection is the reviews read model, a projector.BatchProjection whose ApplyBatch queues
// the same statement per event as Apply, in one pipelined round trip.
type Projection struct {
	context  string
	registry *events.Registry
}

var _ projector.BatchProjection = (*Projection)(nil)

// New returns the projection over the reviews context's events.
func New() *Projection { return NewForContext(Context) }

// NewForContext returns the projection reading the reviews' events from the bounded context
// named c: tests run it on their own prefixed JetStream streams.
func NewForContext(c string) *Projection {
	return &Projection{context: c, registry: events.NewRegistry().Register(reviewsv1.Events()...)}
}

// Name implements projector.Projection.
func (p *Projection) Name() string { return Name }

// Contexts implements projector.Projection.
func (p *Projection) Contexts() []string { return []string{p.context} }

// DDL implements projector.Projection. Readers page a product's reviews newest first, ties
// broken by id.
func (p *Projection) DDL(string) string {
	return `
CREATE TABLE reviews (
    id                uuid PRIMARY KEY,
    product_id        uuid NOT NULL,
    user_id           text NOT NULL,
    author_name       text NOT NULL,
    rating            smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title             text NOT NULL,
    text              text NOT NULL,
    verified_purchase boolean NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX reviews_of_product ON reviews (product_id, created_at DESC, id);
`
}

// Apply implements projector.Projection.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error {
	return p.ApplyBatch(ctx, tx, schema, []es.RecordedEvent{ev})
}

// ApplyBatch implements projector.BatchProjection: one statement per event, in order, sent
// as one pipelined batch. Edits must find their review: a missing row is an error, never
// skipped silently.
func (p *Projection) ApplyBatch(ctx context.Context, tx pgx.Tx, schema string, evs []es.RecordedEvent) error {
	b := &pgx.Batch{}
	table := pgx.Identifier{schema, "reviews"}.Sanitize()
	for _, ev := range evs {
		if err := p.queue(b, table, ev); err != nil {
			return err
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("reviews projection: %w", err)
	}
	return nil
}

func micros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// queue decodes ev and queues its statement.
func (p *Projection) queue(b *pgx.Batch, table string, ev es.RecordedEvent) error {
	m, err := projector.Decode(p.registry, ev)
	if err != nil {
		return fmt.Errorf("reviews projection: %w", err)
	}
	mustChange := func(id string) func(pgconn.CommandTag) error {
		return func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("reviews projection: event %s (stream %s, version %d) for review %s, which the read model lacks",
					ev.ID, ev.StreamID, ev.Version, id)
			}
			return nil
		}
	}
	switch e := m.(type) {
	case *reviewsv1.ProductReviewed:
		b.Queue(`INSERT INTO `+table+` (id, product_id, user_id, author_name, rating, title, text, verified_purchase, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`, e.GetReviewId(), e.GetProductId(), e.GetUserId(), e.GetAuthorName(),
			e.GetRating(), e.GetTitle(), e.GetText(), e.GetVerifiedPurchase(), micros(e.GetReviewedAt()))
	case *reviewsv1.ReviewEdited:
		b.Queue(`UPDATE `+table+` SET rating = $2, title = $3, text = $4, updated_at = $5 WHERE id = $1`,
			e.GetReviewId(), e.GetRating(), e.GetTitle(), e.GetText(), micros(e.GetEditedAt())).Exec(mustChange(e.GetReviewId()))
	case *reviewsv1.ReviewRemoved:
		b.Queue(`DELETE FROM `+table+` WHERE id = $1`, e.GetReviewId()).Exec(mustChange(e.GetReviewId()))
	case *reviewsv1.ReviewPurchaseVerified:
		// Before the review is written there is no row: ProductReviewed carries the flag.
		b.Queue(`UPDATE `+table+` SET verified_purchase = true WHERE id = $1`, e.GetReviewId())
	default:
		return fmt.Errorf("reviews projection: no statement for %T", m)
	}
	return nil
}
