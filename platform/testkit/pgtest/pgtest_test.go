package pgtest_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/storefront/storefront/platform/pgmigrate"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

func widgets(version string) pgmigrate.Set {
	return pgmigrate.Set{Name: "widgets", FS: fstest.MapFS{
		"00001_widgets.sql": {Data: []byte("-- +goose Up\nCREATE TABLE widgets (id int PRIMARY KEY, v text);\nINSERT INTO widgets VALUES (1, '" + version + "');\n-- +goose Down\nDROP TABLE widgets;\n")},
	}}
}

func TestNew_GivesEachTestAMigratedPrivateDatabase(t *testing.T) {
	ctx := context.Background()
	a := pgtest.New(t, widgets("v1"))
	b := pgtest.New(t, widgets("v1"))
	if a.Name == b.Name {
		t.Fatalf("two tests share database %s", a.Name)
	}
	if _, err := a.Pool.Exec(ctx, `INSERT INTO widgets VALUES (2, 'only in a')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.Pool.QueryRow(ctx, `SELECT count(*) FROM widgets`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("b sees %d rows, want the template's 1", n)
	}
}

func TestNew_ChangedMigrationsGetANewTemplate(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{"v1", "v2"} {
		db := pgtest.New(t, widgets(version))
		var v string
		if err := db.Pool.QueryRow(ctx, `SELECT v FROM widgets WHERE id = 1`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != version {
			t.Fatalf("database built from migrations %s holds %s", version, v)
		}
	}
}

func TestNew_DropsTheDatabaseWhenTheTestEnds(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) { name = pgtest.New(t, widgets("v1")).Name })
	admin := pgtest.New(t)
	var exists bool
	if err := admin.Pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatalf("database %s still exists after its test ended", name)
	}
}
