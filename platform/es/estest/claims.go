package estest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/storefront/storefront/platform/es"
)

func (s suite) testClaims(t *testing.T) {
	if s.f.NoClaims {
		t.Skip("the adapter does not support uniqueness claims")
	}
	email := es.Claim{Scope: "user.email", Value: "ada@example.com"}
	sku := es.Claim{Scope: "product.sku", Value: "KB-001"}

	t.Run("ClaimOwner finds the holder and forgets released values", func(t *testing.T) {
		store := s.newStore(t)
		owners, ok := store.(es.ClaimReader)
		if !ok {
			t.Fatalf("%T supports claims but not es.ClaimReader", store)
		}
		if _, err := owners.ClaimOwner(t.Context(), email); !errors.Is(err, es.ErrNoClaim) {
			t.Fatalf("owner of an unclaimed value: %v, want ErrNoClaim", err)
		}
		res := mustAppend(t, store, "user-1", es.NoStream, events("a", 1), es.WithClaims(email, sku))
		if got, err := owners.ClaimOwner(t.Context(), email); err != nil || got != "user-1" {
			t.Fatalf("ClaimOwner = %q, %v; want user-1", got, err)
		}
		if _, err := owners.ClaimOwner(t.Context(), es.Claim{Scope: "other.scope", Value: email.Value}); !errors.Is(err, es.ErrNoClaim) {
			t.Fatalf("scopes are independent, got %v", err)
		}
		mustAppend(t, store, "user-1", es.Exact(res.NextVersion), events("b", 1), es.WithReleases(email))
		if _, err := owners.ClaimOwner(t.Context(), email); !errors.Is(err, es.ErrNoClaim) {
			t.Fatalf("owner of a released value: %v, want ErrNoClaim", err)
		}
		if got, _ := owners.ClaimOwner(t.Context(), sku); got != "user-1" {
			t.Fatalf("releasing one claim dropped another: %q", got)
		}
	})

	t.Run("a value claimed by another stream is rejected and nothing is written", func(t *testing.T) {
		store := s.newStore(t)
		mustAppend(t, store, "user-1", es.NoStream, events("u1", 1), es.WithClaims(email))

		other := es.Claim{Scope: "user.handle", Value: "grace"}
		_, err := store.Append(t.Context(), "user-2", es.NoStream, events("u2", 3), es.WithClaims(other, email))
		wantErr(t, err, es.ErrDuplicate, "second claim of the e-mail")
		var de *es.DuplicateError
		if !errors.As(err, &de) || de.Scope != email.Scope || de.Value != email.Value {
			t.Fatalf("error %#v, want a *es.DuplicateError for %v", err, email)
		}
		if got := readStream(t, store, "user-2"); len(got) != 0 {
			t.Fatalf("rejected append wrote %d events", len(got))
		}
		// The rejected append's other claim was not taken either.
		mustAppend(t, store, "user-3", es.NoStream, events("u3", 1), es.WithClaims(other))
	})

	t.Run("the same stream may claim a value it holds again", func(t *testing.T) {
		store := s.newStore(t)
		res := mustAppend(t, store, "user-1", es.NoStream, events("a", 1), es.WithClaims(email))
		res = mustAppend(t, store, "user-1", es.Exact(res.NextVersion), events("b", 2), es.WithClaims(email, email))
		if res.NextVersion != 3 {
			t.Fatalf("NextVersion %d, want 3", res.NextVersion)
		}
		_, err := store.Append(t.Context(), "user-2", es.NoStream, events("c", 1), es.WithClaims(email))
		wantErr(t, err, es.ErrDuplicate, "claim by another stream after the reclaim")
	})

	t.Run("scopes are independent", func(t *testing.T) {
		store := s.newStore(t)
		mustAppend(t, store, "a", es.NoStream, events("a", 1), es.WithClaims(es.Claim{Scope: "x", Value: "v"}))
		mustAppend(t, store, "b", es.NoStream, events("b", 1), es.WithClaims(es.Claim{Scope: "y", Value: "v"}))
	})

	t.Run("releasing frees the value", func(t *testing.T) {
		store := s.newStore(t)
		res := mustAppend(t, store, "product-1", es.NoStream, events("a", 1), es.WithClaims(sku))
		mustAppend(t, store, "product-1", es.Exact(res.NextVersion), events("b", 1), es.WithReleases(sku))
		mustAppend(t, store, "product-2", es.NoStream, events("c", 1), es.WithClaims(sku))
	})

	t.Run("releasing another stream's value does nothing", func(t *testing.T) {
		store := s.newStore(t)
		mustAppend(t, store, "product-1", es.NoStream, events("a", 1), es.WithClaims(sku))
		mustAppend(t, store, "product-2", es.NoStream, events("b", 1), es.WithReleases(sku, es.Claim{Scope: "never", Value: "held"}))
		_, err := store.Append(t.Context(), "product-3", es.NoStream, events("c", 1), es.WithClaims(sku))
		wantErr(t, err, es.ErrDuplicate, "claim after a foreign release")
	})

	t.Run("release and claim in one append moves the reservation", func(t *testing.T) {
		store := s.newStore(t)
		newEmail := es.Claim{Scope: "user.email", Value: "ada@new.example.com"}
		res := mustAppend(t, store, "user-1", es.NoStream, events("a", 1), es.WithClaims(email))
		mustAppend(t, store, "user-1", es.Exact(res.NextVersion), events("b", 1), es.WithReleases(email), es.WithClaims(newEmail))
		mustAppend(t, store, "user-2", es.NoStream, events("c", 1), es.WithClaims(email))
		_, err := store.Append(t.Context(), "user-3", es.NoStream, events("d", 1), es.WithClaims(newEmail))
		wantErr(t, err, es.ErrDuplicate, "claim of the new e-mail")
	})

	t.Run("a concurrency conflict writes no claim and no release", func(t *testing.T) {
		store := s.newStore(t)
		mustAppend(t, store, "user-1", es.NoStream, events("a", 1), es.WithClaims(email))
		_, err := store.Append(t.Context(), "user-1", es.Exact(7), events("b", 1), es.WithClaims(sku), es.WithReleases(email))
		wantErr(t, err, es.ErrConcurrency, "append at a wrong version")
		mustAppend(t, store, "product-1", es.NoStream, events("c", 1), es.WithClaims(sku))
		_, err = store.Append(t.Context(), "user-2", es.NoStream, events("d", 1), es.WithClaims(email))
		wantErr(t, err, es.ErrDuplicate, "e-mail is still held")
	})

	t.Run("a duplicate releases nothing", func(t *testing.T) {
		store := s.newStore(t)
		res := mustAppend(t, store, "user-1", es.NoStream, events("a", 1), es.WithClaims(email))
		mustAppend(t, store, "product-1", es.NoStream, events("b", 1), es.WithClaims(sku))
		_, err := store.Append(t.Context(), "user-1", es.Exact(res.NextVersion), events("c", 1), es.WithReleases(email), es.WithClaims(sku))
		wantErr(t, err, es.ErrDuplicate, "claim of a held sku")
		_, err = store.Append(t.Context(), "user-2", es.NoStream, events("d", 1), es.WithClaims(email))
		wantErr(t, err, es.ErrDuplicate, "e-mail is still held")
	})

	t.Run("concurrent claims of one value: exactly one stream wins", func(t *testing.T) {
		store := s.newStore(t)
		const writers = 10
		errs := make([]error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				_, errs[w] = store.Append(t.Context(), fmt.Sprintf("user-%d", w), es.NoStream, events("x", 2), es.WithClaims(email))
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for w, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, es.ErrDuplicate):
				t.Fatalf("writer %d: %v, want success or ErrDuplicate", w, err)
			}
		}
		if all := readAll(t, store, 100, 2); wins != 1 || len(all) != 2 {
			t.Fatalf("%d writers won and the store holds %d events, want 1 winner and 2 events", wins, len(all))
		}
	})
}
