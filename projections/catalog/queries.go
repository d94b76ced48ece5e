package catalog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Product statuses.
const (
	StatusActive  = "active"
	StatusDeleted = "deleted"
)

// Sort orders a product list. Every sort breaks ties by id ascending.
type Sort string

// The sorts of API.md.
const (
	// SortRelevance: full-text rank (ts_rank_cd) of the query, best first. Only with a query.
	SortRelevance Sort = "relevance"
	// SortNewest: created_at descending.
	SortNewest     Sort = "newest"
	SortPriceAsc   Sort = "price_asc"
	SortPriceDesc  Sort = "price_desc"
	SortRatingDesc Sort = "rating_desc"
)

// MaxPerPage bounds a page.
const MaxPerPage = 100

var (
	// ErrNotFound: no product has that id or slug.
	ErrNotFound = errors.New("catalog read model: product not found")
	// ErrInvalidFilter: a filter the caller should have validated (page, per page, sort,
	// status) is out of range.
	ErrInvalidFilter = errors.New("catalog read model: invalid filter")
)

// Spec is a product's technical specification.
type Spec struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Unit  string `json:"unit"`
}

// Image is a picture of a product: given by URL, or uploaded (Key set, URLs derived from
// the keys by the catalog service). Rows written before images had ids have none.
type Image struct {
	ID          string         `json:"id,omitempty"`
	URL         string         `json:"url"`
	Key         string         `json:"key,omitempty"`
	Alt         string         `json:"alt"`
	Width       int32          `json:"width,omitempty"`
	Height      int32          `json:"height,omitempty"`
	ContentType string         `json:"content_type,omitempty"`
	Variants    []ImageVariant `json:"variants,omitempty"`
}

// ImageVariant is a WebP rendition of an uploaded image.
type ImageVariant struct {
	Width  int32  `json:"width"`
	Height int32  `json:"height"`
	Key    string `json:"key"`
	Format string `json:"format"`
}

// Product is a row of the products table.
type Product struct {
	ID, SKU, Name, Slug, Description string
	// Category is the category's slug.
	Category, Brand string
	PriceMinor      int64
	Currency        string
	Specs           []Spec
	Images          []Image
	// OnHand is the units in the warehouse; Stock those available to sell (on hand minus
	// held for orders).
	OnHand, Stock int32
	RatingAverage float64
	RatingCount   int32
	// Status is StatusActive or StatusDeleted.
	Status               string
	CreatedAt, UpdatedAt time.Time
}

// Category is a row of the categories table; Parent is a slug, or empty at the top.
type Category struct {
	Slug, Name, Parent string
}

// ProductFilter selects, orders and pages active products.
type ProductFilter struct {
	// Page ≥ 1 and PerPage 1..MaxPerPage.
	Page, PerPage int
	// Category, if set: products of that category and of all its subcategories.
	Category string
	// PriceMin and PriceMax, if set, bound price_minor inclusively.
	PriceMin, PriceMax *int64
	// Query, if set, matches the search vector as websearch_to_tsquery('english', Query):
	// words, "quoted phrases", -exclusions and or.
	Query string
	// InStock, if set: true keeps products with stock > 0, false those with none.
	InStock *bool
	// Sort is required; SortRelevance needs a Query.
	Sort Sort
}

// AdminFilter selects and pages products of any status, newest first.
type AdminFilter struct {
	Page, PerPage int
	// Status is "" (any), StatusActive or StatusDeleted.
	Status string
}

// ProductPage is one page of a list and the exact count of the list's products.
type ProductPage struct {
	Items []Product
	Total int
}

// Queries reads the catalog read model through the views of its read schema (Name), which
// the projector points at the active generation. It is safe for concurrent use. Before the
// projection's first build the views do not exist, and every query fails (a PostgreSQL
// undefined_table or invalid_schema_name error).
type Queries struct {
	db     *pgxpool.Pool
	schema string
}

// NewQueries returns the queries over the read model in db.
func NewQueries(db *pgxpool.Pool) *Queries { return &Queries{db: db, schema: Name} }

const productColumns = `p.id::text, p.sku, p.name, p.slug, p.description, p.category, p.brand, p.price_minor, p.currency,
	p.specs, p.images, p.on_hand, p.stock, p.rating_average, p.rating_count, p.status, p.created_at, p.updated_at`

func scanProduct(row pgx.Row, extra ...any) (Product, error) {
	var p Product
	dest := append([]any{&p.ID, &p.SKU, &p.Name, &p.Slug, &p.Description, &p.Category, &p.Brand, &p.PriceMinor, &p.Currency,
		&p.Specs, &p.Images, &p.OnHand, &p.Stock, &p.RatingAverage, &p.RatingCount, &p.Status, &p.CreatedAt, &p.UpdatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Product{}, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, nil
}

func checkPage(page, perPage int) error {
	if page < 1 || perPage < 1 || perPage > MaxPerPage {
		return fmt.Errorf("%w: page %d, per page %d", ErrInvalidFilter, page, perPage)
	}
	return nil
}

// where builds a parameterised WHERE clause.
type where struct {
	conds []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) and(cond string) { w.conds = append(w.conds, cond) }

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// ListProducts returns one page of the active products matching f, in f.Sort order with
// ties broken by id, and the number of all of them. A page past the end has no items and the
// true total.
func (q *Queries) ListProducts(ctx context.Context, f ProductFilter) (ProductPage, error) {
	if err := checkPage(f.Page, f.PerPage); err != nil {
		return ProductPage{}, err
	}
	var (
		w      where
		tsq    string
		orders = map[Sort]order{
			SortNewest:     {"p.created_at", true},
			SortPriceAsc:   {"p.price_minor", false},
			SortPriceDesc:  {"p.price_minor", true},
			SortRatingDesc: {"p.rating_average", true},
		}
	)
	w.and("p.status = 'active'")
	if f.Query != "" {
		tsq = "websearch_to_tsquery('english', " + w.arg(f.Query) + ")"
		w.and("p.search @@ " + tsq)
		orders[SortRelevance] = order{"ts_rank_cd(p.search, " + tsq + ")", true}
	}
	by, ok := orders[f.Sort]
	if !ok {
		return ProductPage{}, fmt.Errorf("%w: sort %q (relevance needs a query)", ErrInvalidFilter, f.Sort)
	}
	if f.Category != "" {
		// The category and its subcategories, at any depth, read by a statement of their own:
		// a statement that read both views could deadlock with a generation switch, which
		// replaces the views one by one (categories, then products) while the statement's
		// cached plan locks them in its own order (products first).
		slugs, err := q.subtree(ctx, f.Category)
		if err != nil {
			return ProductPage{}, err
		}
		w.and("p.category = ANY(" + w.arg(slugs) + "::text[])")
	}
	if f.PriceMin != nil {
		w.and("p.price_minor >= " + w.arg(*f.PriceMin))
	}
	if f.PriceMax != nil {
		w.and("p.price_minor <= " + w.arg(*f.PriceMax))
	}
	if f.InStock != nil {
		if *f.InStock {
			w.and("p.stock > 0")
		} else {
			w.and("p.stock = 0")
		}
	}
	from := " FROM " + table(q.schema, "products") + " AS p" + w.String()
	return q.page(ctx, from, by, f.Page, f.PerPage, w.args)
}

// subtree returns the slug and the slugs of all the subcategories of category, at any depth
// (just the slug if no category has it).
func (q *Queries) subtree(ctx context.Context, category string) ([]string, error) {
	rows, err := q.db.Query(ctx, `WITH RECURSIVE subtree (slug) AS (
			SELECT $1::text COLLATE "C"
			UNION
			SELECT c.slug FROM `+table(q.schema, "categories")+` AS c JOIN subtree AS s ON c.parent = s.slug)
		SELECT slug FROM subtree`, category)
	if err != nil {
		return nil, fmt.Errorf("catalog read model: subcategories: %w", err)
	}
	slugs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("catalog read model: subcategories: %w", err)
	}
	return slugs, nil
}

// order is a list's sort: one key, then the id ascending.
type order struct {
	key  string // an expression over p
	desc bool
}

// page reads one page with the total in one statement: the inner queries sort and count
// (count(*) OVER ()) the matching rows carrying only their id and sort key, the outer one
// reads the page's rows by id. Counting whole rows made PostgreSQL keep every matching row,
// search vector and description included, in the window's tuple store (spilling to disk
// for large results) before the page was cut. A page past the end returns no row to carry
// the total, so it is counted apart.
func (q *Queries) page(ctx context.Context, from string, by order, page, perPage int, args []any) (ProductPage, error) {
	n := len(args)
	dir := ""
	if by.desc {
		dir = " DESC"
	}
	// OFFSET 0 keeps the planner from merging the innermost query into the window's: the key
	// (a rank computed from the search vector) is then computed before the window stores the
	// rows, which hold two columns instead of the vector.
	sql := "SELECT " + productColumns + ", m.total FROM (SELECT k.id, k.sort_key, count(*) OVER () AS total FROM (SELECT p.id, " +
		by.key + " AS sort_key" + from + " OFFSET 0) AS k ORDER BY k.sort_key" + dir + ", k.id LIMIT $" + strconv.Itoa(n+1) +
		" OFFSET $" + strconv.Itoa(n+2) + ") AS m JOIN " + table(q.schema, "products") + " AS p ON p.id = m.id ORDER BY m.sort_key" + dir + ", m.id"
	rows, err := q.db.Query(ctx, sql, append(args, perPage, (page-1)*perPage)...)
	if err != nil {
		return ProductPage{}, fmt.Errorf("catalog read model: list products: %w", err)
	}
	out := ProductPage{Items: []Product{}}
	var total int64
	out.Items, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Product, error) { return scanProduct(row, &total) })
	if err != nil {
		return ProductPage{}, fmt.Errorf("catalog read model: list products: %w", err)
	}
	if len(out.Items) == 0 {
		out.Items = []Product{}
		if page > 1 {
			if err := q.db.QueryRow(ctx, "SELECT count(*)"+from, args...).Scan(&total); err != nil {
				return ProductPage{}, fmt.Errorf("catalog read model: count products: %w", err)
			}
		}
	}
	out.Total = int(total)
	return out, nil
}

// GetProduct returns the product, active or deleted, whose id (a UUID) or else slug is
// idOrSlug; ErrNotFound if none.
func (q *Queries) GetProduct(ctx context.Context, idOrSlug string) (Product, error) {
	sql := "SELECT " + productColumns + " FROM " + table(q.schema, "products") + " AS p "
	var arg any = idOrSlug
	if id, err := uuid.Parse(idOrSlug); err == nil {
		sql += "WHERE p.id = $1"
		arg = id
	} else {
		// Slugs are unique on the write side; should the read model briefly hold a slug twice
		// (a rename and a new claim applied out of order across streams), prefer the active,
		// most recently updated product.
		sql += "WHERE p.slug = $1 ORDER BY p.status = 'active' DESC, p.updated_at DESC, p.id LIMIT 1"
	}
	p, err := scanProduct(q.db.QueryRow(ctx, sql, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return Product{}, fmt.Errorf("%w: %q", ErrNotFound, idOrSlug)
	}
	if err != nil {
		return Product{}, fmt.Errorf("catalog read model: get product: %w", err)
	}
	return p, nil
}

// ListCategories returns every category, ordered by slug in byte order.
func (q *Queries) ListCategories(ctx context.Context) ([]Category, error) {
	rows, err := q.db.Query(ctx, `SELECT slug, name, parent FROM `+table(q.schema, "categories")+` ORDER BY slug COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("catalog read model: list categories: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Category, error) {
		var c Category
		return c, row.Scan(&c.Slug, &c.Name, &c.Parent)
	})
	if err != nil {
		return nil, fmt.Errorf("catalog read model: list categories: %w", err)
	}
	if cs == nil {
		cs = []Category{}
	}
	return cs, nil
}

// AdminListProducts returns one page of the products of any status (or of f.Status), newest
// first with ties by id, and their total.
func (q *Queries) AdminListProducts(ctx context.Context, f AdminFilter) (ProductPage, error) {
	if err := checkPage(f.Page, f.PerPage); err != nil {
		return ProductPage{}, err
	}
	var w where
	switch f.Status {
	case "":
	case StatusActive, StatusDeleted:
		w.and("p.status = " + w.arg(f.Status))
	default:
		return ProductPage{}, fmt.Errorf("%w: status %q", ErrInvalidFilter, f.Status)
	}
	from := " FROM " + table(q.schema, "products") + " AS p" + w.String()
	return q.page(ctx, from, order{"p.created_at", true}, f.Page, f.PerPage, w.args)
}
