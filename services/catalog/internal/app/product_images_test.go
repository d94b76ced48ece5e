package app_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/services/catalog/internal/app"
)

func pngOf(t *testing.T, w, h int, shade uint8) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.NRGBA{shade, uint8(x), uint8(y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (e *env) storedFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(e.mediaDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(e.mediaDir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

func TestAddProductImage_StoresTheOriginalAndItsRenditionsOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.create(t, keyboard("KB-IMG"))
	pic := pngOf(t, 700, 400, 10)
	got, err := e.app.Commands.AddProductImage.Handle(ctx, app.AddProductImage{ProductID: p.ID, File: pic, Alt: "top view"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Images) != 2 {
		t.Fatalf("images %+v", got.Images)
	}
	im := got.Images[1]
	if !im.Stored() || im.Width != 700 || im.Height != 400 || im.Alt != "top view" || im.ContentType != "image/png" || len(im.Variants) != 2 ||
		im.Variants[0].Width != 320 || im.Variants[1].Width != 640 || im.Variants[1].Height != 366 {
		t.Fatalf("image %+v", im)
	}
	files := e.storedFiles(t)
	want := []string{im.Key, im.Variants[0].Key, im.Variants[1].Key}
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Fatalf("stored %v, want %v", files, want)
	}
	if b, _ := os.ReadFile(filepath.Join(e.mediaDir, im.Key)); !bytes.Equal(b, pic) {
		t.Fatal("the original is not stored as uploaded")
	}
	// The same picture again (a retry after a timeout): nothing new, the product as it is.
	again, err := e.app.Commands.AddProductImage.Handle(ctx, app.AddProductImage{ProductID: p.ID, File: pic, Alt: "top view"})
	if err != nil || len(again.Images) != 2 {
		t.Fatalf("again: %v %d images", err, len(again.Images))
	}
	// The same picture on another product reuses the files under its own image id.
	other := e.create(t, keyboard("KB-IMG-2"))
	o, err := e.app.Commands.AddProductImage.Handle(ctx, app.AddProductImage{ProductID: other.ID, File: pic})
	if err != nil || o.Images[1].Key != im.Key || o.Images[1].ID == im.ID {
		t.Fatalf("other product: %v %+v", err, o.Images)
	}
	if files := e.storedFiles(t); len(files) != 3 {
		t.Fatalf("stored again: %v", files)
	}
	// Removal takes it off the product; the files stay for past orders.
	if err := e.app.Commands.RemoveProductImage.Handle(ctx, app.RemoveProductImage{ProductID: p.ID, ImageID: im.ID}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.product(t, p.ID).Image(im.ID); ok {
		t.Fatal("the image is still on the product")
	}
	if files := e.storedFiles(t); len(files) != 3 {
		t.Fatalf("files after removal: %v", files)
	}
}

func TestAddProductImage_BadUploadsStoreNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.create(t, keyboard("KB-BAD"))
	good := pngOf(t, 40, 40, 1)
	for _, tc := range []struct {
		name      string
		cmd       app.AddProductImage
		want      error
		wantField string
	}{
		{"no file", app.AddProductImage{ProductID: p.ID}, errs.InvalidArgument, "file"},
		{"not an image", app.AddProductImage{ProductID: p.ID, File: []byte("%PDF-1.7 not a picture")}, errs.InvalidArgument, "file"},
		{"a truncated picture", app.AddProductImage{ProductID: p.ID, File: good[:len(good)-30]}, errs.InvalidArgument, "file"},
		{"over 10 MiB", app.AddProductImage{ProductID: p.ID, File: append(slices.Clone(good), make([]byte, 10<<20)...)}, errs.InvalidArgument, "file"},
		{"alt too long", app.AddProductImage{ProductID: p.ID, File: good, Alt: string(make([]byte, 301))}, errs.InvalidArgument, "alt"},
		{"unknown product", app.AddProductImage{ProductID: "7b0e4d4e-0000-4000-8000-000000000000", File: good}, errs.NotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.app.Commands.AddProductImage.Handle(ctx, tc.cmd)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.wantField != "" && !slices.Contains(violationFields(err), tc.wantField) {
				t.Fatalf("fields %v, want %s", violationFields(err), tc.wantField)
			}
		})
	}
	if files := e.storedFiles(t); len(files) != 0 {
		t.Fatalf("bad uploads stored %v", files)
	}
}
