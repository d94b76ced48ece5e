// Package backends lists the services behind the REST edge. A service joins the REST API
// (routes, policies, OpenAPI) with one entry here.
package backends

import (
	"context"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"

	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	notificationsv1 "github.com/storefront/storefront/proto/storefront/notifications/v1"
	operationsv1 "github.com/storefront/storefront/proto/storefront/operations/v1"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

// Backend is one gRPC service served under /api/v1.
type Backend struct {
	Name    string
	AddrEnv string // the variable holding its gRPC address
	Service protoreflect.ServiceDescriptor
	// Register adds its routes; nil for a service without any.
	Register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
}

// All returns every backend.
func All() []Backend {
	return []Backend{
		{"identity", "STOREFRONT_IDENTITY_ADDR", identityv1.File_storefront_identity_v1_identity_proto.Services().ByName("IdentityService"), identityv1.RegisterIdentityServiceHandler},
		{"catalog", "STOREFRONT_CATALOG_ADDR", catalogv1.File_storefront_catalog_v1_catalog_proto.Services().ByName("CatalogService"), catalogv1.RegisterCatalogServiceHandler},
		{"cart", "STOREFRONT_CART_ADDR", cartv1.File_storefront_cart_v1_cart_proto.Services().ByName("CartService"), cartv1.RegisterCartServiceHandler},
		// Internal only (no routes yet): the edge will forward the providers' webhooks to it.
		{"payments", "STOREFRONT_PAYMENTS_ADDR", paymentsv1.File_storefront_payments_v1_payments_proto.Services().ByName("PaymentService"), nil},
		{"ordering", "STOREFRONT_ORDERING_ADDR", orderingv1.File_storefront_ordering_v1_ordering_proto.Services().ByName("OrderingService"), orderingv1.RegisterOrderingServiceHandler},
		// Internal only: support will read the mails a customer was sent through the edge.
		{"notifications", "STOREFRONT_NOTIFICATIONS_ADDR", notificationsv1.File_storefront_notifications_v1_notifications_proto.Services().ByName("NotificationService"), nil},
		{"reviews", "STOREFRONT_REVIEWS_ADDR", reviewsv1.File_storefront_reviews_v1_reviews_proto.Services().ByName("ReviewService"), reviewsv1.RegisterReviewServiceHandler},
		{"content", "STOREFRONT_CONTENT_ADDR", contentv1.File_storefront_content_v1_content_proto.Services().ByName("ContentService"), contentv1.RegisterContentServiceHandler},
		{"support", "STOREFRONT_SUPPORT_ADDR", supportv1.File_storefront_support_v1_support_proto.Services().ByName("SupportService"), supportv1.RegisterSupportServiceHandler},
		{"operations", "STOREFRONT_OPERATIONS_ADDR", operationsv1.File_storefront_operations_v1_operations_proto.Services().ByName("OperationsService"), operationsv1.RegisterOperationsServiceHandler},
	}
}

// Services returns the service descriptors of every backend.
func Services() []protoreflect.ServiceDescriptor {
	var out []protoreflect.ServiceDescriptor
	for _, b := range All() {
		out = append(out, b.Service)
	}
	return out
}
