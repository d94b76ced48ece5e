package audit

import "testing"

func TestActionAndTarget(t *testing.T) {
	for _, tc := range []struct{ eventType, action string }{
		{"storefront.catalog.v1.ProductCreated", "product_created"},
		{"storefront.operations.v1.ProjectionRebuildRequested", "projection_rebuild_requested"},
		{"storefront.ordering.v1.OrderShipped", "order_shipped"},
	} {
		if got := Action(tc.eventType); got != tc.action {
			t.Errorf("Action(%q) = %q, want %q", tc.eventType, got, tc.action)
		}
	}
	for _, tc := range []struct{ stream, target string }{
		{"product-0190a6f4-1c2b-7d3e-8f40-5a6b7c8d9e0f", "product/0190a6f4-1c2b-7d3e-8f40-5a6b7c8d9e0f"},
		{"projection-catalog", "projection/catalog"},
		{"dead-letter-12", "dead-letter/12"},
		{"plain", "plain"},
	} {
		if got := Target(tc.stream); got != tc.target {
			t.Errorf("Target(%q) = %q, want %q", tc.stream, got, tc.target)
		}
	}
}
