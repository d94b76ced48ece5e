// Package media is the edge's part of product pictures: the multipart upload route, which
// hands the file to the catalog's AddProductImage RPC (so the route's policy, admin only, is
// checked like any other), and GET /media/{key}, which serves the stored bytes straight
// from the media store with immutable caching (keys are derived from the content).
package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/gateway/internal/edge"
	"github.com/storefront/storefront/platform/storage"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// Limits of an upload (API.md: the file at most 10 MiB).
const (
	MaxFileBytes = 10 << 20
	maxAltBytes  = 4 << 10
	// MaxUploadBytes bounds the whole multipart body: the file, the alt text and the parts'
	// headers.
	MaxUploadBytes = MaxFileBytes + 64<<10
)

// ProductImageAdder is the catalog RPC behind the upload route.
type ProductImageAdder interface {
	AddProductImage(ctx context.Context, in *catalogv1.AddProductImageRequest, opts ...grpc.CallOption) (*catalogv1.Product, error)
}

// Handler serves the upload route and the media store.
type Handler struct {
	Catalog ProductImageAdder
	Store   storage.Store
	Log     *slog.Logger
}

// uploadPattern is the upload route, under /api/v1 so the edge's authentication and rate
// limits apply to it.
const uploadPattern = "POST /api/v1/products/{id}/images"

// Register adds the routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc(uploadPattern, h.upload)
	mux.HandleFunc("GET /media/{key...}", h.serve)
}

// BodyLimit is the body limit of r: MaxUploadBytes for the upload route, else 0 (the edge's
// default).
func BodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v1/products/") && strings.HasSuffix(r.URL.Path, "/images") &&
		strings.Count(r.URL.Path, "/") == 5 {
		return MaxUploadBytes
	}
	return 0
}

func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	req, bad := readUpload(r)
	if bad != nil {
		edge.WriteError(w, http.StatusBadRequest, edge.CodeInvalidArgument, "invalid upload", *bad)
		return
	}
	req.ProductId = r.PathValue("id")
	p, err := h.Catalog.AddProductImage(r.Context(), req, grpc.MaxCallSendMsgSize(MaxUploadBytes))
	if err != nil {
		code, body := edge.StatusError(status.Convert(err))
		if code >= 500 {
			h.Log.ErrorContext(r.Context(), "image upload failed", "err", err, "request_id", edge.RequestIDFrom(r.Context()))
		}
		edge.WriteJSON(w, code, body)
		return
	}
	b, err := edge.JSONMarshaler().Marshal(p)
	if err != nil {
		edge.WriteError(w, http.StatusInternalServerError, edge.CodeInternal, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b)
}

// readUpload reads the multipart form: a "file" part (required, at most MaxFileBytes) and an
// optional "alt" part; any other field is refused, so a typo never uploads silently without
// its alt text.
func readUpload(r *http.Request) (*catalogv1.AddProductImageRequest, *edge.FieldViolation) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return nil, &edge.FieldViolation{Field: "file", Reason: "send the picture as multipart/form-data (fields file and alt)"}
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &edge.FieldViolation{Field: "file", Reason: "is not a readable multipart body"}
	}
	req := &catalogv1.AddProductImageRequest{}
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, &edge.FieldViolation{Field: "file", Reason: fmt.Sprintf("must be at most %d MiB", MaxFileBytes>>20)}
			}
			return nil, &edge.FieldViolation{Field: "file", Reason: "is not a readable multipart body"}
		}
		name := part.FormName()
		if seen[name] {
			return nil, &edge.FieldViolation{Field: name, Reason: "is given twice"}
		}
		seen[name] = true
		switch name {
		case "file":
			data, err := io.ReadAll(io.LimitReader(part, MaxFileBytes+1))
			if err != nil || len(data) > MaxFileBytes {
				return nil, &edge.FieldViolation{Field: "file", Reason: fmt.Sprintf("must be at most %d MiB", MaxFileBytes>>20)}
			}
			req.File = data
		case "alt":
			data, err := io.ReadAll(io.LimitReader(part, maxAltBytes+1))
			if err != nil || len(data) > maxAltBytes {
				return nil, &edge.FieldViolation{Field: "alt", Reason: "is too long"}
			}
			req.Alt = string(data)
		default:
			return nil, &edge.FieldViolation{Field: name, Reason: "is not a field of this form (file, alt)"}
		}
	}
	if len(req.File) == 0 {
		return nil, &edge.FieldViolation{Field: "file", Reason: "is required"}
	}
	return req, nil
}

// serve answers GET /media/{key}: the object with its content type, cached forever (a key
// names one content), or 404 for a key that is missing or malformed.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	etag := `"` + key + `"`
	if storage.ValidKey(key) == nil && r.Header.Get("If-None-Match") == etag {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	obj, err := h.Store.Get(r.Context(), key)
	switch {
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrBadKey):
		edge.WriteError(w, http.StatusNotFound, edge.CodeNotFound, "no such media")
		return
	case err != nil:
		h.Log.ErrorContext(r.Context(), "media store read failed", "key", key, "err", err)
		edge.WriteError(w, http.StatusServiceUnavailable, edge.CodeUnavailable, "service unavailable, try again")
		return
	}
	defer obj.Body.Close()
	hd := w.Header()
	hd.Set("Content-Type", obj.ContentType)
	hd.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("ETag", etag)
	// Served bytes are pictures, never pages: nothing in them may run or be sniffed as HTML.
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, obj.Body); err != nil {
		h.Log.WarnContext(r.Context(), "media response cut short", "key", key, "err", err)
	}
}
