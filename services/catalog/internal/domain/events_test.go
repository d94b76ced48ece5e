package domain

import (
	"testing"

	"github.com/storefront/storefront/platform/events"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// TestEvents_CatalogueHasEveryEventMessage fails when a message of events.proto is missing
// from Events, and so from the registry and, for a private one, from the relay's list.
func TestEvents_CatalogueHasEveryEventMessage(t *testing.T) {
	if missing := events.Unlisted(catalogv1.File_storefront_catalog_v1_events_proto, Events(),
		"ProductSpec", "ProductImage", "ProductImageVariant", "OrderReservationLine", "OrderReservedLine"); len(missing) != 0 {
		t.Fatalf("not in domain.Events(): %v", missing)
	}
	private := PrivateEventTypes()
	if len(private) != 6 {
		t.Fatalf("private types %v", private)
	}
	for _, name := range private {
		if name[:len("storefront.catalog.v1.OrderReservation")] != "storefront.catalog.v1.OrderReservation" {
			t.Errorf("%s is private, but only the order reservations are", name)
		}
	}
}
