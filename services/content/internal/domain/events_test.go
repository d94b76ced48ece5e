package domain

import (
	"testing"

	"github.com/storefront/storefront/platform/events"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
)

// TestEvents_CatalogueHasEveryEventMessage fails when a message of events.proto is missing
// from Events, and so from the registry.
func TestEvents_CatalogueHasEveryEventMessage(t *testing.T) {
	if missing := events.Unlisted(contentv1.File_storefront_content_v1_events_proto, Events()); len(missing) != 0 {
		t.Fatalf("not in domain.Events(): %v", missing)
	}
}
