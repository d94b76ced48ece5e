package main

import (
	"context"
	"net/http"
	"time"

	"github.com/storefront/storefront/bench/internal/load"
)

// getter returns an op that GETs the URLs in turn (worker w starts at its own offset),
// expecting 200.
func getter(client *http.Client, urls []string) func(context.Context, int) error {
	next := make([]int, 1024)
	return func(ctx context.Context, w int) error {
		i := next[w%len(next)]
		next[w%len(next)] = i + 1
		u := urls[(i+w)%len(urls)]
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		return load.Do(client, req, http.StatusOK)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
