package cart

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
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// Name is the projection's name, and so the read schema whose view Products reads.
const Name = "cart_products"

// Context is the bounded context whose events the projection reads.
const Context = "catalog"

// productStreams is the prefix of the catalog's product streams; every other stream of the
// catalog (categories, the private per-order reservations a rebuild reads from the store)
// holds nothing a cart needs.
const productStreams = "product-"

// Projection is the cart's product read model, a projector.BatchProjection whose ApplyBatch
// queues the same statement per event as Apply, in one pipelined round trip.
type Projection struct {
	context    string
	registry   *events.Registry
	statements sync.Map // generation schema → *statements
}

var _ projector.BatchProjection = (*Projection)(nil)

// New returns the projection over the catalog context's events.
func New() *Projection { return NewForContext(Context) }

// NewForContext returns the projection reading the catalog's events from the bounded
// context named c: tests run it on their own prefixed JetStream streams.
func NewForContext(c string) *Projection {
	// The catalog's public events; of them, the product streams' are the ones queue reads.
	return &Projection{context: c, registry: events.NewRegistry().Register(catalogv1.PublicEvents()...)}
}

// Name implements projector.Projection.
func (p *Projection) Name() string { return Name }

// Contexts implements projector.Projection.
func (p *Projection) Contexts() []string { return []string{p.context} }

// DDL implements projector.Projection. Readers look products up by id only.
func (p *Projection) DDL(string) string {
	return `
CREATE TABLE products (
    id          uuid PRIMARY KEY,
    sku         text NOT NULL,
    name        text NOT NULL,
    price_minor bigint NOT NULL,
    currency    text NOT NULL,
    -- Available to sell (on hand minus held for orders): the API's stock.
    stock       integer NOT NULL,
    status      text NOT NULL CHECK (status IN ('active', 'deleted')),
    updated_at  timestamptz NOT NULL
) WITH (fillfactor = 80);
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
		return fmt.Errorf("cart products projection: %w", err)
	}
	return nil
}

// The statements of the events, for the generation schema's products table (statements
// names it; {products} stands for it here).
const (
	upsertProduct = `INSERT INTO {products} (id, sku, name, price_minor, currency, stock, status, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, 'active', $7)
ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, name = excluded.name, price_minor = excluded.price_minor,
    currency = excluded.currency, stock = excluded.stock, status = 'active', updated_at = excluded.updated_at`
	updateDetails = `UPDATE {products} SET sku = $2, name = $3, updated_at = $4 WHERE id = $1`
	updatePrice   = `UPDATE {products} SET price_minor = $2, currency = $3, updated_at = $4 WHERE id = $1`
	updateStock   = `UPDATE {products} SET stock = $2, updated_at = $3 WHERE id = $1`
	updateStatus  = `UPDATE {products} SET status = $2, updated_at = $3 WHERE id = $1`
)

// statements are the event statements for one generation schema.
type statements struct{ upsert, details, price, stock, status string }

// statementsFor returns the statements of schema (kept: a projection writes to one or two
// generations over its life).
func (p *Projection) statementsFor(schema string) *statements {
	if st, ok := p.statements.Load(schema); ok {
		return st.(*statements)
	}
	table := pgx.Identifier{schema, "products"}.Sanitize()
	q := func(sql string) string { return strings.ReplaceAll(sql, "{products}", table) }
	st := &statements{upsert: q(upsertProduct), details: q(updateDetails), price: q(updatePrice), stock: q(updateStock), status: q(updateStatus)}
	p.statements.Store(schema, st)
	return st
}

// queue decodes ev and queues its statement; events of other streams queue nothing.
func (p *Projection) queue(b *pgx.Batch, st *statements, ev es.RecordedEvent) error {
	if !strings.HasPrefix(ev.StreamID, productStreams) {
		return nil
	}
	m, err := projector.Decode(p.registry, ev)
	if err != nil {
		return fmt.Errorf("cart products projection: %w", err)
	}
	at := func(micros int64) time.Time { return time.UnixMicro(micros).UTC() }
	switch e := m.(type) {
	case *catalogv1.ProductCreated:
		b.Queue(st.upsert, e.GetProductId(), e.GetSku(), e.GetName(), e.GetPriceMinor(), e.GetCurrency(), e.GetAvailable(), at(e.GetCreatedAt()))
	case *catalogv1.ProductDetailsUpdated:
		b.Queue(st.details, e.GetProductId(), e.GetSku(), e.GetName(), at(e.GetUpdatedAt()))
	case *catalogv1.ProductImageAdded, *catalogv1.ProductImageRemoved:
		// Pictures are not part of a cart line.
	case *catalogv1.ProductPriceChanged:
		b.Queue(st.price, e.GetProductId(), e.GetPriceMinor(), e.GetCurrency(), at(e.GetChangedAt()))
	case *catalogv1.StockAdjusted:
		b.Queue(st.stock, e.GetProductId(), e.GetAvailable(), at(e.GetAdjustedAt()))
	case *catalogv1.StockReserved:
		b.Queue(st.stock, e.GetProductId(), e.GetAvailable(), at(e.GetReservedAt()))
	case *catalogv1.StockReservationReleased:
		b.Queue(st.stock, e.GetProductId(), e.GetAvailable(), at(e.GetReleasedAt()))
	case *catalogv1.StockReservationCommitted:
		b.Queue(st.stock, e.GetProductId(), e.GetAvailable(), at(e.GetCommittedAt()))
	case *catalogv1.ProductDeleted:
		b.Queue(st.status, e.GetProductId(), "deleted", at(e.GetDeletedAt()))
	case *catalogv1.ProductRestored:
		b.Queue(st.status, e.GetProductId(), "active", at(e.GetRestoredAt()))
	default:
		// The registry knows only the types above.
		return fmt.Errorf("%w: %s", projector.ErrUnknownEvent, ev.Type)
	}
	return nil
}
