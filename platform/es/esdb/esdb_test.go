package esdb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/esdb"
	"github.com/storefront/storefront/platform/es/estest"
	"github.com/storefront/storefront/platform/testkit"
)

// TestContract runs the contract suite against a real EventStoreDB: the server named by
// STOREFRONT_TEST_EVENTSTORE_URL, else a container when a Docker engine answers. Without
// either it skips, the one backend of the platform allowed to (it is optional and cannot be
// started from installed binaries). Every store gets its own namespace on the one server.
func TestContract(t *testing.T) {
	url, err := testkit.EventStoreDBURL()
	if errors.Is(err, testkit.ErrNoEventStoreDB) {
		t.Skip("no EventStoreDB: set STOREFRONT_TEST_EVENTSTORE_URL or run a Docker engine")
	}
	if err != nil {
		t.Fatal(err)
	}
	probe, err := esdb.Dial(url, esdb.Config{Namespace: "probe"})
	if err != nil {
		t.Fatalf("%s=%q: %v", testkit.EventStoreDBURLEnv, url, err)
	}
	t.Cleanup(func() { _ = probe.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := probe.Head(ctx); err != nil {
		t.Fatalf("no EventStoreDB answers at %q (%s): %v", url, testkit.EventStoreDBURLEnv, err)
	}

	// EventStoreDB cannot make claims atomic with the events nor keep event ids unique
	// across streams (see the package documentation).
	features := estest.Features{NoClaims: true, NoStoreWideEventIDs: true}
	estest.RunWithFeatures(t, features, func(t *testing.T) es.Store {
		s, err := esdb.Dial(url, esdb.Config{Namespace: "test-" + uuid.NewString()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
