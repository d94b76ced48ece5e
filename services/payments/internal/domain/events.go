package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
)

// Events is the payments context's event catalogue (paymentsv1.Events, next to the
// messages): all of them are public.
func Events() []proto.Message { return paymentsv1.Events() }

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
