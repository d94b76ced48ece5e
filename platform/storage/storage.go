// Package storage keeps binary objects (product pictures and their renditions) by key, behind
// one port with two adapters: a local directory (the default of `make run`) and any store that
// speaks the S3 API (AWS S3, MinIO, R2, ...). Objects are written once and never changed:
// keys are derived from their content, so a retried write stores the same bytes again and a
// reader may cache an object forever.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"time"
)

// ErrNotFound: no object has the key.
var ErrNotFound = errors.New("storage: no such object")

// ErrBadKey: the key is not one this package writes or serves (see ValidKey).
var ErrBadKey = errors.New("storage: invalid key")

// MaxKeyLen bounds a key, well inside S3's 1024 bytes.
const MaxKeyLen = 512

// Store is the port: put an object, open it, ask whether it exists.
type Store interface {
	// Put stores data under key with its content type. Writing a key that exists replaces
	// it atomically (readers see the old or the new bytes, never a mix).
	Put(ctx context.Context, key, contentType string, data []byte) error
	// Get opens an object; the caller closes its Body. A missing key is ErrNotFound.
	Get(ctx context.Context, key string) (*Object, error)
	// Exists says whether key holds an object.
	Exists(ctx context.Context, key string) (bool, error)
}

// Object is an opened object.
type Object struct {
	Body        io.ReadCloser
	ContentType string
	Size        int64
	ModTime     time.Time
}

// ValidKey checks a key: slash-separated segments of lower-case letters, digits, '.', '_'
// and '-', none empty, "." or "..", no leading or trailing slash. Keys come from this code,
// but GET /media/{key} hands the edge whatever a client sends, so every adapter checks.
func ValidKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q", ErrBadKey, key)
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				return fmt.Errorf("%w: %q", ErrBadKey, key)
			}
		}
	}
	return nil
}

// ContentTypeOf is the content type for a key's extension (application/octet-stream when
// unknown): the directory adapter keeps no metadata beside the bytes.
func ContentTypeOf(key string) string {
	switch ext := path.Ext(key); ext {
	case ".webp":
		return "image/webp" // not in every system's mime table
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
		return "application/octet-stream"
	}
}
