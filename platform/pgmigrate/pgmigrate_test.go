package pgmigrate_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

// widgets is a set whose migration is not idempotent: running it twice would insert twice.
func widgets(schema string) pgmigrate.Set {
	return pgmigrate.Set{Name: "widgets", Schema: schema, FS: fstest.MapFS{
		"00001_widgets.sql": {Data: []byte("-- +goose Up\nCREATE TABLE widgets (id int PRIMARY KEY);\nINSERT INTO widgets VALUES (1);\n-- +goose Down\nDROP TABLE widgets;\n")},
		"00002_more.sql":    {Data: []byte("-- +goose Up\nINSERT INTO widgets VALUES (2);\n-- +goose Down\nDELETE FROM widgets WHERE id = 2;\n")},
	}}
}

func count(t *testing.T, db *pgtest.DB, query string) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestApply_WithoutSchema_UsesTheDefaultSearchPath(t *testing.T) {
	db := pgtest.New(t)
	if err := pgmigrate.Apply(t.Context(), slog.New(slog.DiscardHandler), db.URL, widgets("")); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM public.widgets`); n != 2 {
		t.Fatalf("public.widgets holds %d rows, want 2", n)
	}
	if n := count(t, db, `SELECT count(*) FROM public.widgets_schema_version WHERE version_id > 0`); n != 2 {
		t.Fatalf("version table records %d migrations, want 2", n)
	}
}

func TestApply_WithSchema_RunsTheSameFilesInEachSchemaOnce(t *testing.T) {
	db := pgtest.New(t)
	log := slog.New(slog.DiscardHandler)
	for range 2 { // the second run finds everything applied
		if err := pgmigrate.Apply(t.Context(), log, db.URL, widgets("shop_a"), widgets("shop_b")); err != nil {
			t.Fatal(err)
		}
	}
	for _, schema := range []string{"shop_a", "shop_b"} {
		if n := count(t, db, `SELECT count(*) FROM `+schema+`.widgets`); n != 2 {
			t.Fatalf("%s.widgets holds %d rows, want 2", schema, n)
		}
		if n := count(t, db, `SELECT count(*) FROM `+schema+`.widgets_schema_version WHERE version_id > 0`); n != 2 {
			t.Fatalf("%s version table records %d migrations, want 2", schema, n)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'widgets%'`); n != 0 {
		t.Fatalf("%d widgets tables leaked into public", n)
	}
}

func TestApply_WithSchema_ConcurrentReplicasMigrateOnce(t *testing.T) {
	db := pgtest.New(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			errs[i] = pgmigrate.Apply(t.Context(), slog.New(slog.DiscardHandler), db.URL, widgets("shop"))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM shop.widgets`); n != 2 {
		t.Fatalf("shop.widgets holds %d rows, want 2", n)
	}
}

func TestApply_RejectsABadSchemaName(t *testing.T) {
	db := pgtest.New(t)
	for _, schema := range []string{"Shop", "shop-a", "shop; DROP TABLE x", "1shop"} {
		if err := pgmigrate.Apply(t.Context(), slog.New(slog.DiscardHandler), db.URL, widgets(schema)); err == nil {
			t.Errorf("schema %q accepted", schema)
		}
	}
}
