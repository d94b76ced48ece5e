// Package server assembles the REST edge: the generated grpc-gateway routes of every backend
// under /api/v1, the OpenAPI document, health and metrics, and optionally the web storefront
// at the site root, behind the edge middleware.
package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/storefront/storefront/gateway/internal/edge"
	"github.com/storefront/storefront/gateway/internal/websession"
	"github.com/storefront/storefront/gateway/openapi"
)

// Config is what the edge needs to know beyond its dependencies.
type Config struct {
	CORSOrigins []string
}

// Deps are the edge's collaborators, built in main.
type Deps struct {
	Log     *slog.Logger
	Metrics http.Handler
	// API serves /api/v1/...: the grpc-gateway mux of every registered backend.
	API    http.Handler
	Checks []edge.Check
	// Access authenticates and rate-limits /api/v1 requests; nil serves them unguarded
	// (tests of the plain edge).
	Access *Access
	// Webhooks adds the payment providers' webhook routes (nil: none).
	Webhooks interface{ Register(*http.ServeMux) }
	// Streams adds the routes the edge serves itself under /api/v1 (the support chat's
	// Server-Sent Events), behind the same access middleware (nil: none).
	Streams interface{ Register(*http.ServeMux) }
	// SEO adds /sitemap.xml and /robots.txt at the site root (nil: none).
	SEO interface{ Register(*http.ServeMux) }
	// Media adds the picture upload route and /media/{key} (nil: none); MediaBodyLimit
	// raises the body limit of its upload route.
	Media          interface{ Register(*http.ServeMux) }
	MediaBodyLimit func(*http.Request) int64
	// Sessions serves the web storefront's cookie sessions (/api/v1/auth/session) and turns a
	// session cookie into the caller's token before Access (nil: none).
	Sessions *websession.Manager
	// Web serves the built web storefront at the site root (see package webapp; nil: none,
	// and every path no route matched answers the JSON 404). It registers "/" itself, the
	// least specific pattern, so every route above keeps priority; it must keep answering
	// the JSON 404 for what no route matched under /api/.
	Web interface{ Register(*http.ServeMux) }
	// Trace wraps the handler in the request's server span (continuing an incoming
	// traceparent); nil leaves requests untraced.
	Trace func(http.Handler) http.Handler
}

func limitBody(larger func(*http.Request) int64) edge.Middleware {
	if larger == nil {
		return edge.LimitBody()
	}
	return edge.LimitBody(larger)
}

// New returns the edge's root handler.
func New(cfg Config, d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", edge.Healthz())
	mux.Handle("GET /readyz", edge.Readyz(d.Checks, func(ctx context.Context, name string, err error) {
		d.Log.WarnContext(ctx, "readiness check failed", "check", name, "err", err)
	}))
	mux.Handle("GET /metrics", d.Metrics)
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(openapi.JSON)
	})
	mux.Handle("/api/v1/", d.API)
	if d.Streams != nil {
		d.Streams.Register(mux)
	}
	if d.Webhooks != nil {
		d.Webhooks.Register(mux)
	}
	if d.SEO != nil {
		d.SEO.Register(mux)
	}
	if d.Media != nil {
		d.Media.Register(mux)
	}
	if d.Sessions != nil {
		d.Sessions.Register(mux)
	}
	if d.Web != nil {
		d.Web.Register(mux)
	} else {
		mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
			edge.WriteError(w, http.StatusNotFound, edge.CodeNotFound, "no such resource")
		})
	}
	mw := []edge.Middleware{}
	if d.Trace != nil {
		mw = append(mw, d.Trace)
	}
	mw = append(mw,
		edge.RequestID(),
		edge.SecurityHeaders(),
		edge.AccessLog(d.Log),
		edge.Recover(d.Log),
		edge.CORS(cfg.CORSOrigins),
		limitBody(d.MediaBodyLimit),
		edge.NoContentHasNoBody(),
	)
	if d.Sessions != nil {
		mw = append(mw, d.Sessions.Middleware())
	}
	if d.Access != nil {
		mw = append(mw, d.Access.Middleware())
	}
	return edge.Chain(mux, mw...)
}
