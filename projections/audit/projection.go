package audit

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/projector"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
)

// Name is the projection's name, and so the read schema whose view Entries reads.
const Name = "audit"

// Contexts are the contexts whose events the projection reads.
var contexts = []string{"catalog", "ordering", "content", "reviews", "identity", "operations"}

// adminOnly are the event types that only an admin's command records.
var adminOnly = map[string]bool{
	"storefront.catalog.v1.ProductCreated":                true,
	"storefront.catalog.v1.ProductDetailsUpdated":         true,
	"storefront.catalog.v1.ProductPriceChanged":           true,
	"storefront.catalog.v1.StockAdjusted":                 true,
	"storefront.catalog.v1.ProductDeleted":                true,
	"storefront.catalog.v1.ProductRestored":               true,
	"storefront.catalog.v1.ProductImageAdded":             true,
	"storefront.catalog.v1.ProductImageRemoved":           true,
	"storefront.catalog.v1.CategoryCreated":               true,
	"storefront.ordering.v1.OrderShipped":                 true,
	"storefront.ordering.v1.OrderDelivered":               true,
	"storefront.ordering.v1.DiscountCreated":              true,
	"storefront.content.v1.BlogPostCreated":               true,
	"storefront.content.v1.BlogPostEdited":                true,
	"storefront.content.v1.BlogPostPublished":             true,
	"storefront.content.v1.BlogPostUnpublished":           true,
	"storefront.content.v1.BlogPostDeleted":               true,
	"storefront.identity.v1.RoleChanged":                  true,
	"storefront.operations.v1.ProjectionRebuildRequested": true,
	"storefront.operations.v1.DeadLetterRedriveRequested": true,
	"storefront.operations.v1.DeadLetterDiscarded":        true,
}

// Projection is the audit read model.
type Projection struct {
	contexts []string
	registry *events.Registry
}

var _ projector.Projection = (*Projection)(nil)

// New returns the projection over its contexts' events.
func New() *Projection { return NewForContexts(contexts...) }

// NewForContexts returns the projection reading the given contexts (tests run it on their own
// prefixed streams, with the same context names).
func NewForContexts(cs ...string) *Projection {
	return &Projection{contexts: cs, registry: events.NewRegistry().Register(&orderingv1.OrderCancelled{}, &reviewsv1.ReviewRemoved{})}
}

// Name implements projector.Projection.
func (p *Projection) Name() string { return Name }

// Contexts implements projector.Projection.
func (p *Projection) Contexts() []string { return p.contexts }

// DDL implements projector.Projection.
func (p *Projection) DDL(string) string {
	return `
CREATE TABLE entries (
    event_id uuid PRIMARY KEY,
    at       timestamptz NOT NULL,
    actor_id text NOT NULL,
    action   text NOT NULL,
    target   text NOT NULL
);
CREATE INDEX entries_newest_first ON entries (at DESC, event_id DESC);
`
}

// Apply implements projector.Projection.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error {
	actor, ok, err := p.adminAction(ev)
	if err != nil || !ok {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO `+pgx.Identifier{schema, "entries"}.Sanitize()+` (event_id, at, actor_id, action, target)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING`,
		ev.ID, ev.RecordedAt, actor, Action(ev.Type), Target(ev.StreamID))
	if err != nil {
		return fmt.Errorf("audit projection: %w", err)
	}
	return nil
}

// adminAction reports whether ev records an admin's action, and who the admin is.
func (p *Projection) adminAction(ev es.RecordedEvent) (string, bool, error) {
	if adminOnly[ev.Type] {
		return ev.Metadata.UserID, true, nil
	}
	switch ev.Type {
	case "storefront.ordering.v1.OrderCancelled", "storefront.reviews.v1.ReviewRemoved":
	default:
		return "", false, nil
	}
	m, err := projector.Decode(p.registry, ev)
	if err != nil {
		return "", false, fmt.Errorf("audit projection: %w", err)
	}
	switch e := m.(type) {
	case *orderingv1.OrderCancelled:
		return e.GetByUserId(), e.GetByRole() == "admin", nil
	case *reviewsv1.ReviewRemoved:
		return e.GetRemovedByUserId(), e.GetRemovedByRole() == "admin", nil
	}
	return "", false, nil
}

// Action names an event type as an action: the message name in snake case
// ("storefront.catalog.v1.ProductCreated" → "product_created").
func Action(eventType string) string {
	name := eventType[strings.LastIndexByte(eventType, '.')+1:]
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Target names a stream as what an action was done to: its kind and id ("product-5b0e…" →
// "product/5b0e…"; "dead-letter-12" → "dead-letter/12").
func Target(streamID string) string {
	// Ids are UUIDs (with dashes) or plain names: split at the first dash that starts one.
	for i := 0; i < len(streamID); i++ {
		if rest := streamID[i+1:]; streamID[i] == '-' && i > 0 && (isUUID(rest) || !strings.Contains(rest, "-")) {
			return streamID[:i] + "/" + rest
		}
	}
	return streamID
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case !unicode.Is(unicode.ASCII_Hex_Digit, r):
			return false
		}
	}
	return true
}
