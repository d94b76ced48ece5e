package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
)

// Events is the cart context's event catalogue (cartv1.Events, next to the messages): all of
// them are public.
func Events() []proto.Message { return cartv1.Events() }

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
