package media

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/gateway/internal/edge"
	"github.com/storefront/storefront/platform/storage"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

type fakeCatalog struct {
	got *catalogv1.AddProductImageRequest
	err error
}

func (f *fakeCatalog) AddProductImage(_ context.Context, in *catalogv1.AddProductImageRequest, _ ...grpc.CallOption) (*catalogv1.Product, error) {
	f.got = in
	if f.err != nil {
		return nil, f.err
	}
	return &catalogv1.Product{Id: in.GetProductId(), Images: []*catalogv1.Image{{Id: "i1", Alt: in.GetAlt()}}}, nil
}

func newServer(t *testing.T, cat *fakeCatalog) (*httptest.Server, storage.Store) {
	t.Helper()
	store, err := storage.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&Handler{Catalog: cat, Store: store, Log: slog.New(slog.DiscardHandler)}).Register(mux)
	srv := httptest.NewServer(edge.Chain(mux, edge.LimitBody(BodyLimit)))
	t.Cleanup(srv.Close)
	return srv, store
}

func form(t *testing.T, fields map[string][]byte) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for name, data := range fields {
		var part io.Writer
		var err error
		if name == "file" || name == "picture" {
			part, err = w.CreateFormFile(name, "photo.png")
		} else {
			part, err = w.CreateFormField(name)
		}
		if err != nil {
			t.Fatal(err)
		}
		_, _ = part.Write(data)
	}
	_ = w.Close()
	return w.FormDataContentType(), &b
}

func post(t *testing.T, url, contentType string, body io.Reader) (int, map[string]any) {
	t.Helper()
	res, err := http.Post(url, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestUpload_PassesTheFileAndAltToTheCatalog(t *testing.T) {
	cat := &fakeCatalog{}
	srv, _ := newServer(t, cat)
	ct, body := form(t, map[string][]byte{"file": []byte("\x89PNG..."), "alt": []byte("front")})
	code, out := post(t, srv.URL+"/api/v1/products/p1/images", ct, body)
	if code != http.StatusCreated || out["id"] != "p1" {
		t.Fatalf("%d %v", code, out)
	}
	if cat.got.GetProductId() != "p1" || string(cat.got.GetFile()) != "\x89PNG..." || cat.got.GetAlt() != "front" {
		t.Fatalf("catalog got %v", cat.got)
	}
	// The catalog's refusal reaches the client as API.md's error.
	cat.err = status.Error(codes.PermissionDenied, "admins only")
	ct, body = form(t, map[string][]byte{"file": []byte("x")})
	if code, _ := post(t, srv.URL+"/api/v1/products/p1/images", ct, body); code != http.StatusForbidden {
		t.Fatalf("refusal: %d", code)
	}
}

func TestUpload_BadFormsAre400OnTheirField(t *testing.T) {
	big := bytes.Repeat([]byte{1}, MaxFileBytes+1)
	for _, tc := range []struct {
		name      string
		fields    map[string][]byte
		json      bool
		wantCode  int
		wantField string
	}{
		{"no file", map[string][]byte{"alt": []byte("a")}, false, 400, "file"},
		{"wrong field", map[string][]byte{"picture": []byte("x")}, false, 400, "picture"},
		{"empty file", map[string][]byte{"file": nil}, false, 400, "file"},
		{"json body", nil, true, 400, "file"},
		{"file over 10 MiB", map[string][]byte{"file": big}, false, 400, "file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := &fakeCatalog{}
			srv, _ := newServer(t, cat)
			ct, body := form(t, tc.fields)
			if tc.json {
				ct, body = "application/json", bytes.NewBufferString(`{"file":"aGVsbG8="}`)
			}
			code, out := post(t, srv.URL+"/api/v1/products/p1/images", ct, body)
			if code != tc.wantCode {
				t.Fatalf("status %d, want %d: %v", code, tc.wantCode, out)
			}
			if tc.wantField != "" {
				details, _ := out["error"].(map[string]any)["details"].([]any)
				if len(details) != 1 || details[0].(map[string]any)["field"] != tc.wantField {
					t.Fatalf("details %v, want field %s", details, tc.wantField)
				}
			}
			if cat.got != nil {
				t.Fatal("a bad form reached the catalog")
			}
		})
	}
}

func TestServe_StoredBytesCachedForeverAndNothingElse(t *testing.T) {
	srv, store := newServer(t, &fakeCatalog{})
	if err := store.Put(context.Background(), "images/ab/w320.webp", "image/webp", []byte("RIFF....WEBP")); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(srv.URL + "/media/images/ab/w320.webp")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "RIFF....WEBP" || res.Header.Get("Content-Type") != "image/webp" ||
		res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("%d %q %v", res.StatusCode, b, res.Header)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/media/images/ab/w320.webp", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %v %v", err, res)
	}
	for _, path := range []string{"/media/images/ab/missing.webp", "/media/images/../../etc/passwd", "/media/images/%2e%2e/%2e%2e/etc/passwd", "/media/IMAGES/AB/W320.WEBP", "/media/"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound && !(res.StatusCode >= 300 && res.StatusCode < 400) {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
		if strings.Contains(res.Header.Get("Content-Type"), "image") {
			t.Errorf("%s served media", path)
		}
	}
}
