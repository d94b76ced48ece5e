package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/projector"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
)

// Name is the projection's name, and so the read schema whose views Queries reads.
const Name = "catalog_products"

// Context is the bounded context whose events the projection reads.
const Context = "catalog"

// ReviewsContext is the bounded context whose events give the products' ratings.
const ReviewsContext = "reviews"

// reservationStreams is the prefix of the catalog's private per-order reservation streams,
// which the read model ignores (a rebuild reads them from the store; the relay never
// publishes them).
const reservationStreams = "reservation-"

// Projection is the catalog read model, a projector.BatchProjection. Apply and ApplyBatch
// share their SQL: an event becomes a row of a multi-row statement (see plan), so applying
// events one at a time and in batches has the same effect by construction.
type Projection struct {
	// contexts are the catalog's and, when rated, the reviews' (see NewForContexts).
	contexts []string
	registry *events.Registry
	// perEvent plans one statement per event (still pipelined): the baseline that the
	// benchmarks compare the grouped plan with.
	perEvent bool
}

var (
	_ projector.BatchProjection   = (*Projection)(nil)
	_ projector.IndexedProjection = (*Projection)(nil)
)

// New returns the projection over the catalog context's events, rated by the reviews
// context's.
func New() *Projection { return NewForContexts(Context, ReviewsContext) }

// NewForContext returns the projection reading the catalog's events from the bounded
// context named c, and no ratings: tests run it on their own prefixed JetStream streams.
func NewForContext(c string) *Projection { return NewForContexts(c, "") }

// NewForContexts returns the projection reading the catalog's events from the context named
// catalog and the ratings from the reviews context named reviews (none when empty). The
// catalog never reads the reviews' schema: the ratings are folded from their events into
// this read model's own review_ratings table.
func NewForContexts(catalog, reviews string) *Projection {
	// Every public catalog event; the private reservation events stay in the catalog's store,
	// where a rebuild meets them in their streams and add skips them.
	p := &Projection{contexts: []string{catalog}, registry: events.NewRegistry().Register(catalogv1.PublicEvents()...)}
	if reviews != "" {
		p.contexts = append(p.contexts, reviews)
		p.registry.Register(reviewsv1.Events()...)
	}
	return p
}

// Name implements projector.Projection.
func (p *Projection) Name() string { return Name }

// Contexts implements projector.Projection.
func (p *Projection) Contexts() []string { return slices.Clone(p.contexts) }

// DDL implements projector.Projection: the tables. Their secondary indexes are in Indexes:
// every one serves a filter or sort of Queries; the public ones are partial (active
// products only), and every sort ends with the id, which breaks ties.
func (p *Projection) DDL(string) string {
	return `
CREATE TABLE categories (
    slug       text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    parent     text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE products (
    id             uuid PRIMARY KEY,
    sku            text NOT NULL,
    name           text NOT NULL,
    slug           text NOT NULL,
    description    text NOT NULL,
    category       text COLLATE "C" NOT NULL,
    brand          text NOT NULL,
    price_minor    bigint NOT NULL,
    currency       text NOT NULL,
    specs          jsonb NOT NULL,
    images         jsonb NOT NULL,
    on_hand        integer NOT NULL,
    -- Available to sell (on hand minus held for orders): the API's stock.
    stock          integer NOT NULL,
    -- The average (rounded to 2 decimals) and count of the product's reviews, from
    -- review_ratings; 0 without reviews.
    rating_average double precision NOT NULL DEFAULT 0,
    rating_count   integer NOT NULL DEFAULT 0,
    status         text NOT NULL CHECK (status IN ('active', 'deleted')),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    search         tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, name), 'A') ||
        setweight(to_tsvector('english'::regconfig, brand), 'B') ||
        setweight(to_tsvector('english'::regconfig, description), 'C') ||
        setweight(jsonb_to_tsvector('english'::regconfig, specs, '["string"]'), 'D')
    ) STORED
) WITH (fillfactor = 90);

-- The reviews context's reviews that count towards ratings (written and not removed): what
-- the products' rating columns are recounted from. A review may arrive before its product
-- (the contexts' events come in no particular order); the product's insert recounts it.
CREATE TABLE review_ratings (
    review_id  uuid PRIMARY KEY,
    product_id uuid NOT NULL,
    rating     smallint NOT NULL CHECK (rating BETWEEN 1 AND 5)
);
CREATE INDEX review_ratings_product ON review_ratings (product_id);
`
}

// Indexes implements projector.IndexedProjection: a rebuild builds them once over the full
// tables (much cheaper than maintaining the GIN index row by row), before the switch.
func (p *Projection) Indexes(string) string {
	return `
CREATE INDEX IF NOT EXISTS products_search ON products USING gin (search) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS products_newest ON products (created_at DESC, id) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS products_price ON products (price_minor, id) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS products_rating ON products (rating_average DESC, id) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS products_category ON products (category, created_at DESC, id) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS products_slug ON products (slug);
CREATE INDEX IF NOT EXISTS products_admin ON products (created_at DESC, id);
CREATE INDEX IF NOT EXISTS categories_parent ON categories (parent);
`
}

// Apply implements projector.Projection.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error {
	return p.ApplyBatch(ctx, tx, schema, []es.RecordedEvent{ev})
}

// ApplyBatch implements projector.BatchProjection: it plans the events' rows into multi-row
// statements (see plan) and sends them in one pipelined round trip.
func (p *Projection) ApplyBatch(ctx context.Context, tx pgx.Tx, schema string, evs []es.RecordedEvent) error {
	pl := plan{perEvent: p.perEvent}
	for _, ev := range evs {
		if err := p.add(&pl, ev); err != nil {
			return err
		}
	}
	return pl.exec(ctx, tx, schema)
}

// add decodes ev and adds its row to the plan; private reservation events add nothing.
func (p *Projection) add(pl *plan, ev es.RecordedEvent) error {
	if strings.HasPrefix(ev.StreamID, reservationStreams) {
		return nil
	}
	m, err := projector.Decode(p.registry, ev)
	if err != nil {
		return fmt.Errorf("catalog projection: %w", err)
	}
	if err := pl.add(m); err != nil {
		return fmt.Errorf("catalog projection: event %s (stream %s, version %d): %w", ev.ID, ev.StreamID, ev.Version, err)
	}
	return nil
}
