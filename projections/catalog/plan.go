package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
)

// A plan turns a sequence of events into at most a few multi-row statements with the same
// effect as applying the events one by one.
//
// Every event changes exactly one row (a product by id, a category by slug), and sets
// columns to absolute values (events carry on_hand and available as they are after them; a
// details update carries every detail). So the events of one row fold, in sequence order,
// into the row's final values: a product created in the plan becomes one INSERT row with
// everything that happened to it after; a product that exists becomes one UPDATE row that
// sets the columns its events set, to the last values they set. Rows are distinct, so the
// statements are order-free among themselves: INSERT categories, INSERT products, and one
// UPDATE per combination of column groups changed (at most a few), sent in one pipelined
// round trip. Folding matters most to rebuilds: a product's later events no longer rewrite
// its row (and its tsvector's GIN entries) once each.
type plan struct {
	folds []*fold
	// perEvent folds each event alone (one statement per event, still pipelined): the
	// baseline of the benchmarks.
	perEvent bool
}

// fold holds the folded rows of a run of events.
type fold struct {
	categories []*categoryRow
	products   map[uuid.UUID]*productRow
	order      []*productRow // in first-seen order, so statements are deterministic
	slugs      map[string]bool
	// ratings are the reviews context's reviews, each folded to its last rating or its
	// removal; rated lists the products whose ratings they change, in first-seen order.
	ratings     map[uuid.UUID]*ratingRow
	ratingOrder []*ratingRow
	rated       []uuid.UUID
	ratedSet    map[uuid.UUID]bool
}

// ratingRow is a review's row of review_ratings: its product and rating, or its removal.
type ratingRow struct {
	review, product uuid.UUID
	rating          int32
	removed         bool
}

type categoryRow struct {
	slug, name, parent string
	created            time.Time
}

// Column groups of products an update sets.
const (
	setDetails = 1 << iota
	setPrice
	setStock
	setStatus
	setUpdatedAt
	setImages
)

type productRow struct {
	id uuid.UUID
	// created: the row is inserted by the plan (every column is set).
	created bool
	sets    int

	sku, name, slug, description, category, brand, specs, images string
	price                                                        int64
	currency                                                     string
	onHand, stock                                                int32
	status                                                       string
	createdAt, updatedAt                                         time.Time
}

func (pl *plan) current() *fold {
	if len(pl.folds) == 0 || pl.perEvent {
		pl.folds = append(pl.folds, &fold{products: map[uuid.UUID]*productRow{}, slugs: map[string]bool{},
			ratings: map[uuid.UUID]*ratingRow{}, ratedSet: map[uuid.UUID]bool{}})
	}
	return pl.folds[len(pl.folds)-1]
}

func micros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// add folds the row change of one decoded event.
func (pl *plan) add(m proto.Message) error {
	f := pl.current()
	if e, ok := m.(*catalogv1.CategoryCreated); ok {
		if f.slugs[e.GetSlug()] {
			return fmt.Errorf("category %q created twice", e.GetSlug())
		}
		f.slugs[e.GetSlug()] = true
		f.categories = append(f.categories, &categoryRow{slug: e.GetSlug(), name: e.GetName(), parent: e.GetParent(),
			created: micros(e.GetCreatedAt())})
		return nil
	}
	switch e := m.(type) {
	case *reviewsv1.ProductReviewed:
		return f.rate(e.GetReviewId(), e.GetProductId(), e.GetRating(), false)
	case *reviewsv1.ReviewEdited:
		return f.rate(e.GetReviewId(), e.GetProductId(), e.GetRating(), false)
	case *reviewsv1.ReviewRemoved:
		return f.rate(e.GetReviewId(), e.GetProductId(), e.GetRating(), true)
	case *reviewsv1.ReviewPurchaseVerified:
		return nil // changes no rating
	}
	idText, ok := m.(interface{ GetProductId() string })
	if !ok {
		// The registry decodes only the catalog's types.
		return fmt.Errorf("no row change for %T", m)
	}
	id, err := uuid.Parse(idText.GetProductId())
	if err != nil {
		return fmt.Errorf("product id %q: %w", idText.GetProductId(), err)
	}
	r := f.products[id]
	if r == nil {
		r = &productRow{id: id}
		f.products[id] = r
		f.order = append(f.order, r)
	}
	switch e := m.(type) {
	case *catalogv1.ProductCreated:
		if r.created || r.sets != 0 {
			return fmt.Errorf("product %s created after events of it", id)
		}
		r.created = true
		r.setDetails(e.GetSku(), e.GetName(), e.GetSlug(), e.GetDescription(), e.GetCategory(), e.GetBrand(), e.GetSpecs(), e.GetImages())
		r.price, r.currency = e.GetPriceMinor(), e.GetCurrency()
		r.onHand, r.stock = e.GetOnHand(), e.GetAvailable()
		r.status = StatusActive
		r.createdAt = micros(e.GetCreatedAt())
		r.updatedAt = r.createdAt
	case *catalogv1.ProductDetailsUpdated:
		r.setDetails(e.GetSku(), e.GetName(), e.GetSlug(), e.GetDescription(), e.GetCategory(), e.GetBrand(), e.GetSpecs(), e.GetImages())
		r.touch(setDetails, e.GetUpdatedAt())
	case *catalogv1.ProductImageAdded:
		r.images = imagesJSON(e.GetImages())
		r.touch(setImages, e.GetAddedAt())
	case *catalogv1.ProductImageRemoved:
		r.images = imagesJSON(e.GetImages())
		r.touch(setImages, e.GetRemovedAt())
	case *catalogv1.ProductPriceChanged:
		r.price, r.currency = e.GetPriceMinor(), e.GetCurrency()
		r.touch(setPrice, e.GetChangedAt())
	case *catalogv1.StockAdjusted:
		r.onHand, r.stock = e.GetOnHand(), e.GetAvailable()
		r.touch(setStock, e.GetAdjustedAt())
	case *catalogv1.StockReserved:
		// Holds change the stock, not the product's updated_at (as in the write model).
		r.onHand, r.stock, r.sets = e.GetOnHand(), e.GetAvailable(), r.sets|setStock
	case *catalogv1.StockReservationReleased:
		r.onHand, r.stock, r.sets = e.GetOnHand(), e.GetAvailable(), r.sets|setStock
	case *catalogv1.StockReservationCommitted:
		r.onHand, r.stock, r.sets = e.GetOnHand(), e.GetAvailable(), r.sets|setStock
	case *catalogv1.ProductDeleted:
		r.status = StatusDeleted
		r.touch(setStatus, e.GetDeletedAt())
	case *catalogv1.ProductRestored:
		r.status = StatusActive
		r.touch(setStatus, e.GetRestoredAt())
	default:
		return fmt.Errorf("no row change for %T", m)
	}
	return nil
}

// rate folds a review's rating (or its removal) into the fold.
func (f *fold) rate(reviewID, productID string, rating int32, removed bool) error {
	review, err := uuid.Parse(reviewID)
	if err != nil {
		return fmt.Errorf("review id %q: %w", reviewID, err)
	}
	product, err := uuid.Parse(productID)
	if err != nil {
		return fmt.Errorf("product id %q: %w", productID, err)
	}
	r := f.ratings[review]
	if r == nil {
		r = &ratingRow{review: review}
		f.ratings[review] = r
		f.ratingOrder = append(f.ratingOrder, r)
	}
	r.product, r.rating, r.removed = product, rating, removed
	if !f.ratedSet[product] {
		f.ratedSet[product] = true
		f.rated = append(f.rated, product)
	}
	return nil
}

func (r *productRow) touch(set int, atMicros int64) {
	r.sets |= set | setUpdatedAt
	r.updatedAt = micros(atMicros)
}

func (r *productRow) setDetails(sku, name, slug, description, category, brand string, specs []*catalogv1.ProductSpec, images []*catalogv1.ProductImage) {
	r.sku, r.name, r.slug, r.description, r.category, r.brand = sku, name, slug, description, category, brand
	r.specs, r.images = detailsJSON(specs, images)
}

// detailsJSON renders specs and images as the jsonb arrays of the products table.
func detailsJSON(specs []*catalogv1.ProductSpec, images []*catalogv1.ProductImage) (string, string) {
	ss := make([]Spec, len(specs))
	for i, s := range specs {
		ss[i] = Spec{Key: s.GetKey(), Value: s.GetValue(), Unit: s.GetUnit()}
	}
	sj, _ := json.Marshal(ss) // plain strings: cannot fail
	return string(sj), imagesJSON(images)
}

// imagesJSON renders images as the jsonb array of the products table.
func imagesJSON(images []*catalogv1.ProductImage) string {
	is := make([]Image, len(images))
	for i, im := range images {
		is[i] = Image{ID: im.GetId(), URL: im.GetUrl(), Key: im.GetKey(), Alt: im.GetAlt(), Width: im.GetWidth(),
			Height: im.GetHeight(), ContentType: im.GetContentType()}
		for _, v := range im.GetVariants() {
			is[i].Variants = append(is[i].Variants, ImageVariant{Width: v.GetWidth(), Height: v.GetHeight(), Key: v.GetKey(), Format: v.GetFormat()})
		}
	}
	ij, _ := json.Marshal(is) // strings and numbers: cannot fail
	return string(ij)
}

// exec sends the plan's statements in one pipelined round trip, and checks that each changed
// as many rows as it had (an update of a product the read model lacks is an error, never
// skipped silently).
func (pl *plan) exec(ctx context.Context, tx pgx.Tx, schema string) error {
	b := &pgx.Batch{}
	var want []int
	for _, f := range pl.folds {
		want = f.queue(b, schema, want)
	}
	if len(want) == 0 {
		return nil
	}
	res := tx.SendBatch(ctx, b)
	for i, n := range want {
		tag, err := res.Exec()
		if err != nil {
			_ = res.Close()
			return fmt.Errorf("catalog projection: statement %d of %d: %w", i+1, len(want), err)
		}
		if got := tag.RowsAffected(); n != unchecked && got != int64(n) {
			_ = res.Close()
			return fmt.Errorf("catalog projection: statement %d of %d (%s) changed %d rows, want %d: an event for a product the read model lacks",
				i+1, len(want), tag, got, n)
		}
	}
	if err := res.Close(); err != nil {
		return fmt.Errorf("catalog projection: %w", err)
	}
	return nil
}

// unchecked is the want of a statement whose row count depends on the read model's state
// (ratings: a review may come before its product, a recount may change nothing).
const unchecked = -1

func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }

// productColumns are parallel arrays of product rows, unnest()ed by the statements.
type productArrays struct {
	ids                                                                 [][16]byte // not uuid.UUID: pgx would encode it through its Valuer, as text
	skus, names, slugs, descriptions, categories, brands, specs, images []string
	prices                                                              []int64
	currencies, statuses                                                []string
	onHand, stock                                                       []int32
	created, updated                                                    []time.Time
}

func (a *productArrays) add(r *productRow) {
	a.ids = append(a.ids, [16]byte(r.id))
	a.skus, a.names, a.slugs = append(a.skus, r.sku), append(a.names, r.name), append(a.slugs, r.slug)
	a.descriptions, a.categories, a.brands = append(a.descriptions, r.description), append(a.categories, r.category), append(a.brands, r.brand)
	a.specs, a.images = append(a.specs, r.specs), append(a.images, r.images)
	a.prices, a.currencies, a.statuses = append(a.prices, r.price), append(a.currencies, r.currency), append(a.statuses, r.status)
	a.onHand, a.stock = append(a.onHand, r.onHand), append(a.stock, r.stock)
	a.created, a.updated = append(a.created, r.createdAt), append(a.updated, r.updatedAt)
}

func (a *productArrays) args() []any {
	return []any{a.ids, a.skus, a.names, a.slugs, a.descriptions, a.categories, a.brands, a.specs, a.images,
		a.prices, a.currencies, a.statuses, a.onHand, a.stock, a.created, a.updated}
}

const unnestProducts = `unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
	$9::text[], $10::bigint[], $11::text[], $12::text[], $13::integer[], $14::integer[], $15::timestamptz[], $16::timestamptz[])
	AS u (id, sku, name, slug, description, category, brand, specs, images, price_minor, currency, status, on_hand, stock,
		created_at, updated_at)`

// queue queues the fold's statements and appends the rows each must change to want.
func (f *fold) queue(b *pgx.Batch, schema string, want []int) []int {
	if len(f.categories) > 0 {
		var slugs, names, parents []string
		var created []time.Time
		for _, c := range f.categories {
			slugs, names, parents, created = append(slugs, c.slug), append(names, c.name), append(parents, c.parent), append(created, c.created)
		}
		b.Queue(`INSERT INTO `+table(schema, "categories")+` (slug, name, parent, created_at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])`, slugs, names, parents, created)
		want = append(want, len(slugs))
	}
	var inserts productArrays
	updates := map[int]*productArrays{}
	var masks []int
	for _, r := range f.order {
		switch {
		case r.created:
			inserts.add(r)
		case r.sets != 0:
			a := updates[r.sets]
			if a == nil {
				a = &productArrays{}
				updates[r.sets] = a
				masks = append(masks, r.sets)
			}
			a.add(r)
		}
	}
	if len(inserts.ids) > 0 {
		b.Queue(`INSERT INTO `+table(schema, "products")+` (id, sku, name, slug, description, category, brand, specs, images,
				price_minor, currency, status, on_hand, stock, created_at, updated_at)
			SELECT u.id, u.sku, u.name, u.slug, u.description, u.category, u.brand, u.specs::jsonb, u.images::jsonb,
				u.price_minor, u.currency, u.status, u.on_hand, u.stock, u.created_at, u.updated_at
			FROM `+unnestProducts, inserts.args()...)
		want = append(want, len(inserts.ids))
	}
	for _, m := range masks {
		b.Queue(`UPDATE `+table(schema, "products")+` AS p SET `+setClause(m)+` FROM `+unnestProducts+` WHERE p.id = u.id`,
			updates[m].args()...)
		want = append(want, len(updates[m].ids))
	}
	return f.queueRatings(b, schema, inserts.ids, want)
}

// queueRatings queues the fold's changes of review_ratings, then the recount of the ratings
// of the products they touch and of the products the fold inserts (whose reviews may have
// come first: the contexts' events arrive in no particular order).
func (f *fold) queueRatings(b *pgx.Batch, schema string, inserted [][16]byte, want []int) []int {
	var upReviews, upProducts, gone [][16]byte
	var upRatings []int32
	for _, r := range f.ratingOrder {
		if r.removed {
			gone = append(gone, [16]byte(r.review))
			continue
		}
		upReviews, upProducts, upRatings = append(upReviews, [16]byte(r.review)), append(upProducts, [16]byte(r.product)), append(upRatings, r.rating)
	}
	if len(upReviews) > 0 {
		b.Queue(`INSERT INTO `+table(schema, "review_ratings")+` (review_id, product_id, rating)
			SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::smallint[])
			ON CONFLICT (review_id) DO UPDATE SET product_id = excluded.product_id, rating = excluded.rating`, upReviews, upProducts, upRatings)
		want = append(want, unchecked)
	}
	if len(gone) > 0 {
		b.Queue(`DELETE FROM `+table(schema, "review_ratings")+` WHERE review_id = ANY($1::uuid[])`, gone)
		want = append(want, unchecked)
	}
	recount := slices.Clone(inserted)
	for _, id := range f.rated {
		if r := f.products[id]; r == nil || !r.created {
			recount = append(recount, [16]byte(id))
		}
	}
	if len(recount) == 0 {
		return want
	}
	b.Queue(`UPDATE `+table(schema, "products")+` AS p SET rating_average = s.average, rating_count = s.n
		FROM (SELECT t.id, coalesce(round(avg(r.rating), 2), 0)::double precision AS average, count(r.rating)::integer AS n
			FROM unnest($1::uuid[]) AS t (id) LEFT JOIN `+table(schema, "review_ratings")+` AS r ON r.product_id = t.id
			GROUP BY t.id) AS s
		WHERE p.id = s.id AND (p.rating_average, p.rating_count) IS DISTINCT FROM (s.average, s.n)`, recount)
	return append(want, unchecked)
}

// setClause sets the column groups of mask: only those, so an update that leaves the
// indexed and searched columns alone can stay a HOT update and skips the tsvector.
func setClause(mask int) string {
	var cols []string
	if mask&setDetails != 0 {
		cols = append(cols, "sku = u.sku", "name = u.name", "slug = u.slug", "description = u.description",
			"category = u.category", "brand = u.brand", "specs = u.specs::jsonb", "images = u.images::jsonb")
	} else if mask&setImages != 0 {
		cols = append(cols, "images = u.images::jsonb")
	}
	if mask&setPrice != 0 {
		cols = append(cols, "price_minor = u.price_minor", "currency = u.currency")
	}
	if mask&setStock != 0 {
		cols = append(cols, "on_hand = u.on_hand", "stock = u.stock")
	}
	if mask&setStatus != 0 {
		cols = append(cols, "status = u.status")
	}
	if mask&setUpdatedAt != 0 {
		cols = append(cols, "updated_at = u.updated_at")
	}
	return strings.Join(cols, ", ")
}

// DetailsJSON renders a product's specs and images as the products table holds them (jsonb
// arrays): what a set-based build of the table from the same events must write too.
func DetailsJSON(specs []*catalogv1.ProductSpec, images []*catalogv1.ProductImage) (specsJSON, imagesJSON string) {
	return detailsJSON(specs, images)
}
