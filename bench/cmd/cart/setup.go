package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/storefront/storefront/bench/internal/benchenv"
)

// user is a registered shopper with a fresh access token.
type user struct {
	email string
	token string
}

// api calls the REST edge at base with one client.
type api struct {
	client *http.Client
	base   string
}

// call sends method path with body (JSON, or none when nil) and token (none when ""),
// fails unless the status is want, and decodes the response into out when it is not nil.
func (a api) call(ctx context.Context, method, path string, body any, token string, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return &statusError{method: method, path: path, status: resp.StatusCode, want: want, body: string(b)}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = b
		return nil
	}
	return json.Unmarshal(b, out)
}

type statusError struct {
	method, path string
	status, want int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: status %d, want %d: %s", e.method, e.path, e.status, e.want, e.body)
}

// login returns an access token for email.
func (a api) login(ctx context.Context, email, password string) (string, error) {
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	if err := a.call(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password}, "", http.StatusOK, &pair); err != nil {
		return "", err
	}
	if pair.AccessToken == "" {
		return "", errors.New("login answered without an access token")
	}
	return pair.AccessToken, nil
}

// registerUsers registers n shoppers (workers at a time) and logs each in.
func (a api) registerUsers(ctx context.Context, n, workers int, tag string) ([]user, error) {
	users := make([]user, n)
	run := benchenv.RandomHex(4)
	err := parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		email := fmt.Sprintf("bench-cart-%s-%s-%d@example.com", run, tag, i)
		body := map[string]string{"email": email, "password": shopperPassword, "name": "Cart Shopper"}
		if err := a.call(ctx, http.MethodPost, "/api/v1/auth/register", body, "", http.StatusCreated, nil); err != nil {
			return err
		}
		token, err := a.login(ctx, email, shopperPassword)
		if err != nil {
			return err
		}
		users[i] = user{email: email, token: token}
		return nil
	})
	return users, err
}

// shopperPassword is every shopper's password.
const shopperPassword = "load-test-pass-1"

// product is a catalog product the carts hold.
type product struct {
	ID  string `json:"id"`
	SKU string `json:"sku"`
}

// createProducts creates a category and n products with the most stock the catalog allows,
// as the admin, through the edge.
func (a api) createProducts(ctx context.Context, adminToken string, n int) ([]product, error) {
	run := benchenv.RandomHex(4)
	slug := "bench-cart-" + run
	cat := map[string]string{"slug": slug, "name": "Cart bench " + run}
	if err := a.call(ctx, http.MethodPost, "/api/v1/categories", cat, adminToken, http.StatusCreated, nil); err != nil {
		return nil, err
	}
	prices := []string{"129.90", "24.99", "7.50", "349.00", "59.95"}
	var out []product
	for i := range n {
		sku := fmt.Sprintf("BENCH-CART-%s-%d", run, i)
		body := map[string]any{
			"sku": sku, "name": fmt.Sprintf("Split Keyboard %s %d", run, i), "category": slug, "brand": "Keeb Co",
			"description": "A split mechanical keyboard with hot-swappable switches.",
			"price":       map[string]string{"amount": prices[i%len(prices)], "currency": "USD"},
			"specs":       []map[string]string{{"key": "switches", "value": "Gateron Brown", "unit": ""}, {"key": "weight", "value": "1.2", "unit": "kg"}},
			"images":      []map[string]string{{"url": "https://img.example.com/kb.png", "alt": "the keyboard"}},
			"stock":       maxStock,
		}
		var p product
		if err := a.call(ctx, http.MethodPost, "/api/v1/products", body, adminToken, http.StatusCreated, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// maxStock is the most units the catalog takes for a product: the adds never reach it.
const maxStock = 1_000_000

// addItem is POST /api/v1/cart/items.
func (a api) addItem(ctx context.Context, token, productID string, quantity int) error {
	body := map[string]any{"product_id": productID, "quantity": quantity}
	return a.call(ctx, http.MethodPost, "/api/v1/cart/items", body, token, http.StatusCreated, nil)
}

// waitForProducts waits until the cart's product read model knows every product (the
// projector builds it from the catalog's events): until then an add is 404. It puts
// quantity 1 of each product in u's cart.
func (a api) waitForProducts(ctx context.Context, u user, products []product, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, p := range products {
		for {
			err := a.addItem(ctx, u.token, p.ID, 1)
			var se *statusError
			if err == nil {
				break
			}
			if !errors.As(err, &se) || se.status != http.StatusNotFound || time.Now().After(deadline) {
				return fmt.Errorf("the cart does not take product %s (waited up to %s): %w", p.ID, limit, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// parallel calls fn(i) for i in [0, n), workers at a time, and returns the first error.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}
