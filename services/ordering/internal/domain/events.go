package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
)

// Events is the ordering context's event catalogue (orderingv1.Events, next to the
// messages): all of them are public.
func Events() []proto.Message { return orderingv1.Events() }

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
