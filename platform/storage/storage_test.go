package storage_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/storefront/storefront/platform/storage"
	"github.com/storefront/storefront/platform/storage/storagetest"
)

func TestDir_Contract(t *testing.T) {
	d, err := storage.OpenDir(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	storagetest.Run(t, d)
}

// A symbolic link inside the directory that points outside it is not followed.
func TestDir_DoesNotFollowLinksOut(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	d, err := storage.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if o, err := d.Get(context.Background(), "link"); err == nil {
		o.Body.Close()
		t.Fatal("Get followed a link out of the directory")
	}
}

// The S3 adapter against an S3-protocol server in the test process (gofakes3 speaks the
// REST API: signatures, path-style buckets, HEAD without a body, NoSuchKey).
func TestS3_Contract(t *testing.T) {
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	if err := backend.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := storage.NewS3(ctx, storage.S3Config{Bucket: "media", Region: "eu-central-1", Endpoint: srv.URL, PathStyle: true, Prefix: "store/"},
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		t.Fatal(err)
	}
	storagetest.Run(t, s)

	// The prefix is where the objects really are.
	if _, err := backend.HeadObject("media", "store/images/abc/original.png"); err != nil {
		t.Fatalf("object not under the prefix: %v", err)
	}
}

func TestS3_UnreachableStoreIsAnErrorNotAMiss(t *testing.T) {
	s, err := storage.NewS3(context.Background(), storage.S3Config{Bucket: "media", Endpoint: "http://127.0.0.1:1", PathStyle: true},
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		awsconfig.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Exists(context.Background(), "images/x/original.png"); err == nil {
		t.Fatal("Exists on an unreachable store answered without an error")
	}
	if _, err := s.Get(context.Background(), "images/x/original.png"); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get = %v, want a store error", err)
	}
}
