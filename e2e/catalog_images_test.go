package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"strings"
	"testing"
	"time"
)

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.NRGBA{uint8(x * 3), uint8(y * 5), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload posts a multipart form with the given parts ("file" parts are file parts).
func (c catalogClient) upload(t *testing.T, product, token string, parts map[string][]byte) response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for name, data := range parts {
		var err error
		if name == "file" || name == "image" {
			pw, e := w.CreateFormFile(name, "photo.png")
			err = e
			if err == nil {
				_, err = pw.Write(data)
			}
		} else {
			err = w.WriteField(name, string(data))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = w.Close()
	return c.f.do(t, "POST", "/api/v1/products/"+product+"/images", b.String(), token, "Content-Type", w.FormDataContentType())
}

// mediaPath is the path of a media URL on the edge.
func mediaPath(t *testing.T, url string) string {
	t.Helper()
	i := strings.Index(url, "/media/")
	if i < 0 {
		t.Fatalf("%q is not a media URL", url)
	}
	return url[i:]
}

// testImages: an admin uploads a picture; the product lists it with its WebP renditions, the
// edge serves every file with immutable caching; bad uploads and non-admins change nothing;
// a removed image and a deleted product's pictures stay retrievable.
func (c catalogClient) testImages(t *testing.T) {
	p := c.create(t, productBody("IMG-"+suffix(), c.category(t, "")))
	id := p["id"].(string)
	pic := testPNG(t, 800, 500)

	for _, tc := range []struct {
		name  string
		token string
		parts map[string][]byte
		want  int
		field string
	}{
		{"anonymous", "", map[string][]byte{"file": pic}, 401, ""},
		{"a customer", c.customer, map[string][]byte{"file": pic}, 403, ""},
		{"not an image", c.admin, map[string][]byte{"file": []byte("GIF89a or a PDF, but not a picture we take")}, 400, "file"},
		{"wrong field", c.admin, map[string][]byte{"image": pic}, 400, "image"},
		{"no file", c.admin, map[string][]byte{"alt": []byte("just alt")}, 400, "file"},
		{"too big", c.admin, map[string][]byte{"file": append(bytes.Clone(pic), make([]byte, 10<<20)...)}, 400, "file"},
	} {
		r := c.upload(t, id, tc.token, tc.parts)
		if r.status != tc.want {
			t.Fatalf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.want)
		}
		if tc.field != "" && !strings.Contains(string(r.body), `"field":"`+tc.field+`"`) {
			t.Fatalf("%s: %s, want field %s", tc.name, r.body, tc.field)
		}
	}
	if r := c.f.do(t, "GET", "/api/v1/products/"+id, nil, ""); len(r.json(t)["images"].([]any)) != 1 {
		t.Fatalf("a refused upload changed the product: %s", r.body)
	}
	if r := c.upload(t, "0b6a0c55-1d1e-4f5e-9a0e-000000000000", c.admin, map[string][]byte{"file": pic}); r.status != 404 {
		t.Fatalf("unknown product: %d %s", r.status, r.body)
	}

	r := c.upload(t, id, c.admin, map[string][]byte{"file": pic, "alt": []byte("the keyboard from above")})
	if r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	images := r.json(t)["images"].([]any)
	if len(images) != 2 {
		t.Fatalf("images %v", images)
	}
	im := images[1].(map[string]any)
	variants := im["variants"].([]any)
	if im["id"] == "" || im["alt"] != "the keyboard from above" || im["width"] != 800.0 || im["height"] != 500.0 || len(variants) != 2 {
		t.Fatalf("image %v", im)
	}
	urls := []string{im["url"].(string)}
	for i, w := range []float64{320, 640} {
		v := variants[i].(map[string]any)
		if v["width"] != w || v["format"] != "webp" {
			t.Fatalf("variant %d: %v", i, v)
		}
		urls = append(urls, v["url"].(string))
	}
	// An image given by URL has an id, no size and no variants.
	if first := images[0].(map[string]any); first["id"] == "" || first["width"] != 0.0 || len(first["variants"].([]any)) != 0 {
		t.Fatalf("URL image %v", first)
	}
	checkMedia := func(t *testing.T) {
		t.Helper()
		for i, u := range urls {
			m := c.f.do(t, "GET", mediaPath(t, u), nil, "")
			want := "image/webp"
			if i == 0 {
				want = "image/png"
			}
			if m.status != 200 || m.header.Get("Content-Type") != want || m.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Fatalf("GET %s: %d %v", u, m.status, m.header)
			}
			if i == 0 && !bytes.Equal(m.body, pic) {
				t.Fatal("the original is not the uploaded bytes")
			}
		}
	}
	checkMedia(t)
	if m := c.f.do(t, "GET", "/media/images/../../../etc/passwd", nil, ""); m.status != 404 && (m.status < 300 || m.status >= 400) {
		t.Fatalf("path traversal: %d", m.status)
	}

	// The storefront read shows the picture once the read model has it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := c.f.do(t, "GET", "/api/v1/products/"+id, nil, "")
		if imgs, _ := r.json(t)["images"].([]any); len(imgs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read model never showed the upload: %s", r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Removal: 204, gone from the product, the files still served (past orders show them).
	if r := c.f.do(t, "DELETE", "/api/v1/products/"+id+"/images/"+im["id"].(string), nil, c.customer); r.status != 403 {
		t.Fatalf("customer removal: %d", r.status)
	}
	if r := c.f.do(t, "DELETE", "/api/v1/products/"+id+"/images/"+im["id"].(string), nil, c.admin); r.status != 204 {
		t.Fatalf("removal: %d %s", r.status, r.body)
	}
	if r := c.f.do(t, "DELETE", "/api/v1/products/"+id+"/images/"+im["id"].(string), nil, c.admin); r.status != 404 {
		t.Fatalf("second removal: %d %s", r.status, r.body)
	}
	// Upload it again, delete the product: its pictures stay retrievable.
	if r := c.upload(t, id, c.admin, map[string][]byte{"file": pic}); r.status != 201 {
		t.Fatalf("re-upload: %d %s", r.status, r.body)
	}
	if r := c.f.do(t, "DELETE", "/api/v1/products/"+id, nil, c.admin); r.status != 204 {
		t.Fatalf("delete product: %d", r.status)
	}
	checkMedia(t)
}
