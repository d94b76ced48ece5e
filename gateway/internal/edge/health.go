package edge

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Check reports whether one dependency is reachable.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Healthz answers 200 while the process serves: liveness only, no dependency is consulted.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// Readyz runs every check concurrently (2 s each) and answers 200 when all pass, else 503 with
// the names of the failing ones. Reasons stay in the log: they may hold internal addresses.
func Readyz(checks []Check, failed func(ctx context.Context, name string, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var mu sync.Mutex
		var wg sync.WaitGroup
		status := make(map[string]string, len(checks))
		for _, c := range checks {
			wg.Go(func() {
				err := c.Run(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					status[c.Name] = "unavailable"
					failed(r.Context(), c.Name, err)
					return
				}
				status[c.Name] = "ok"
			})
		}
		wg.Wait()
		var down []FieldViolation
		for _, c := range checks {
			if status[c.Name] != "ok" {
				down = append(down, FieldViolation{Field: c.Name, Reason: "unavailable"})
			}
		}
		if len(down) > 0 {
			WriteError(w, http.StatusServiceUnavailable, CodeUnavailable, "not ready", down...)
			return
		}
		WriteJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": status})
	})
}
