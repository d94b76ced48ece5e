// Package storagetest is the contract every storage adapter must meet; each adapter's tests
// run it against a real backend (a directory, an S3-protocol server).
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/storefront/storefront/platform/storage"
)

// Run checks store against the contract. The store must start empty.
func Run(t *testing.T, store storage.Store) {
	ctx := context.Background()
	t.Run("put then get returns the bytes and the content type", func(t *testing.T) {
		data := []byte("\x89PNG fake bytes")
		if err := store.Put(ctx, "images/abc/original.png", "image/png", data); err != nil {
			t.Fatal(err)
		}
		got := read(t, store, "images/abc/original.png")
		if !bytes.Equal(got.data, data) || got.contentType != "image/png" || got.size != int64(len(data)) {
			t.Fatalf("got %q %q %d, want %q image/png %d", got.data, got.contentType, got.size, data, len(data))
		}
		if ok, err := store.Exists(ctx, "images/abc/original.png"); err != nil || !ok {
			t.Fatalf("Exists = %v, %v; want true", ok, err)
		}
	})
	t.Run("a missing key is ErrNotFound and does not exist", func(t *testing.T) {
		_, err := store.Get(ctx, "images/missing/w320.webp")
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Get = %v, want ErrNotFound", err)
		}
		if ok, err := store.Exists(ctx, "images/missing/w320.webp"); err != nil || ok {
			t.Fatalf("Exists = %v, %v; want false", ok, err)
		}
		if _, err := store.Get(ctx, "images"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Get of a key prefix = %v, want ErrNotFound", err)
		}
	})
	t.Run("a rewrite replaces the object", func(t *testing.T) {
		for _, v := range []string{"one", "two"} {
			if err := store.Put(ctx, "images/re/w640.webp", "image/webp", []byte(v)); err != nil {
				t.Fatal(err)
			}
		}
		if got := read(t, store, "images/re/w640.webp"); string(got.data) != "two" || got.contentType != "image/webp" {
			t.Fatalf("got %q %q", got.data, got.contentType)
		}
	})
	t.Run("concurrent writers of one key leave one whole object", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if err := store.Put(ctx, "images/race/w1280.webp", "image/webp", bytes.Repeat([]byte{byte('a' + i)}, 64<<10)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got := read(t, store, "images/race/w1280.webp")
		if len(got.data) != 64<<10 || !bytes.Equal(got.data, bytes.Repeat(got.data[:1], 64<<10)) {
			t.Fatalf("object is torn or short: %d bytes", len(got.data))
		}
	})
	t.Run("keys that could escape or are malformed are refused by every call", func(t *testing.T) {
		for _, key := range []string{"", "../etc/passwd", "images/../../x", "/abs", "a//b", "a/", "A.png", "a b", "a\\b", "images/%2e%2e/x", string(bytes.Repeat([]byte("a"), storage.MaxKeyLen+1))} {
			if err := store.Put(ctx, key, "image/png", []byte("x")); !errors.Is(err, storage.ErrBadKey) {
				t.Errorf("Put(%q) = %v, want ErrBadKey", key, err)
			}
			if _, err := store.Get(ctx, key); !errors.Is(err, storage.ErrBadKey) {
				t.Errorf("Get(%q) = %v, want ErrBadKey", key, err)
			}
			if _, err := store.Exists(ctx, key); !errors.Is(err, storage.ErrBadKey) {
				t.Errorf("Exists(%q) = %v, want ErrBadKey", key, err)
			}
		}
	})
	t.Run("large objects round-trip", func(t *testing.T) {
		data := make([]byte, 10<<20)
		for i := range data {
			data[i] = byte(i * 7)
		}
		if err := store.Put(ctx, "images/big/original.jpg", "image/jpeg", data); err != nil {
			t.Fatal(err)
		}
		if got := read(t, store, "images/big/original.jpg"); !bytes.Equal(got.data, data) || got.contentType != "image/jpeg" {
			t.Fatalf("got %d bytes %q", len(got.data), got.contentType)
		}
	})
}

type object struct {
	data        []byte
	contentType string
	size        int64
}

func read(t *testing.T, store storage.Store, key string) object {
	t.Helper()
	o, err := store.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	defer o.Body.Close()
	data, err := io.ReadAll(o.Body)
	if err != nil {
		t.Fatal(fmt.Errorf("read %s: %w", key, err))
	}
	return object{data: data, contentType: o.ContentType, size: o.Size}
}
