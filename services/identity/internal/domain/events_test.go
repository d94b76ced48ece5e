package domain

import (
	"slices"
	"testing"

	"github.com/storefront/storefront/platform/events"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

// TestEvents_CatalogueHasEveryEventMessage fails when a message of events.proto is missing
// from Events, and so from the registry and, for a private one, from the relay's list.
func TestEvents_CatalogueHasEveryEventMessage(t *testing.T) {
	if missing := events.Unlisted(identityv1.File_storefront_identity_v1_events_proto, Events()); len(missing) != 0 {
		t.Fatalf("not in domain.Events(): %v", missing)
	}
	// Secrets never leave the context (decision 005).
	for _, secret := range []string{"storefront.identity.v1.PasswordSet", "storefront.identity.v1.PasswordResetRequested",
		"storefront.identity.v1.SessionStarted", "storefront.identity.v1.SessionRefreshed"} {
		if !slices.Contains(PrivateEventTypes(), secret) {
			t.Errorf("%s carries a secret but is not private", secret)
		}
	}
}
