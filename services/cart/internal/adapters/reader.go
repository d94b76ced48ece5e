package adapters

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/aggregate"
	readmodel "github.com/storefront/storefront/projections/cart"
	"github.com/storefront/storefront/services/cart/internal/app"
	"github.com/storefront/storefront/services/cart/internal/domain"
)

// maxCached bounds each reader's cache; past it, an arbitrary entry makes room.
const maxCached = 20000

// VersionedReader implements app.Reader: it keeps users' aggregates in memory and checks
// each read against the event store with one indexed query for the stream's version, sent in
// the same batch (one round trip) as the read of the products the aggregate names, when the
// event store and the read model share a database (docs/decisions/015-cart.md). Only an
// aggregate that changed elsewhere is loaded again. Every read therefore sees every write
// committed before it, made through any replica (read-your-writes).
//
// Safe for concurrent use. Cached aggregates are shared by readers and never changed.
type VersionedReader[R app.Owned[R]] struct {
	store    *aggregate.Store[R]
	stream   func(userID string) string
	events   *pgxpool.Pool
	version  string
	products ReadModel
	// batched: the read model is in the events' database, so both reads go in one batch.
	batched bool

	mu      sync.Mutex
	entries map[string]R // stream id → the aggregate at its Version()
}

// NewVersionedReader returns a reader of the aggregates of store whose streams stream
// names. events is the event store's database and versionSQL its stream-version statement
// (postgres.Store.StreamVersionSQL); products reads the read model, in the same database
// when sameDatabase.
func NewVersionedReader[R app.Owned[R]](store *aggregate.Store[R], stream func(string) string, events *pgxpool.Pool,
	versionSQL string, products ReadModel, sameDatabase bool) *VersionedReader[R] {
	return &VersionedReader[R]{store: store, stream: stream, events: events, version: versionSQL, products: products,
		batched: sameDatabase, entries: map[string]R{}}
}

// Read implements app.Reader.
func (r *VersionedReader[R]) Read(ctx context.Context, userID string) (R, map[string]domain.Product, error) {
	var zero R
	stream := r.stream(userID)
	r.mu.Lock()
	cached, ok := r.entries[stream]
	r.mu.Unlock()
	if ok {
		version, products, err := r.check(ctx, stream, cached.ProductIDs())
		if err != nil {
			return zero, nil, err
		}
		if version == cached.Version() {
			return cached, products, nil
		}
	}
	root, err := r.store.Load(ctx, stream)
	if err != nil && !errors.Is(err, aggregate.ErrNotFound) {
		return zero, nil, err
	}
	r.Saved(root)
	products, err := r.products.Products(ctx, root.ProductIDs())
	if err != nil {
		return zero, nil, err
	}
	return root, products, nil
}

// check reads the stream's version and the products, in one batch when it can.
func (r *VersionedReader[R]) check(ctx context.Context, stream string, ids []string) (int64, map[string]domain.Product, error) {
	var version int64
	if !r.batched {
		if err := r.events.QueryRow(ctx, r.version, stream).Scan(&version); err != nil {
			return 0, nil, fmt.Errorf("check %s for changes: %w", stream, err)
		}
		products, err := r.products.Products(ctx, ids)
		return version, products, err
	}
	b := &pgx.Batch{}
	b.Queue(r.version, stream).QueryRow(func(row pgx.Row) error { return row.Scan(&version) })
	var got map[string]readmodel.Product
	if len(ids) > 0 {
		b.Queue(readmodel.ProductsSQL, ids).Query(func(rows pgx.Rows) error {
			var err error
			got, err = readmodel.ScanProducts(rows)
			return err
		})
	}
	if err := r.events.SendBatch(ctx, b).Close(); err != nil {
		// A view missing (the read model not built) is unavailable, whichever statement met it.
		return 0, nil, fmt.Errorf("check %s for changes: %w", stream, readError(readmodel.ReadError(err)))
	}
	return version, toDomain(got), nil
}

// Saved implements app.Reader.
func (r *VersionedReader[R]) Saved(root R) {
	stream := root.StreamID()
	r.mu.Lock()
	defer r.mu.Unlock()
	old, ok := r.entries[stream]
	if ok && old.Version() >= root.Version() {
		return
	}
	if !ok && len(r.entries) >= maxCached {
		for k := range r.entries {
			delete(r.entries, k)
			break
		}
	}
	r.entries[stream] = root
}
