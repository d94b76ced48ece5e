package devenv

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
)

func TestPrivateCluster_StartsServesAndKeepsDataAcrossRestarts(t *testing.T) {
	if _, err := FindPostgresBinDir(); errors.Is(err, ErrNoPostgresBinaries) {
		t.Fatalf("%v: the private-cluster fallback of make run and make test needs them", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The cluster may belong to the postgres user (when tests run as root), so its parent
	// must be traversable by that user; t.TempDir is private to us.
	parent, err := os.MkdirTemp("", "sf-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "pg")
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)

	c, err := StartPrivateCluster(ctx, log, dir, port)
	if err != nil {
		t.Fatalf("StartPrivateCluster: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	if !PostgresAnswers(ctx, c.URL()) {
		t.Fatalf("cluster at %s does not answer", c.URL())
	}
	dbURL, err := EnsureDatabase(ctx, c.URL(), "storefront")
	if err != nil {
		t.Fatalf("EnsureDatabase: %v", err)
	}
	execSQL(ctx, t, dbURL, `CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)`)
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	c, err = StartPrivateCluster(ctx, log, dir, port)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if _, err := EnsureDatabase(ctx, c.URL(), "storefront"); err != nil {
		t.Fatalf("EnsureDatabase on an existing database: %v", err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v); err != nil || v != 42 {
		t.Fatalf("data after restart: v=%d err=%v, want 42", v, err)
	}
}

func execSQL(ctx context.Context, t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

func TestEmbeddedNATS_KeepsStreamsAcrossRestarts(t *testing.T) {
	store := t.TempDir()
	srv, err := StartEmbeddedNATS(store, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !NATSAnswers(context.Background(), srv.URL()) {
		t.Fatal("embedded server does not answer with JetStream")
	}
	publish := func(url string) {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := nc.JetStream()
		if _, err := js.AddStream(&nats.StreamConfig{Name: "KEPT", Subjects: []string{"kept.>"}, Storage: nats.FileStorage}); err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish("kept.one", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	publish(srv.URL())
	srv.Shutdown()

	srv, err = StartEmbeddedNATS(store, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := nc.JetStream()
	info, err := js.StreamInfo("KEPT")
	if err != nil {
		t.Fatalf("stream after restart: %v", err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("messages after restart = %d, want 1", info.State.Msgs)
	}
}
