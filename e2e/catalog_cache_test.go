package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/platform/devenv"
)

// TestCatalogCache_AdminChangeShowsWithinASecond reads a product page and a list page until
// they are served from the catalog's Redis page cache, changes the product as an admin, and
// expects both pages to show the change within a second of the PUT's response: the projector
// bumps the read model's commit counter in Redis after the change is committed, and the cache
// keys carry it (decision 013).
func TestCatalogCache_AdminChangeShowsWithinASecond(t *testing.T) {
	if !devenv.RedisAnswers(context.Background(), devenv.LocalRedisURL) {
		t.Fatal("no Redis on 127.0.0.1:6379: the page cache needs it")
	}
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=100000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=1000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword)
	r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	c := catalogClient{f: f, admin: r.json(t)["access_token"].(string)}
	cat := c.category(t, "")
	p := c.create(t, productBody("KB-"+suffix(), cat))
	id := p["id"].(string)
	productPath := "/api/v1/products/" + id
	listPath := "/api/v1/products?category=" + url.QueryEscape(cat) + "&sort=price_asc"

	price := func(path string) string {
		t.Helper()
		r := f.do(t, "GET", path, nil, "")
		if r.status != 200 {
			return ""
		}
		body := r.json(t)
		if items, ok := body["items"].([]any); ok {
			if len(items) != 1 {
				return ""
			}
			body = items[0].(map[string]any)
		}
		return body["price"].(map[string]any)["amount"].(string)
	}
	// The read model has the product, and the pages are cached (read twice).
	deadline := time.Now().Add(10 * time.Second)
	for price(productPath) != "129.90" || price(listPath) != "129.90" {
		if time.Now().After(deadline) {
			t.Fatalf("the product never showed: %s / %s", f.do(t, "GET", productPath, nil, "").body, f.do(t, "GET", listPath, nil, "").body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, _ = price(productPath), price(listPath)
	port := strings.TrimPrefix(f.base, "http://127.0.0.1:")
	opts, _ := redis.ParseURL(devenv.LocalRedisURL)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	keys, err := rdb.Keys(context.Background(), "e2e"+port+":catalog:page:*").Result()
	if err != nil || len(keys) < 2 {
		t.Fatalf("cached pages in Redis: %v (%v), want the product page and the list page", keys, err)
	}

	body := productBody(p["sku"].(string), cat)
	body["price"] = map[string]string{"amount": "149"}
	if r := f.do(t, "PUT", productPath, body, c.admin); r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	changed := time.Now()
	for price(productPath) != "149.00" || price(listPath) != "149.00" {
		if time.Since(changed) > time.Second {
			t.Fatalf("a second after the PUT the pages still show %s / %s", price(productPath), price(listPath))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the change showed on both pages %s after the PUT", time.Since(changed).Round(time.Millisecond))
}
