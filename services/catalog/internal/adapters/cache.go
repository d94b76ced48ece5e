package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/platform/projector"
	readmodel "github.com/storefront/storefront/projections/catalog"
	"github.com/storefront/storefront/services/catalog/internal/app"
)

// cacheFormat versions the cached encoding: a deployment that changes it reads none of the
// entries an older one wrote.
const cacheFormat = "v2" // v2: images carry ids, sizes and variants

// PageCache is an app.ProductReader that keeps product pages (GetProduct) and list and
// search pages (ListProducts) of the reader it wraps in Redis for TTL, under keys that
// contain the read model's commit counter (projector.CommittedCounterKey): once the projector has committed a
// change of the catalog read model and bumped the counter, every later read misses the old
// entries and reads the new state, so an admin's change shows as soon as the read model has
// it. Old entries are never read again and expire.
//
// Nothing is cached while the counter does not exist: no projector with Redis is running to
// move it (it creates it with its first commit), so entries could not be invalidated.
//
// Redis is an optimisation only: when it fails or is slow (Timeout), reads go to the wrapped
// reader and the client sees no error. Errors of the wrapped reader (not found included) are
// never cached. The admin list and the categories are not cached. Safe for concurrent use.
type PageCache struct {
	Next   app.ProductReader
	Redis  redis.UniversalClient
	Prefix string // every key starts with it, e.g. "sf:"
	TTL    time.Duration
	// Timeout bounds each Redis call. Default 100ms.
	Timeout time.Duration
	Log     *slog.Logger

	// failures counts Redis failures since the last one logged, so that an outage logs a
	// line now and then rather than one per request.
	failures atomic.Int64
	lastLog  atomic.Int64
}

var _ app.ProductReader = (*PageCache)(nil)

// getScript reads the commit counter and the entry stored under it in one round trip.
// KEYS[1] is the counter; the entry's key is ARGV[1] .. counter .. ARGV[2]. It returns
// {counter, entry or false}, or {false, false} if there is no counter.
var getScript = redis.NewScript(`
local gen = redis.call('GET', KEYS[1])
if not gen then return {false, false} end
return {gen, redis.call('GET', ARGV[1] .. gen .. ARGV[2])}
`)

// ListProducts implements app.ProductReader.
func (c *PageCache) ListProducts(ctx context.Context, f app.ProductFilter) (app.ProductPage, error) {
	return cached(ctx, c, "list:"+listKey(f), func(ctx context.Context) (app.ProductPage, error) {
		return c.Next.ListProducts(ctx, f)
	})
}

// GetProduct implements app.ProductReader.
func (c *PageCache) GetProduct(ctx context.Context, idOrSlug string) (app.ProductView, error) {
	return cached(ctx, c, "product:"+idOrSlug, func(ctx context.Context) (app.ProductView, error) {
		return c.Next.GetProduct(ctx, idOrSlug)
	})
}

// ListCategories implements app.ProductReader: not cached (one small indexed read).
func (c *PageCache) ListCategories(ctx context.Context) ([]app.CategoryView, error) {
	return c.Next.ListCategories(ctx)
}

// AdminListProducts implements app.ProductReader: not cached, admins see the read model.
func (c *PageCache) AdminListProducts(ctx context.Context, f app.AdminProductFilter) (app.ProductPage, error) {
	return c.Next.AdminListProducts(ctx, f)
}

// cached returns the entry of key under the current commit counter, or reads it with read
// and stores it under the counter read before the read: a change committed after that is
// stored under a counter nobody asks for any more.
func cached[T any](ctx context.Context, c *PageCache, key string, read func(context.Context) (T, error)) (T, error) {
	prefix := c.Prefix + "catalog:page:" + cacheFormat + ":"
	rctx, cancel := context.WithTimeout(ctx, c.timeout())
	res, err := getScript.Run(rctx, c.Redis, []string{c.Prefix + projector.CommittedCounterKey(readmodel.Name)}, prefix, ":"+key).Slice()
	cancel()
	var gen string
	if err == nil {
		var hit *T
		gen, hit, err = decodeHit[T](res)
		if hit != nil {
			return *hit, nil
		}
	}
	if err != nil {
		c.failed(ctx, "read", err)
	}
	v, err := read(ctx)
	if err != nil || gen == "" {
		return v, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		c.failed(ctx, "encode", err)
		return v, nil
	}
	wctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	if err := c.Redis.Set(wctx, prefix+gen+":"+key, b, c.TTL).Err(); err != nil {
		c.failed(ctx, "write", err)
	}
	return v, nil
}

// decodeHit reads getScript's reply: the counter, and the entry if there was one.
func decodeHit[T any](res []any) (string, *T, error) {
	if len(res) == 0 {
		return "", nil, errors.New("empty reply")
	}
	if res[0] == nil {
		return "", nil, nil // no counter: do not cache
	}
	gen, ok := res[0].(string)
	if !ok {
		return "", nil, fmt.Errorf("counter of type %T", res[0])
	}
	if len(res) < 2 || res[1] == nil {
		return gen, nil, nil
	}
	s, ok := res[1].(string)
	if !ok {
		return gen, nil, fmt.Errorf("entry of type %T", res[1])
	}
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return gen, nil, fmt.Errorf("decode entry: %w", err)
	}
	return gen, &v, nil
}

func (c *PageCache) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 100 * time.Millisecond
}

// failed logs a Redis failure at most every 10 s, with the number of failures since the last
// line.
func (c *PageCache) failed(ctx context.Context, op string, err error) {
	n := c.failures.Add(1)
	now := time.Now().UnixNano()
	last := c.lastLog.Load()
	if now-last < int64(10*time.Second) || !c.lastLog.CompareAndSwap(last, now) {
		return
	}
	c.failures.Store(0)
	if c.Log != nil {
		c.Log.WarnContext(ctx, "catalog page cache unavailable; reading the read model", "op", op, "failures", n, "err", err)
	}
}

// listKey encodes every field of a list filter, unambiguously.
func listKey(f app.ProductFilter) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(f.Page))
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(f.PerPage))
	b.WriteByte('|')
	b.WriteString(string(f.Sort))
	b.WriteByte('|')
	if f.PriceMinMinor != nil {
		b.WriteString(strconv.FormatInt(*f.PriceMinMinor, 10))
	}
	b.WriteByte('|')
	if f.PriceMaxMinor != nil {
		b.WriteString(strconv.FormatInt(*f.PriceMaxMinor, 10))
	}
	b.WriteByte('|')
	if f.InStock != nil {
		b.WriteString(strconv.FormatBool(*f.InStock))
	}
	b.WriteByte('|')
	// Quoted: free text may contain the separator.
	b.WriteString(strconv.Quote(f.Category))
	b.WriteByte('|')
	b.WriteString(strconv.Quote(f.Query))
	return b.String()
}
