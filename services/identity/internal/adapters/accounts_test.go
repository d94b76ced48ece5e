package adapters_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/services/identity/internal/adapters"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// countingReader counts the events ReadStream returns.
type countingReader struct {
	es.Store
	events atomic.Int64
}

func (c *countingReader) ReadStream(ctx context.Context, stream string, from int64, max int) ([]es.RecordedEvent, error) {
	evs, err := c.Store.ReadStream(ctx, stream, from, max)
	c.events.Add(int64(len(evs)))
	return evs, err
}

// TestCachedAccounts_ReadYourWritesAcrossReplicas: two replicas' caches over one event store;
// a write through either is seen by the next read through the other, and an unchanged account
// is served without reading its events again.
func TestCachedAccounts_ReadYourWritesAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, postgres.Migrations("identity"))
	store, err := postgres.New(db.Pool, "identity")
	if err != nil {
		t.Fatal(err)
	}
	reg := domain.Registry()
	users := aggregate.NewStore(store, reg, domain.NewUser)
	a, b := &countingReader{Store: store}, &countingReader{Store: store}
	replicaA := adapters.NewCachedAccounts(aggregate.NewStore(a, reg, domain.NewUser), a)
	replicaB := adapters.NewCachedAccounts(aggregate.NewStore(b, reg, domain.NewUser), b)

	u, err := domain.Register("u1", "ann@example.com", "Ann", "hash", domain.RoleCustomer, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Save(ctx, u); err != nil {
		t.Fatal(err)
	}
	name := func(c *adapters.CachedAccounts) string {
		t.Helper()
		got, err := c.Account(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		return got.Name()
	}
	if name(replicaA) != "Ann" || name(replicaB) != "Ann" {
		t.Fatal("first reads")
	}
	read := a.events.Load()
	if name(replicaA) != "Ann" || a.events.Load() != read {
		t.Fatalf("an unchanged account was read again (%d events, then %d)", read, a.events.Load())
	}

	// A write through "replica B" (any writer of the store): replica A sees it at once.
	if _, err := users.Update(ctx, "user-u1", func(u *domain.User) error { return u.Rename("Bea") }); err != nil {
		t.Fatal(err)
	}
	if got := name(replicaA); got != "Bea" {
		t.Fatalf("replica A after a rename elsewhere: %q", got)
	}
	if _, err := users.Update(ctx, "user-u1", func(u *domain.User) error {
		_, err := u.AddAddress("a1", domain.Address{Line1: "1 Main St", City: "Springfield", PostalCode: "12345", Country: "US"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := replicaB.Account(ctx, "u1")
	if err != nil || got.Name() != "Bea" || len(got.Addresses()) != 1 {
		t.Fatalf("replica B after two writes: %v %v", got, err)
	}

	// What a caller does with its copy stays with it.
	_ = got.Rename("Changed Locally")
	if name(replicaB) != "Bea" {
		t.Fatal("a caller's change to its copy reached the cache")
	}
	if _, err := replicaA.Account(ctx, "nobody"); err == nil {
		t.Fatal("an account without a stream was found")
	}
}
