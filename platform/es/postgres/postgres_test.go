package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/estest"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

const schema = "es_test"

func newStore(t *testing.T) *postgres.Store {
	t.Helper()
	db := pgtest.New(t, postgres.Migrations(schema))
	pool, err := postgres.NewPool(t.Context(), postgres.PoolConfig{URL: db.URL, MinConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store, err := postgres.New(pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func TestContract(t *testing.T) {
	estest.Run(t, func(t *testing.T) es.Store { return newStore(t) })
}

// The append itself is one statement (one round trip, one transaction); after its commit the
// store sends one asynchronously committed NOTIFY to wake listeners, without waiting for it.
func TestAppend_IsOneStatement(t *testing.T) {
	db := pgtest.New(t, postgres.Migrations(schema))
	var queries atomic.Int64
	var notifies atomic.Int64
	cfg, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = countingTracer{&queries, &notifies}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	claim := es.WithClaims(es.Claim{Scope: "user.email", Value: "ada@example.com"})
	evs := []es.EventData{{Type: "a"}, {Type: "b"}, {Type: "c"}, {Type: "d"}}
	for i, expected := range []es.ExpectedVersion{es.NoStream, es.Exact(4)} {
		store, err := postgres.New(pool, schema)
		if err != nil {
			t.Fatal(err)
		}
		before, notesBefore := queries.Load(), notifies.Load()
		if _, err := store.Append(t.Context(), "user-1", expected, evs, claim); err != nil {
			t.Fatal(err)
		}
		if n := queries.Load() - before; n != 1 {
			t.Fatalf("append %d issued %d statements besides the wake-up, want 1", i, n)
		}
		// The wake-up is sent by a goroutine, after the append has returned; Close waits for
		// it to end, so every wake-up the append caused has been sent by then.
		store.Close()
		if n := notifies.Load() - notesBefore; n != 1 {
			t.Fatalf("append %d sent %d wake-ups, want 1", i, n)
		}
	}
}

type countingTracer struct{ n, notifies *atomic.Int64 }

func (c countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "NOTIFY") {
		c.notifies.Add(1)
	} else {
		c.n.Add(1)
	}
	return ctx
}

func (countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func TestAppend_NotifiesOncePerTransaction(t *testing.T) {
	db := pgtest.New(t, postgres.Migrations(schema))
	store, err := postgres.New(db.Pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "LISTEN "+pgx.Identifier{postgres.NotifyChannel(schema)}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(t.Context(), "order-1", es.NoStream, []es.EventData{{Type: "a"}, {Type: "b"}, {Type: "c"}}); err != nil {
		t.Fatal(err)
	}
	wait := func() (*pgconn.Notification, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		return conn.WaitForNotification(ctx)
	}
	n, err := wait()
	if err != nil {
		t.Fatalf("no notification after an append: %v", err)
	}
	if n.Channel != "es_test_events" {
		t.Fatalf("notification %+v, want channel es_test_events", n)
	}
	if n, err := wait(); err == nil {
		t.Fatalf("a second notification for one append: %+v", n)
	}
}

func TestSchemas_AreIndependentStores(t *testing.T) {
	db := pgtest.New(t, postgres.Migrations("catalog"), postgres.Migrations("identity"))
	catalog, err := postgres.New(db.Pool, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	identity, err := postgres.New(db.Pool, "identity")
	if err != nil {
		t.Fatal(err)
	}
	claim := es.WithClaims(es.Claim{Scope: "s", Value: "v"})
	for _, s := range []*postgres.Store{catalog, identity} {
		if _, err := s.Append(t.Context(), "x-1", es.NoStream, []es.EventData{{Type: "t"}}, claim); err != nil {
			t.Fatalf("%s: %v", s.Schema(), err)
		}
		// Wait out transactions of other tests on the server, which may hold events back.
		var got []es.RecordedEvent
		for deadline := time.Now().Add(10 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if got, err = s.ReadAll(t.Context(), es.Position{}, 10); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != 1 {
			t.Fatalf("%s: ReadAll = %d events; want its own 1", s.Schema(), len(got))
		}
	}
}

func TestNew_RejectsABadSchema(t *testing.T) {
	db := pgtest.New(t)
	for _, schema := range []string{"", "Catalog", "cat-alog", `x"; DROP SCHEMA public; --`} {
		if _, err := postgres.New(db.Pool, schema); !errors.Is(err, es.ErrInvalidArgument) {
			t.Errorf("New(%q): %v, want ErrInvalidArgument", schema, err)
		}
	}
}

func TestPoolConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     postgres.PoolConfig
		wantErr string
	}{
		{"defaults", postgres.PoolConfig{URL: "postgres://localhost/x"}, ""},
		{"no url", postgres.PoolConfig{}, "URL is required"},
		{"min above max", postgres.PoolConfig{URL: "postgres://x", MinConns: 30}, "MinConns (30) ≤ MaxConns (20)"},
		{"negative max", postgres.PoolConfig{URL: "postgres://x", MaxConns: -1}, "MaxConns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.wantErr)
			}
		})
	}
	pool, err := postgres.NewPool(t.Context(), postgres.PoolConfig{URL: pgtest.New(t).URL})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if c := pool.Config(); c.MinConns != 2 || c.MaxConns != 20 {
		t.Fatalf("pool sized %d..%d, want 2..20", c.MinConns, c.MaxConns)
	}
}

func TestStreamVersionSQL_SelectsTheStreamsVersion(t *testing.T) {
	ctx := t.Context()
	db := pgtest.New(t, postgres.Migrations(schema))
	store, err := postgres.New(db.Pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	version := func(stream string) int64 {
		t.Helper()
		var v int64
		if err := db.Pool.QueryRow(ctx, store.StreamVersionSQL(), stream).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := version("cart-1"); v != 0 {
		t.Fatalf("version of a stream without events = %d, want 0", v)
	}
	for want := int64(1); want <= 3; want++ {
		if _, err := store.Append(ctx, "cart-1", es.Exact(want-1), []es.EventData{{Type: "t", Payload: []byte("x")}}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Append(ctx, "cart-2", es.Any, []es.EventData{{Type: "t", Payload: []byte("x")}, {Type: "t", Payload: []byte("y")}}); err != nil {
			t.Fatal(err)
		}
		if v := version("cart-1"); v != want {
			t.Fatalf("version after %d appends = %d", want, v)
		}
	}
	if v := version("cart-2"); v != 6 {
		t.Fatalf("other stream's version = %d, want 6", v)
	}
}

// Close stops the wake-ups (and waits for the one being sent); appends go on working.
func TestClose_StopsWakeups(t *testing.T) {
	ctx := t.Context()
	db := pgtest.New(t, postgres.Migrations(schema))
	store, err := postgres.New(db.Pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+postgres.NotifyChannel(schema)); err != nil {
		t.Fatal(err)
	}
	notified := func() bool {
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, err := conn.Conn().WaitForNotification(wctx)
		return err == nil
	}
	appendOne := func() {
		if _, err := store.Append(ctx, "s-1", es.Any, []es.EventData{{Type: "t", Payload: []byte("x")}}); err != nil {
			t.Fatal(err)
		}
	}
	appendOne()
	if !notified() {
		t.Fatal("no wake-up before Close")
	}
	store.Close()
	appendOne()
	if notified() {
		t.Fatal("a wake-up after Close")
	}
}
